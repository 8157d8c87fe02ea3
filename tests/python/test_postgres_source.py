"""TPC-H from a real PostgreSQL server: provisioned by `duckhouse pg up` (idempotent),
attached read-only by the tenant's dbt target, built into the same gold as a tenant built
from files, moved on by the refresh functions, with the password kept out of every file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, TENANTS, free_port, make_env, table_rows, use_env

TENANT = "pg_t"
PASSWORD_ENV = "DUCKHOUSE_PG_PG_T_PASSWORD"  # the tenant's own: the registry allows no other
PASSWORD = "not-in-any-file-7Qx"
FILE_TWIN = "tiny_a"  # the session lakehouse's tenant at the same scale factor
PG_BIN = Path("/usr/lib/postgresql")


def _registry(path: Path, port: int, user: str = "tenant_pg_t") -> None:
    path.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: PostgreSQL tenant\n"
        "    sources:\n"
        "      tpch:\n"
        "        mode: postgres\n"
        f"        scale_factor: {TENANTS[FILE_TWIN]}\n"
        "        postgres:\n"
        "          host: 127.0.0.1\n"
        f"          port: {port}\n"
        "          database: pg_t_tpch\n"
        f"          user: {user}\n"
        f"          password_env: {PASSWORD_ENV}\n"
        "      ksqldb: {mode: generated}\n"
        "      shop: {mode: generated}\n"
        "    schedule:\n"
        '      cron: "0 3 * * *"\n'
        "      timezone: UTC\n"
    )


@pytest.fixture(scope="module")
def pg_tenant(tmp_path_factory):
    if not any(PG_BIN.glob("*/bin/initdb")) and not shutil.which("initdb"):
        pytest.fail("PostgreSQL is not installed: `make postgres` installs it (as root)")
    root = tmp_path_factory.mktemp("pg")
    registry = root / "tenants.yml"
    port = free_port()
    _registry(registry, port)
    env = make_env(root, registry)
    # the server directory must be reachable by the `postgres` system user when root
    server_root = Path(tempfile.mkdtemp(prefix="duckhouse-pg-"))
    server_root.chmod(0o755)
    env.update({PASSWORD_ENV: PASSWORD, "DUCKHOUSE_PG_DIR": str(server_root)})

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "duckhouse.cli", *args],
            cwd=PROJECT_DIR, env=env, text=True, capture_output=True, check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"duckhouse {' '.join(args)}:\n{result.stdout}\n{result.stderr}")
        return result

    try:
        yield root, env, cli, port
    finally:
        cli("pg", "down", TENANT, check=False)
        shutil.rmtree(server_root, ignore_errors=True)


def _pg(env: dict[str, str], port: int) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the tenant's database attached as the tenant's user."""
    from duckhouse.extensions import load_extension

    connection = duckdb.connect()
    load_extension(connection, "postgres_scanner")
    connection.execute(
        f"attach 'host=127.0.0.1 port={port} dbname=pg_t_tpch user=tenant_pg_t "
        f"password={env[PASSWORD_ENV]}' as pg (type postgres, read_only)"
    )
    return connection


def _gold(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {
            view: connection.execute(
                f"select * exclude (tenant_id) from {view} order by all"
            ).fetchall()
            for view in (
                "finance.revenue_monthly",
                "marketing.segment_performance",
                "marketing.customer_value",
                "marketing.top_brands",
                "marketing.delivery_performance",
            )
        }


def test_pg_up_is_idempotent_and_keeps_tpch_types(pg_tenant) -> None:
    _root, env, cli, port = pg_tenant
    first = cli("pg", "up", TENANT)
    assert "loaded" in first.stdout
    second = cli("pg", "up", TENANT)
    assert "already loaded, kept" in second.stdout

    with _pg(env, port) as connection:
        (orders,) = connection.execute("select count(*) from pg.public.orders").fetchone()
        (lines,) = connection.execute("select count(*) from pg.public.lineitem").fetchone()
        types = dict(
            connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = 'pg' and table_name = 'lineitem'"
            ).fetchall()
        )
    assert orders == 15_000, "the second `pg up` must not load TPC-H again"
    assert lines == 60_175
    assert types["l_extendedprice"] == "DECIMAL(15,2)"
    assert types["l_shipdate"] == "DATE"


def test_pg_up_puts_no_password_on_a_command_line(pg_tenant, tmp_path: Path) -> None:
    """Every local user can read every command line (`ps`): `pg up` sets the role's
    password, and no process it starts may carry it. psql is wrapped (first on PATH) to
    record each command line it is started with."""
    _root, env, _cli, _port = pg_tenant
    real = shutil.which("psql", path=env.get("PATH"))
    assert real, "psql is not installed"
    wrappers, log = tmp_path / "bin", tmp_path / "argv.log"
    wrappers.mkdir()
    wrapper = wrappers / "psql"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    wrapped = {**env, "PATH": f"{wrappers}{os.pathsep}{env.get('PATH', '')}"}
    result = subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", "pg", "up", TENANT],
        cwd=PROJECT_DIR, env=wrapped, text=True, capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = log.read_text().splitlines()
    assert any("alter role" in line or "-f -" in line for line in lines), lines
    assert len(lines) >= 3  # the role, the database and the load checks all went through psql
    assert not [line for line in lines if PASSWORD in line], "a password on psql's command line"


def test_pg_tenant_builds_the_same_gold_as_from_files(pg_tenant, lakehouse) -> None:
    root, _env, cli, _port = pg_tenant
    cli("pg", "up", TENANT)
    result = cli("build", TENANT)
    assert "nothing to land" in result.stdout
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    assert _gold(warehouse) == _gold(lakehouse.warehouse(FILE_TWIN))
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (tenant_ids,) = connection.execute(
            "select list(distinct tenant_id) from finance.revenue_monthly"
        ).fetchone()
        (source_file,) = connection.execute(
            "select any_value(_source_file) from bronze.stg_tpch__orders"
        ).fetchone()
    assert tenant_ids == [TENANT]
    assert source_file == "tpch_pg.public.orders"


def _landed(warehouse: Path) -> dict[str, list[tuple]]:
    """Bronze orders and lines (without the load time) and the gold views."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        bronze = {
            model: connection.execute(
                f"select * exclude (_loaded_at) from bronze.{model} order by all"
            ).fetchall()
            for model in ("stg_tpch__orders", "stg_tpch__lineitem")
        }
    return {**bronze, **_gold(warehouse)}


def _copy_order(server, new_key: int) -> None:
    """Insert order `new_key` with its lines, copied from the newest order, in one
    transaction (an order placed out of key order)."""
    from_key = "(select max(o_orderkey) from orders)"
    server.psql(
        "pg_t_tpch",
        f"insert into orders select {new_key}, o_custkey, o_orderstatus, o_totalprice, "
        f"o_orderdate, o_orderpriority, o_clerk, o_shippriority, o_comment from orders "
        f"where o_orderkey = {from_key}; "
        f"insert into lineitem select {new_key}, l_partkey, l_suppkey, l_linenumber, "
        "l_quantity, l_extendedprice, l_discount, l_tax, l_returnflag, l_linestatus, "
        "l_shipdate, l_commitdate, l_receiptdate, l_shipinstruct, l_shipmode, l_comment "
        f"from lineitem where l_orderkey = {from_key}",
        single_transaction=True,
    )


def test_refresh_lands_incrementally_and_equals_a_full_rebuild(pg_tenant) -> None:
    """RF1/RF2 move the business on; the next build reads only what changed (new orders
    with their lines, deletions as tombstones, an order inserted below the watermark),
    and its result equals a full rebuild of the same source."""
    from duckhouse.simulate.pgserver import LocalServer

    root, env, cli, port = pg_tenant
    cli("pg", "up", TENANT)
    cli("build", TENANT)
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        # RF2 deletes the 40 oldest orders: their lines as landed
        (lines_of_deleted,) = connection.execute(
            "select count(*) from silver.fct_order_lines where order_id in "
            "(select order_id from silver.fct_orders order by order_id limit 40)"
        ).fetchone()
    # nothing changed below the highest key: no bucket of keys differs, none is compared
    unchanged = cli("build", TENANT)
    assert "stg_tpch__order_extract: keys up to 60000: 0 bucket(s)" in unchanged.stdout
    moved = cli("pg", "refresh", TENANT, "--orders", "40")
    assert "RF1 inserted 40 orders, RF2 deleted 40" in moved.stdout
    refreshed = cli("build", TENANT)
    # RF2's 40 oldest orders are keys 1..160 or so: one bucket of 1,024 keys
    assert (
        "stg_tpch__order_extract: keys up to 60000: 1 bucket(s) of 1024 keys differ from the "
        "source: 0 key(s) to read again, 40 deleted" in refreshed.stdout
    ), refreshed.stdout[-3000:]

    with _pg(env, port) as connection:
        pg_orders = set(connection.execute("select o_orderkey from pg.public.orders").fetchall())
        (pg_lines,) = connection.execute("select count(*) from pg.public.lineitem").fetchone()
        (new_lines,) = connection.execute(
            "select count(*) from pg.public.lineitem where l_orderkey > 60000"
        ).fetchone()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        bronze = set(connection.execute("select order_id from bronze.stg_tpch__orders").fetchall())
        (lines,) = connection.execute("select count(*) from silver.fct_order_lines").fetchone()
        last_extract = dict(
            connection.execute(
                "select record_type || case when record_type = 'deleted' "
                "and line_number is not null then ' line' else '' end, count(*) "
                "from bronze.stg_tpch__order_extract "
                "where _extracted_at = (select max(_extracted_at) "
                "from bronze.stg_tpch__order_extract) group by all"
            ).fetchall()
        )
    assert bronze == pg_orders
    assert len(bronze) == 15_000
    assert max(bronze)[0] > 60_000, "RF1's new orders are landed"
    assert (1,) not in bronze, "RF2's deleted orders are gone"
    assert lines == pg_lines
    # incremental: the second build extracted the refresh batch and nothing else; each
    # deleted order's rows stay, marked deleted, as landed (one per order, one per line)
    deleted_lines = last_extract.pop("deleted line")
    assert last_extract == {"order": 40, "line": new_lines, "deleted": 40}
    assert deleted_lines == lines_of_deleted

    # orders placed out of key order: a new key below the watermark, a deleted key again
    server = LocalServer(port=port, directory=Path(env["DUCKHOUSE_PG_DIR"]) / str(port))
    _copy_order(server, new_key=10)
    _copy_order(server, new_key=1)
    placed = cli("build", TENANT)
    assert "1 bucket(s) of 1024 keys differ from the source: 2 key(s) to read again" in (
        placed.stdout
    ), placed.stdout[-3000:]
    incremental = _landed(warehouse)
    assert {10, 1} <= {row[0] for row in incremental["stg_tpch__orders"]}

    cli("build", TENANT, "--full-refresh")
    full = _landed(warehouse)
    assert full == incremental
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        (tombstones,) = connection.execute(
            "select count(*) from bronze.stg_tpch__order_extract where record_type = 'deleted'"
        ).fetchone()
    assert tombstones == 0, "a full rebuild starts from the source as it is"


def _built(warehouse: Path) -> dict[str, list[tuple]]:
    """Every silver, gold and report table of the warehouse, its rows in order, without the
    lineage columns (`_...`: load times, watermarks) that differ between two builds."""
    return table_rows(
        warehouse,
        "table_schema in ('silver', 'tpch_reports') or table_schema like 'gold%'",
        lambda column: column.startswith("_"),
    )


def _order_keys(env: dict[str, str], port: int) -> set[int]:
    with _pg(env, port) as connection:
        rows = connection.execute("select o_orderkey from pg.public.orders").fetchall()
    return {key for (key,) in rows}


def test_incremental_builds_equal_a_full_rebuild_after_any_sequence_of_changes(
    pg_tenant, tmp_path
) -> None:
    """Seeded random days of changes at the source -- refresh batches (RF1 + RF2), an
    order deleted from the middle of the history, a late order below the watermark, a
    deleted order delivered again with other values, a corrected supply cost (a
    dimension) -- each followed by an incremental build (one of them comparing every key
    instead of the changed buckets of keys): after every step each silver
    and gold table equals a --full-refresh rebuild of the same source, row for row.
    The rebuild runs on the side: the incremental warehouse is put back before the next
    step, so the increments accumulate."""
    import random

    from duckhouse.simulate.pgserver import LocalServer

    root, env, cli, port = pg_tenant
    cli("pg", "up", TENANT)
    cli("build", TENANT, "--full-refresh")
    server = LocalServer(port=port, directory=Path(env["DUCKHOUSE_PG_DIR"]) / str(port))
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    kept = tmp_path / "incremental.duckdb"
    chance = random.Random(25)
    deleted: list[int] = []

    def delete_order() -> str:
        key = chance.choice(sorted(_order_keys(env, port)))
        server.psql(
            "pg_t_tpch",
            f"delete from lineitem where l_orderkey = {key}; "
            f"delete from orders where o_orderkey = {key}",
            single_transaction=True,
        )
        deleted.append(key)
        return f"deleted order {key}"

    def late_order() -> str:
        keys = _order_keys(env, port)
        key = chance.choice([k for k in range(1, max(keys)) if k not in keys and k not in deleted])
        _copy_order(server, new_key=key)
        return f"late order {key}"

    def redelivered() -> str:
        if not deleted:
            return delete_order()
        key = deleted.pop(0)
        _copy_order(server, new_key=key)
        return f"order {key} delivered again"

    def refresh() -> str:
        cli("pg", "refresh", TENANT, "--orders", str(chance.randint(5, 30)))
        return "refresh batch"

    def supply_cost() -> str:
        server.psql(
            "pg_t_tpch",
            "update partsupp set ps_supplycost = ps_supplycost + 1 where ps_partkey = "
            f"{chance.randint(1, 200)}",
        )
        return "supply costs corrected"

    steps = [delete_order, refresh, supply_cost, late_order, redelivered]
    for day in range(5):
        changes = [step() for step in chance.sample(steps, k=chance.randint(1, 3))]
        # day 2: the extract compares every key in its own statement (too many changed
        # buckets), the other days only the buckets whose fingerprints differ
        if day == 2:
            env["DUCKHOUSE_TPCH_CHANGED_KEYS_LIMIT"] = "0"
            changes.append("every key compared")
        cli("build", TENANT)
        env.pop("DUCKHOUSE_TPCH_CHANGED_KEYS_LIMIT", None)
        incremental = _built(warehouse)
        shutil.copy(warehouse, kept)
        cli("build", TENANT, "--full-refresh")
        full = _built(warehouse)
        shutil.copy(kept, warehouse)
        assert incremental.keys() == full.keys()
        differ = [name for name in full if incremental[name] != full[name]]
        assert not differ, f"day {day} ({', '.join(changes)}): {differ} differ from a rebuild"


def test_extract_is_one_snapshot_while_the_source_moves(pg_tenant) -> None:
    """Refresh batches commit without pause while the tenant's extract runs again and
    again: every extract pairs each order with exactly its lines (the model's tests,
    including assert_tpch_every_order_has_lines, pass each time), and the last one
    equals the source."""
    root, env, cli, port = pg_tenant
    cli("pg", "up", TENANT)
    cli("build", TENANT)
    stop = threading.Event()
    batches = []

    def keep_refreshing() -> None:
        while not stop.is_set():
            cli("pg", "refresh", TENANT, "--orders", "3")
            batches.append(1)

    mover = threading.Thread(target=keep_refreshing)
    mover.start()
    try:
        for _ in range(6):
            result = subprocess.run(
                [str(PROJECT_DIR / ".venv" / "bin" / "dbt"), "build", "--target", TENANT,
                 "--select", "stg_tpch__order_extract", "--target-path",
                 str(root / "dbt_target")],
                cwd=PROJECT_DIR, env=env, text=True, capture_output=True, check=False,
            )  # fmt: skip
            assert result.returncode == 0, result.stdout[-3000:]
    finally:
        stop.set()
        mover.join()
    assert len(batches) >= 3, "the source must have moved during the extracts"
    subprocess.run(
        [str(PROJECT_DIR / ".venv" / "bin" / "dbt"), "run", "--target", TENANT, "--select",
         "stg_tpch__order_extract", "--target-path", str(root / "dbt_target")],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    with _pg(env, port) as connection:
        source = connection.execute(
            "select o_orderkey, count(*) from pg.public.orders join pg.public.lineitem "
            "on l_orderkey = o_orderkey group by all order by all"
        ).fetchall()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        landed = connection.execute(
            "select order_id, count(*) from bronze.stg_tpch__orders join "
            "bronze.stg_tpch__lineitem using (order_id) group by all order by all"
        ).fetchall()
    assert landed == source


_DAGSTER_METADATA = """
from duckhouse.orchestration.definitions import build_definitions
graph = build_definitions().resolve_asset_graph()
for key in graph.get_all_asset_keys():
    node = graph.get(key)
    print(key.to_user_string(), node.description, node.metadata, node.tags, node.owners)
"""


def test_password_stays_out_of_every_file(pg_tenant) -> None:
    root, env, cli, _port = pg_tenant
    cli("pg", "up", TENANT)
    cli("build", TENANT)
    cli("prepare", TENANT)
    # the docs site a tenant's operators browse, generated as `make docs` does
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "docs", "generate", "--target", TENANT,
         "--target-path", str(root / "target" / TENANT)],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    # every piece of metadata the Dagster UI shows for the tenant's assets
    dump = subprocess.run(
        [sys.executable, "-c", _DAGSTER_METADATA], cwd=PROJECT_DIR, env=env, text=True,
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert f"{TENANT}/" in dump and PASSWORD not in dump
    searched = [root / "profiles" / "profiles.yml", root / "target" / TENANT]
    for top in searched:
        for path in [top] if top.is_file() else top.rglob("*"):
            if path.is_file() and path.suffix in (".yml", ".json", ".sql", ".log", ".txt", ".html"):
                assert PASSWORD not in path.read_text(errors="replace"), path
    assert f"env_var(''{PASSWORD_ENV}'')" in (root / "profiles" / "profiles.yml").read_text()


def test_missing_password_names_the_tenant_and_variable(pg_tenant) -> None:
    _root, env, _cli, _port = pg_tenant
    without = {k: v for k, v in env.items() if k != PASSWORD_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", "pg", "up", TENANT],
        cwd=PROJECT_DIR, env=without, text=True, capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"tenant '{TENANT}'" in result.stderr
    assert f"${PASSWORD_ENV}" in result.stderr


@pytest.mark.fast
def test_registry_refuses_a_password_and_reserved_roles(tmp_path) -> None:
    from duckhouse.tenants import RegistryError, load_registry

    registry = tmp_path / "tenants.yml"
    _registry(registry, 5432)
    registry.write_text(registry.read_text().replace(
        "          password_env:", "          password: hunter2\n          password_env:"
    ))  # fmt: skip
    with pytest.raises(RegistryError, match="never put a password in the registry"):
        load_registry(registry)
    _registry(registry, 5432, user="pg_admin")
    with pytest.raises(RegistryError, match=r"pg_admin.*reserved"):
        load_registry(registry)
    _registry(registry, 70000)
    with pytest.raises(RegistryError, match=f"tenant '{TENANT}'.*port"):
        load_registry(registry)


def test_broken_source_stops_the_build_and_keeps_the_last_one(pg_tenant) -> None:
    """Changed column type, missing table, wrong password, server down: each stops the build
    with the tenant, the server and the table named; the last build stays queryable."""
    from duckhouse.simulate.pgserver import LocalServer

    root, env, cli, port = pg_tenant
    cli("pg", "up", TENANT)
    cli("build", TENANT)
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    before = _gold(warehouse)
    server = LocalServer(port=port, directory=Path(env["DUCKHOUSE_PG_DIR"]) / str(port))
    where = f"tenant '{TENANT}': PostgreSQL 127.0.0.1:{port}/pg_t_tpch"

    def fails_with(*expected: str, run_env: dict[str, str] | None = None) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "duckhouse.cli", "build", TENANT],
            cwd=PROJECT_DIR, env=run_env or env, text=True, capture_output=True, check=False,
        )  # fmt: skip
        assert result.returncode == 1, result.stdout + result.stderr
        for text in (where, *expected):
            assert text in result.stderr, result.stderr
        assert PASSWORD not in result.stdout + result.stderr
        assert _gold(warehouse) == before, "the last good build must stay intact"

    server.psql("pg_t_tpch", "alter table orders alter column o_totalprice type double precision")
    fails_with("table public.orders column o_totalprice is DOUBLE, expected DECIMAL(15,2)")
    server.psql("pg_t_tpch", "alter table orders alter column o_totalprice type numeric(15, 2)")

    server.psql("pg_t_tpch", "alter table lineitem rename to lineitem_moved")
    fails_with("table public.lineitem is missing")
    server.psql("pg_t_tpch", "alter table lineitem_moved rename to lineitem")

    fails_with("password authentication failed", run_env={**env, PASSWORD_ENV: "wrong"})

    cli("pg", "down", TENANT)
    try:
        fails_with("cannot connect as tenant_pg_t")
    finally:
        cli("pg", "up", TENANT)
    cli("build", TENANT)
    assert _gold(warehouse) == before


def test_dagster_source_asset_checks_postgres(pg_tenant, monkeypatch) -> None:
    """In Dagster, a postgres tenant's landing asset checks its database and reports the
    rows per table it holds, with where the data lives but never who reads it or how."""
    import dagster as dg

    _root, env, cli, port = pg_tenant
    cli("pg", "up", TENANT)
    use_env(monkeypatch, env)  # its folders and the password variable
    from duckhouse.orchestration.definitions import build_definitions

    defs = build_definitions()
    key = dg.AssetKey([TENANT, "landing", "tpch"])
    result = dg.materialize([defs.resolve_assets_def(key)], selection=[key])
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.event_specific_data.materialization.metadata
    with _pg(env, port) as connection:
        (orders,) = connection.execute("select count(*) from pg.public.orders").fetchone()
    assert metadata["rows_per_table"].value["orders"] == orders
    assert metadata["source"].value == f"postgresql://127.0.0.1:{port}/pg_t_tpch"
    assert PASSWORD not in repr(metadata) and "tenant_pg_t" not in repr(metadata)


def test_extract_key_test_catches_a_repeat_of_an_older_row(pg_tenant) -> None:
    """The extract's primary-key test checks the rows the last run wrote (unique_per_landing):
    a key of those rows that an older row holds too fails it -- also an order's row, whose
    key has no line number (null: the check is null-safe). A plain `in` over the key tuple
    would let that repeat pass."""
    from duckhouse.warehouse.dbt import target_path

    root, env, cli, _port = pg_tenant
    cli("pg", "up", TENANT)
    cli("build", TENANT)
    cli("pg", "refresh", TENANT, "--orders", "3")
    cli("build", TENANT)
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    extract = "bronze.stg_tpch__order_extract"
    dbt_test = [str(Path(sys.executable).parent / "dbt"), "test", "-s", "stg_tpch__order_extract",
                "--target", TENANT, "--target-path", str(target_path(TENANT))]  # fmt: skip

    def run_test() -> subprocess.CompletedProcess:
        return subprocess.run(dbt_test, cwd=PROJECT_DIR, env=env, text=True,
                              capture_output=True, check=False)  # fmt: skip

    passed = run_test()
    assert passed.returncode == 0, passed.stdout[-3000:]
    for record_type in ("order", "line"):
        with duckdb.connect(str(warehouse)) as connection:
            (order_id,) = connection.execute(
                f"select min(order_id) from {extract} where record_type = ? "
                f"and _extracted_at = (select max(_extracted_at) from {extract})",
                [record_type],
            ).fetchone()
            connection.execute(
                f"insert into {extract} select * replace ((select min(_extracted_at) "
                f"from {extract}) as _extracted_at) from {extract} "
                "where record_type = ? and order_id = ? limit 1",
                [record_type, order_id],
            )
        failed = run_test()
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(
                f"delete from {extract} where order_id = ? and _extracted_at = "
                f"(select min(_extracted_at) from {extract})",
                [order_id],
            )
        assert failed.returncode != 0, f"{record_type}: {failed.stdout[-3000:]}"
        assert "FAIL 1 unique_per_landing_stg_tpch__order_extract" in failed.stdout, failed.stdout
    assert run_test().returncode == 0
