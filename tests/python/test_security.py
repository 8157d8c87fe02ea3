"""Tenants that do not trust each other (docs/security.md): every way in, tried as an attacker
or a careless operator would, for two real tenants (tiny_a attacks, tiny_b is the victim).

Each case asserts the refusal *and* that the other tenant's files are unchanged. What is
tried elsewhere: the object store's ports, keys and catalog (test_objectstore_security.py),
links and special files in deliveries (test_shop_deliveries.py, test_ksqldb_deliveries.py),
the dashboard's tenant parameter (test_dashboard.py), the password in `ps` while `pg up`
runs (test_postgres_source.py), `--vars` pointing a target at another tenant
(test_isolation.py).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, Lakehouse, make_env, tree_digest
from duckhouse.ingest.files import confined_zone
from duckhouse.ingest.shop import scan_zone
from duckhouse.lifecycle import ARCHIVE_DIR_NAME
from duckhouse.locks import LOCKS_DIR_NAME
from duckhouse.review import python_model_escapes
from duckhouse.services import objectstore
from duckhouse.simulate import pgserver
from duckhouse.tenants import (
    LINT_TARGET,
    RESERVED_TENANT_IDS,
    TRINO_SUFFIX,
    RegistryError,
    check_cron,
    parse_registry,
    validate_tenant_id,
)
from duckhouse.warehouse.profiles import render_profiles
from duckhouse.warehouse.sandbox import Plugin

ATTACKER, VICTIM = "tiny_a", "tiny_b"
COLLIDING_IDS = ["lint", "postgres", "dagster", "anonymous", "admin", "duckhouse", "main",
                 "memory", "system", "temp", "tiny_a_trino", "t_", "a__b", "x_s3alias",
                 "finance", "bronze", "gold_sales", "landing_x", "screenshots", "lake",
                 "staged", "tpch_pg", "src"]  # fmt: skip


def _victim_files(house: Lakehouse) -> dict[str, tuple]:
    return tree_digest(house.data_dir / VICTIM)


# -- tenant ids ---------------------------------------------------------------------------


@pytest.mark.fast
@pytest.mark.parametrize("bad", COLLIDING_IDS)
def test_an_id_that_collides_with_the_projects_own_names_is_refused(bad: str) -> None:
    with pytest.raises(RegistryError, match=r"reserved|underscore"):
        validate_tenant_id(bad)


@pytest.mark.fast
def test_the_reserved_names_are_what_the_project_itself_uses() -> None:
    """Derived, not listed by hand: the names the code uses are in the list."""
    for name in (LINT_TARGET, objectstore.PARQUET_BUCKET, "anonymous", "admin", "postgres",
                 "dagster"):  # fmt: skip
        assert name in RESERVED_TENANT_IDS, name
    with pytest.raises(RegistryError, match=TRINO_SUFFIX):
        validate_tenant_id("acme" + TRINO_SUFFIX)
    # the project's own folders under the data dir can never be a tenant's
    for folder in (ARCHIVE_DIR_NAME, LOCKS_DIR_NAME, pgserver.PG_DIR_NAME, "_dagster", "_s3"):
        with pytest.raises(RegistryError):
            validate_tenant_id(folder)
    # the Makefile's Dagster home is one of them
    assert "DAGSTER_HOME ?= $(CURDIR)/data/_dagster" in (PROJECT_DIR / "Makefile").read_text()


def test_every_folder_of_a_built_data_dir_is_a_tenant_or_the_projects(lakehouse) -> None:
    registered = {"tiny_a", "tiny_b"}
    for entry in lakehouse.data_dir.iterdir():
        if entry.name in registered:
            continue
        with pytest.raises(RegistryError):
            validate_tenant_id(entry.name)  # `_locks`, `.duckdb_extensions`, ...


@pytest.mark.parametrize("bad", ["lint", "postgres", "anonymous", "tiny_a_trino", "t_"])
def test_each_entry_point_refuses_a_colliding_id(lakehouse, bad: str, tmp_path: Path) -> None:
    before = lakehouse.registry.read_text()
    for args in (["create", bad, "--demo"], ["build", bad], ["query", bad, "select 1"],
                 ["delete", bad, "--yes"], ["lake", "append-day", bad]):  # fmt: skip
        result = lakehouse.cli(*args, check=False)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert repr(bad) in result.stderr and "Traceback" not in result.stderr
    assert lakehouse.registry.read_text() == before
    assert not (lakehouse.data_dir / bad).exists()
    # a registry that names one fails to load, naming it
    with pytest.raises(RegistryError, match=f"{bad!r}"):
        parse_registry(before.replace("id: tiny_b", f"id: {bad}"), tmp_path / "tenants.yml")


# -- duckhouse query -------------------------------------------------------------------------


def _hostile_queries(house: Lakehouse) -> dict[str, str]:
    victim = house.data_dir / VICTIM
    return {
        "read another tenant's landing": (
            f"select count(*) from read_parquet('{victim}/landing/tpch/orders.parquet')"
        ),
        "read a system file": "select * from read_text('/etc/hostname')",
        "attach another tenant's warehouse": f"attach '{victim}/{VICTIM}.duckdb' as v",
        "copy into another tenant's landing": (
            f"copy (select 1 as o_orderkey) to '{victim}/landing/shop/orders_999.csv'"
        ),
        "write": "create table main.x as select 1",
        "insert": "insert into finance.revenue_monthly select * from finance.revenue_monthly",
        "switch the sandbox off": "set enable_external_access = true",
        "widen the sandbox": f"set allowed_directories = ['{victim}/']",
        "install an extension": "install httpfs",
        "load an extension": "load httpfs",
        "a write after a query": "select 1; drop view finance.revenue_monthly",
        "export": f"export database '{victim}/landing'",
        "a table function on a path": f"select * from glob('{victim}/*')",
        "explain analyze of a write": "explain analyze create temp table t as select 1",
        "a parse error": "selec 1",
    }


def test_duckhouse_query_refuses_every_way_out_in_one_line(lakehouse) -> None:
    victim = _victim_files(lakehouse)
    own = lakehouse.warehouse(ATTACKER).with_name("published") / f"{ATTACKER}.duckdb"
    own_before = own.read_bytes()
    for what, sql in _hostile_queries(lakehouse).items():
        result = lakehouse.cli("query", ATTACKER, sql, check=False)
        assert result.returncode in (1, 2), (what, result.stdout)
        assert "Traceback" not in result.stderr, (what, result.stderr)
        assert result.stderr.startswith("duckhouse"), (what, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (what, result.stderr)
    assert _victim_files(lakehouse) == victim
    assert own.read_bytes() == own_before
    # and a query still answers
    answer = lakehouse.cli("query", ATTACKER, "select count(*) from finance.revenue_monthly")
    assert "count_star()" in answer.stdout


# -- dbt: a model, a Python model's session, run-operation, the lint target -----------------


EVIL_SQL = "select * from read_parquet('{victim}/landing/tpch/orders.parquet')\n"
EVIL_PY = """
def model(dbt, session):
    return session.sql("select * from read_text('{victim}/{victim_id}.duckdb')")
"""
EVIL_ZONE = """
from duckhouse.ingest.files import confined_zone
from duckhouse.ingest.shop import zone_inventory


def model(dbt, session):
    zone_inventory(confined_zone(session, "{victim}/landing/shop"))
    return session.sql("select 1 as x")
"""
EVIL_MACRO = """
{% macro evil_seed() %}
  {% do run_query("copy (select 'EUR' as currency, 9 as rate) to 'seeds/currency_rates.csv'") %}
{% endmacro %}
{% macro evil_victim() %}
  {% do run_query("copy (select 1 as a) to '" ~ var('victim') ~ "/landing/x.csv'") %}
{% endmacro %}
"""


@pytest.fixture(scope="module")
def attacker_project(lakehouse, tmp_path_factory) -> Path:
    """A copy of the project with an attacker's models and macros (as a pull request that
    nobody reviewed would add), run against tiny_a's own target."""
    root = tmp_path_factory.mktemp("attacker") / "project"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=PROJECT_DIR, text=True,
        capture_output=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in listed:
        source = PROJECT_DIR / name
        if source.is_file() and not name.startswith(("benchmarks/", "tests/python/")):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    victim = lakehouse.data_dir / VICTIM
    models = root / "models" / "evil"
    models.mkdir()
    (models / "evil_sql.sql").write_text(EVIL_SQL.format(victim=victim))
    (models / "evil_py.py").write_text(EVIL_PY.format(victim=victim, victim_id=VICTIM))
    (models / "evil_zone.py").write_text(EVIL_ZONE.format(victim=victim))
    (root / "macros" / "evil.sql").write_text(EVIL_MACRO)
    return root


def _dbt(house: Lakehouse, project: Path, target: str, *args: str) -> str:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *args, "--target", target,
         "--project-dir", str(project), "--profiles-dir", str(house.profiles_dir),
         "--target-path", str(project / "target" / target)],
        cwd=project, env=house.env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0, result.stdout[-3000:]
    return result.stdout


def test_a_model_and_a_python_models_session_cannot_leave_the_tenant(
    lakehouse, attacker_project
) -> None:
    victim = _victim_files(lakehouse)
    out = _dbt(lakehouse, attacker_project, ATTACKER, "run", "-s", "evil_sql", "evil_py",
               "evil_zone")  # fmt: skip
    assert out.count("ERROR creating") == 3 or out.count("ERROR") >= 3, out[-3000:]
    for model in ("evil_sql", "evil_py", "evil_zone"):
        assert model in out
    assert out.count("Permission Error") >= 2, out[-3000:]  # DuckDB's sandbox
    assert "outside this tenant's sandbox" in out  # the landing readers' check
    assert _victim_files(lakehouse) == victim


def test_run_operation_cannot_write_the_shared_seeds_or_another_tenant(
    lakehouse, attacker_project
) -> None:
    seeds = tree_digest(attacker_project / "seeds")
    victim = _victim_files(lakehouse)
    aimed = ["--vars", f"{{victim: '{lakehouse.data_dir / VICTIM}'}}"]
    for macro, extra in (("evil_seed", []), ("evil_victim", aimed)):
        out = _dbt(lakehouse, attacker_project, ATTACKER, "run-operation", macro, *extra)
        assert "Permission Error" in out, out[-2000:]
    assert tree_digest(attacker_project / "seeds") == seeds
    assert _victim_files(lakehouse) == victim
    # dbt's own output (compiled SQL, `dbt show` rows in its log) is the user's alone too
    assert stat.S_IMODE((attacker_project / "target").stat().st_mode) == 0o700


def test_the_lint_target_reaches_no_file(lakehouse, attacker_project) -> None:
    victim = _victim_files(lakehouse)
    orders = lakehouse.landing(VICTIM) / "tpch" / "orders.parquet"
    for sql in ("select * from read_text('/etc/hostname')",
                f"select * from read_parquet('{orders}')"):  # fmt: skip
        out = _dbt(lakehouse, attacker_project, LINT_TARGET, "show", "--inline", sql)
        assert "Permission Error" in out, out[-2000:]
    # and it builds nothing: no silent build into memory that `list` calls "never built"
    out = _dbt(lakehouse, attacker_project, LINT_TARGET, "build", "-s", "stg_tpch__orders")
    assert "target 'lint' compiles and lints only" in out, out[-2000:]
    assert _victim_files(lakehouse) == victim


def test_no_duckdb_target_is_without_a_sandbox(lakehouse) -> None:
    import yaml

    from duckhouse.tenants import load_registry

    profiles = yaml.safe_load(render_profiles(load_registry(lakehouse.registry)))
    for name, output in profiles["duckhouse"]["outputs"].items():
        if output["type"] != "duckdb":
            continue
        plugins = [p["module"] for p in output.get("plugins", [])]
        assert plugins == ["duckhouse.warehouse.sandbox"], name
        directories = output["plugins"][0]["config"]["allowed_directories"]
        assert all("seeds" not in d for d in directories), (name, directories)
        own = f"{{{{ env_var('DUCKHOUSE_DATA_DIR', 'data') }}}}/{name}/"
        assert directories == ([] if name == LINT_TARGET else [own]), (name, directories)


@pytest.mark.fast
def test_the_sandboxed_session_confines_the_python_readers(tmp_path: Path) -> None:
    own, other = tmp_path / "t1", tmp_path / "t1_other"
    for folder in (own / "landing" / "shop", other / "landing" / "shop"):
        folder.mkdir(parents=True)
    plugin = Plugin("duckhouse.warehouse.sandbox", {"allowed_directories": [str(own)]})
    connection = duckdb.connect()
    plugin.configure_cursor(connection)
    assert confined_zone(connection, str(own / "landing" / "shop")) == own / "landing" / "shop"
    for escape in (other / "landing" / "shop", own / ".." / "t1_other" / "landing", "/etc"):
        with pytest.raises(PermissionError, match="outside"):
            confined_zone(connection, str(escape))
    with pytest.raises(PermissionError, match="no sandbox"):
        confined_zone(duckdb.connect(), str(own / "landing"))


@pytest.mark.fast
def test_check_project_refuses_a_python_model_that_opens_its_own_way_out() -> None:
    for code in ("import duckdb\ndef model(dbt, session):\n    return duckdb.connect('x')\n",
                 "def model(dbt, session):\n    open('/etc/passwd').read()\n",
                 "import os\ndef model(dbt, session):\n    os.listdir('/')\n",
                 "from pathlib import Path\ndef model(dbt, session):\n    Path('/x').read_text()\n",
                 "def model(dbt, session):\n    exec('1')\n"):  # fmt: skip
        assert python_model_escapes(code), code
    for model in (PROJECT_DIR / "models").rglob("*.py"):
        assert python_model_escapes(model.read_text()) == [], model


def test_a_link_in_a_delivery_to_another_tenants_file_is_refused(lakehouse, tmp_path) -> None:
    zone = tmp_path / "shop"
    (zone / "orders").mkdir(parents=True)
    target = next((lakehouse.landing(VICTIM) / "shop" / "orders").glob("orders_*.csv"))
    (zone / "orders" / "orders_001.csv").symlink_to(target)
    os.link(target, zone / "orders" / "orders_002.csv")  # a hard link: the same bytes
    found = {entry.relative: entry for entry in scan_zone(zone)}
    assert found["orders/orders_001.csv"].status == "refused", found
    assert found["orders/orders_002.csv"].status == "refused", found


# -- operators' mistakes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "cron", ["a b c d e", "0 6 * *", "61 * * * *", "0 0 30 2 *", "*/0 * * * *"]
)
def test_a_bad_cron_is_refused_before_anything_is_written(lakehouse, cron: str) -> None:
    before = lakehouse.registry.read_text()
    result = lakehouse.cli("create", "newt", "--demo", "--cron", cron, check=False)
    assert result.returncode == 2 and "schedule.cron" in result.stderr, result.stderr
    assert lakehouse.registry.read_text() == before
    assert not (lakehouse.data_dir / "newt").exists()
    assert check_cron(cron)


def test_a_bad_timezone_or_display_name_is_refused(lakehouse) -> None:
    before = lakehouse.registry.read_text()
    for args in (["--timezone", "Mars/Olympus"], ["--display-name", "evil\x1b[2J"]):
        result = lakehouse.cli("create", "newt", "--demo", *args, check=False)
        assert result.returncode == 2, result.stderr
    assert lakehouse.registry.read_text() == before


def _private(path: Path) -> list[str]:
    """Entries under `path` that group or others may read, write or enter."""
    loose = []
    for folder, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            entry = Path(folder) / name
            mode = entry.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                loose.append(f"{entry} {stat.filemode(mode)}")
    return loose


def test_what_duckhouse_writes_is_its_users_alone(lakehouse) -> None:
    for tenant in (ATTACKER, VICTIM):
        folder = lakehouse.data_dir / tenant
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        assert _private(folder) == []
    assert _private(lakehouse.data_dir / LOCKS_DIR_NAME) == []


def _tenant_house(tmp_path: Path, tenant: str = "mallet") -> Lakehouse:
    registry = tmp_path / "tenants.yml"
    registry.write_text(
        "tenants:\n"
        f"  - id: {tenant}\n"
        "    display_name: Careless operator\n"
        "    sources:\n"
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 2, events_per_day: 40, files_per_day: 2}\n"
        "      shop: {mode: generated, customers: 20, products: 10, orders: 60}\n"
        "    schedule: {cron: '0 3 * * *', timezone: UTC}\n"
    )
    house = Lakehouse(tmp_path / "data", registry, tmp_path / "profiles",
                      make_env(tmp_path, registry))  # fmt: skip
    house.cli("profiles")  # its dbt targets (`list` reads the public views through dbt)
    return house


@pytest.mark.fast
def test_delete_refuses_a_linked_tenant_folder_and_keeps_everything(tmp_path: Path) -> None:
    house = _tenant_house(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "landing").mkdir(parents=True)
    (elsewhere / "keep.txt").write_text("not duckhouse's\n")
    house.data_dir.mkdir()
    (house.data_dir / "mallet").symlink_to(elsewhere)
    before, registry = tree_digest(elsewhere), house.registry.read_text()
    result = house.cli("delete", "mallet", "--yes", check=False)
    assert result.returncode == 2 and "symbolic link" in result.stderr, result.stderr
    assert tree_digest(elsewhere) == before
    assert house.registry.read_text() == registry
    assert (house.data_dir / "mallet").is_symlink()


@pytest.mark.fast
def test_a_corrupt_warehouse_is_reported_as_corrupt_and_can_be_deleted(tmp_path: Path) -> None:
    house = _tenant_house(tmp_path)
    house.data_dir.mkdir(mode=0o700)
    (house.data_dir / "mallet").mkdir(mode=0o700)
    (house.data_dir / "mallet" / "mallet.duckdb").write_bytes(b"not a database" * 1000)
    listed = house.cli("list", "--json")
    assert '"status": "corrupt warehouse"' in listed.stdout, listed.stdout
    deleted = house.cli("delete", "mallet", "--yes")
    assert "archive" in deleted.stdout
    archives = list((house.data_dir / ARCHIVE_DIR_NAME).iterdir())
    assert len(archives) == 1 and stat.S_IMODE(archives[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((house.data_dir / ARCHIVE_DIR_NAME).stat().st_mode) == 0o700


def test_while_a_build_runs_delete_is_refused_list_says_building_and_readers_read(
    tmp_path: Path,
) -> None:
    """One lock that landing, build and delete take; readers of the audited build take none
    and never fail the build (a reader holds the published copy open the whole time)."""
    house = _tenant_house(tmp_path)
    house.cli("build", "mallet")
    published = house.data_dir / "mallet" / "published" / "mallet.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, time\n"
         f"c = duckdb.connect({str(published)!r}, read_only=True)\n"
         "c.execute('select count(*) from finance.revenue_monthly').fetchall()\n"
         "print('reading', flush=True)\n"
         "time.sleep(600)\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    holder = house.data_dir / LOCKS_DIR_NAME / "mallet.holder"
    try:
        assert reader.stdout.readline().strip() == "reading"
        build = subprocess.Popen(
            [sys.executable, "-m", "duckhouse.cli", "build", "mallet", "--force-land"],
            cwd=PROJECT_DIR, env=house.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while f'"pid": {build.pid}' not in (holder.read_text() if holder.exists() else ""):
            assert time.monotonic() < deadline and build.poll() is None, "the build took no lock"
            time.sleep(0.1)
        refused = house.cli("delete", "mallet", "--yes", check=False)
        listed = house.cli("list", "--json")
        queried = house.cli("query", "mallet", "select count(*) as n from finance.revenue_monthly")
        still_building = build.poll() is None
        output, _ = build.communicate(timeout=600)
    finally:
        reader.kill()
    assert still_building, "the build ended before the probes: the test proves nothing"
    assert build.returncode == 0, output[-3000:]
    assert refused.returncode == 1 and "is busy" in refused.stderr, refused.stderr
    assert "duckhouse build" in refused.stderr and str(build.pid) in refused.stderr
    assert '"status": "building"' in listed.stdout, listed.stdout
    assert "│ n" in queried.stdout or " n " in queried.stdout, queried.stdout
    assert (house.data_dir / "mallet" / "mallet.duckdb").is_file()
    assert "id: mallet" in house.registry.read_text()


def test_force_land_after_append_day_keeps_building(tmp_path: Path) -> None:
    house = _tenant_house(tmp_path)
    house.cli("build", "mallet")
    house.cli("lake", "append-day", "mallet")
    house.cli("build", "mallet")

    def events() -> int:
        with duckdb.connect(str(house.data_dir / "mallet" / "mallet.duckdb"), read_only=True) as c:
            return c.execute("select count(*) from silver.fct_transaction_events").fetchone()[0]

    three_days = events()
    house.cli("build", "mallet", "--force-land")  # the lake regenerated as it was: 3 days
    assert events() == three_days
    house.cli("lake", "append-day", "mallet")
    house.cli("build", "mallet")  # and later builds keep working
    assert events() > three_days
    house.cli("build", "mallet", "--full-refresh")
    assert events() > three_days


# -- what a tenant's build leaves in its warehouse runs only inside the tenant's walls --------


def _planted_warehouse(data_dir: Path, tenant: str, secret: Path) -> Path:
    """A tenant warehouse holding what the tenant's dbt session could leave behind: a macro
    shadowing a built-in with a path as its default (DuckDB binds the default only when it
    runs), and views reading another tenant's file."""
    folder = data_dir / tenant
    folder.mkdir(parents=True)
    path = folder / f"{tenant}.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            f"create macro main.to_json(x, p := '{secret}') as (select string_agg(content) "
            "from read_text(p))"
        )
        connection.execute("create schema gold_sales")
        connection.execute(
            "create table gold_sales.mart_sales__kpi_summary as select 1 as orders, 2.5 as revenue"
        )
        connection.execute("create schema finance")
        connection.execute(
            f"create view finance.revenue_monthly as select content from read_text('{secret}')"
        )
        connection.execute("create schema duckhouse_meta")
        connection.execute(
            "create view duckhouse_meta.builds as select content as invocation_id, "
            f"now() as started_at from read_text('{secret}')"
        )
    return path


def test_duckhouses_own_sql_on_a_tenants_warehouse_is_sandboxed(tmp_path, monkeypatch) -> None:
    from duckhouse.services import publish
    from duckhouse.warehouse import audit
    from duckhouse.warehouse.readers import connect_sandboxed

    secret = tmp_path / "data" / "victim" / "kpi_summary.json"
    secret.parent.mkdir(parents=True)
    secret.write_text('{"tenant_id": "victim", "revenue": "SECRET-61467"}')
    monkeypatch.setenv("DUCKHOUSE_DATA_DIR", str(tmp_path / "data"))
    warehouse = _planted_warehouse(tmp_path / "data", "mallory", secret)

    # the publish step: the built-in to_json, by its full name, in a sandboxed connection
    with pytest.raises(duckdb.Error, match=r"Permission Error|disabled by configuration"):
        audit.publish_audited("mallory")  # the planted builds view reads the secret: refused
    kpi = tmp_path / "data" / "mallory" / "kpi_summary.json"
    assert not kpi.exists() or "SECRET" not in kpi.read_text()
    with connect_sandboxed(warehouse, read_only=True) as connection:
        assert "SECRET" not in (audit._kpi_rows(connection) or "")
        with pytest.raises(duckdb.Error, match="Permission Error"):
            connection.execute("select * from finance.revenue_monthly").fetchall()
    # the object-store publish copies the relations in a sandbox before any S3 connection
    staging = tmp_path / "data" / "mallory" / ".publish-x"
    staging.mkdir()
    with pytest.raises(duckdb.Error, match="Permission Error"):
        publish._stage("mallory", warehouse, staging / "mallory.duckdb")
    assert "SECRET" in secret.read_text()  # the victim's file is as it was


def test_the_reader_parses_in_a_sandbox_too(lakehouse, tmp_path) -> None:
    """Parsing expands `PRAGMA import_database`, which reads its folder's schema.sql."""
    exported = tmp_path / "exported"
    exported.mkdir()
    (exported / "schema.sql").write_text("topsecret_token_123 create table x (a int);\n")
    result = lakehouse.cli("query", ATTACKER, f"pragma import_database('{exported}')", check=False)
    assert result.returncode == 2 and "topsecret" not in result.stdout + result.stderr
    assert "Permission Error" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.fast
def test_a_tenants_postgres_options_cannot_reach_another_tenants_secret(tmp_path) -> None:
    def registry(*entries: str) -> str:
        return "tenants:\n" + "".join(entries)

    def pg(tenant: str, host: str = "127.0.0.1", env: str | None = None, db: str = "") -> str:
        env = env or f"DUCKHOUSE_PG_{tenant.upper()}_PASSWORD"
        return (
            f"  - id: {tenant}\n    display_name: {tenant}\n    sources:\n      tpch:\n"
            "        mode: postgres\n        scale_factor: 0.01\n"
            f"        postgres: {{host: '{host}', port: 5432, database: {db or tenant + '_db'}, "
            f"user: {tenant}_user, password_env: {env}}}\n"
            "      ksqldb: {mode: delivered}\n      shop: {mode: delivered}\n"
            "    schedule: {cron: '0 3 * * *', timezone: UTC}\n"
        )

    path = tmp_path / "tenants.yml"
    assert len(parse_registry(registry(pg("pa"), pg("pb")), path)) == 2
    for bad, message in (
        (registry(pg("pa"), pg("pb", env="DUCKHOUSE_PG_PA_PASSWORD")), "must be DUCKHOUSE_PG_PB"),
        (registry(pg("pa", env="AWS_SECRET_ACCESS_KEY")), "the tenant's own variable"),
        (registry(pg("pa", host='{{ env_var("DUCKHOUSE_PG_PB_PASSWORD") }}.x')), "not a host"),
        (registry(pg("pa", host="db;rm -rf")), "not a host"),
        (registry(pg("pa"), pg("pb", db="pa_db")), "is tenant 'pa's"),
    ):
        with pytest.raises(RegistryError, match=message):
            parse_registry(bad, path)


@pytest.mark.fast
def test_a_linked_landing_folder_is_never_written_through(tmp_path: Path) -> None:
    house = _tenant_house(tmp_path)
    victim = tmp_path / "victim_landing"
    (victim / "tpch").mkdir(parents=True)
    (victim / "tpch" / "orders.parquet").write_bytes(b"the victim's bytes")
    before = tree_digest(victim)
    (house.data_dir / "mallet").mkdir(parents=True)
    (house.data_dir / "mallet" / "landing").symlink_to(victim)
    for args in (["land", "mallet", "--force"], ["build", "mallet"],
                 ["lake", "append-day", "mallet"], ["shop", "generate", "mallet"]):  # fmt: skip
        result = house.cli(*args, check=False)
        assert result.returncode == 2 and "symbolic link" in result.stderr, (args, result.stderr)
    assert tree_digest(victim) == before


@pytest.mark.fast
def test_registry_text_is_never_markup_and_delivered_names_never_escape_codes(
    tmp_path: Path,
) -> None:
    from duckhouse.ingest.files import terminal_safe

    house = _tenant_house(tmp_path)
    house.registry.write_text(
        house.registry.read_text().replace("Careless operator", "'[/] [red]spoofed'")
    )
    listed = house.cli("list")
    assert "[/] [red]spoofed" in listed.stdout and "Traceback" not in listed.stderr
    shown = terminal_safe("readme_\x1b[2J\x1b]0;PWNED\x07\u202e.txt")
    assert shown == "readme_\\x1b[2J\\x1b]0;PWNED\\x07\\u202e.txt"
    assert terminal_safe("ünïcode €.csv") == "ünïcode €.csv"


@pytest.mark.fast
def test_a_data_dir_that_would_be_read_as_a_partition_or_jinja_is_refused(tmp_path) -> None:
    _tenant_house(tmp_path)  # a registry with one tenant, mallet
    for odd in ("user_id=666", "{{ x }}"):
        env = make_env(tmp_path / odd, tmp_path / "tenants.yml")
        result = subprocess.run(
            [sys.executable, "-m", "duckhouse.cli", "land", "mallet"], cwd=PROJECT_DIR, env=env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 2 and "cannot be part of the data dir" in result.stderr
