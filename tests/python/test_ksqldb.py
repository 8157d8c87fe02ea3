"""The ksqlDB export lake: generated deterministically, managed as feeds, landed
incrementally file by file, made exactly-once in silver, reconciled in gold, and robust to
the faults real exports have (drift, duplicates, late events, empty and non-Parquet files)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, make_env, run_cli

TENANT = "lake_t"
LAKE_SIZE = "{seed: 11, days: 12, events_per_day: 150, files_per_day: 3}"


def _registry(path: Path, ksqldb: str = LAKE_SIZE, feeds: str = "") -> None:
    path.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: Lake tenant\n"
        "    sources:\n"
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      shop: {mode: generated}\n"
        f"      ksqldb: {{mode: generated, {ksqldb[1:-1]}{feeds}}}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


@pytest.fixture
def lake_tenant(tmp_path):
    registry = tmp_path / "tenants.yml"
    _registry(registry)
    env = make_env(tmp_path, registry)
    run_cli(env, "profiles")
    return tmp_path, env


def _lake(root: Path) -> Path:
    return root / "data" / TENANT / "landing" / "ksqldb"


def _digest(lake: Path) -> dict[str, str]:
    return {
        str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake.rglob("*.parquet"))
    }


def _query(root: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(root / "data" / TENANT / f"{TENANT}.duckdb"), read_only=True) as db:
        return db.execute(sql).fetchall()


def test_generated_lake_is_deterministic_and_shaped_like_the_exports(tmp_path) -> None:
    digests = []
    for run in ("one", "two"):
        registry = tmp_path / run / "tenants.yml"
        registry.parent.mkdir()
        _registry(registry, "{seed: 5, days: 3, events_per_day: 40, files_per_day: 2}")
        env = make_env(tmp_path / run, registry)
        run_cli(env, "land", TENANT)
        digests.append(_digest(_lake(tmp_path / run)))
    assert digests[0] == digests[1], "same seed, same lake"
    lake = _lake(tmp_path / "one")
    day = lake / "streams/transaction_stream/year=2026/month=01/day=02"
    assert sorted(p.name for p in day.iterdir()) == [
        "data_20260102_115959.parquet",
        "data_20260102_235959.parquet",
    ]
    assert (lake / "streams/transaction_stream/_metadata.json").is_file()
    assert (lake / "feeds/active/payment_method_totals.json").is_file()
    # tables are versioned snapshots, the last seven kept
    env = make_env(tmp_path / "one", tmp_path / "one" / "tenants.yml")
    for _ in range(8):
        run_cli(env, "lake", "append-day", TENANT)
    versions = sorted(
        p.name for p in (lake / "tables/payment_method_totals").iterdir() if p.is_dir()
    )
    assert versions == [f"version=v{n}" for n in (3, 4, 5, 6, 7, 8, 9)]


def test_feeds_are_managed_and_disabled_feeds_are_not_landed(lake_tenant) -> None:
    root, env = lake_tenant
    run_cli(env, "land", TENANT)
    listing = run_cli(env, "feeds", "list", TENANT).stdout
    assert "transaction_stream_blacklisted" in listing and "active" in listing
    run_cli(env, "feeds", "disable", TENANT, "transaction_stream_blacklisted")
    run_cli(env, "feeds", "archive", TENANT, "transaction_stream_anonymized")
    listing = run_cli(env, "feeds", "list", TENANT).stdout
    assert any("blacklisted" in line and "disabled" in line for line in listing.splitlines())
    assert any("anonymized" in line and "archived" in line for line in listing.splitlines())
    refused = run_cli(env, "feeds", "add", TENANT, "transaction_stream", check=False)
    assert refused.returncode == 1 and "already defined" in refused.stderr
    unknown = run_cli(env, "feeds", "disable", TENANT, "no_such_feed", check=False)
    assert unknown.returncode == 1 and "unknown feed 'no_such_feed'" in unknown.stderr

    # the registry lists the feeds a tenant has: sync archives the others, adds back the
    # archived ones it names, and leaves an operator's `disable` alone
    _registry(Path(env["DUCKHOUSE_REGISTRY"]), feeds=(
        ", feeds: [transaction_stream, transaction_flattened, transaction_stream_anonymized, "
        "transaction_stream_blacklisted, user_transaction_summary, "
        "user_transaction_summary_eur, payment_method_totals]"
    ))  # fmt: skip
    synced = run_cli(env, "feeds", "sync", TENANT).stdout
    assert "added ['transaction_stream_anonymized']" in synced
    assert "archived ['product_purchase_counts']" in synced
    listing = run_cli(env, "feeds", "list", TENANT).stdout
    assert any("blacklisted" in line and "disabled" in line for line in listing.splitlines())

    # the registry is the source of truth: every landing syncs, so a feed comes back by
    # naming it there again; the build does not land the disabled one
    _registry(Path(env["DUCKHOUSE_REGISTRY"]))
    run_cli(env, "build", TENANT)
    # the inventory lists every file; only the valid data files land
    landed = dict(_query(root, (
        "select feed, count(*) from bronze.inventory_ksqldb__lake_files "
        "where file_kind = 'data' and status = 'valid' group by feed"
    )))  # fmt: skip
    assert "transaction_stream_blacklisted" not in landed
    assert landed["transaction_stream"] == 12 * 3
    reasons = _query(root, (
        "select distinct reason from bronze.inventory_ksqldb__lake_files "
        "where feed = 'transaction_stream_blacklisted' and file_kind = 'data'"
    ))  # fmt: skip
    assert reasons == [("feed transaction_stream_blacklisted is disabled: not landed",)]
    (rows,) = _query(
        root, "select count(*) from bronze.stg_ksqldb__transaction_stream_blacklisted"
    )[0]
    assert rows == 0


def _independent_totals(lake: Path, skip: set[str]) -> dict:
    """Exactly-once totals straight from the raw export files, in plain Python."""
    rates = {}
    for line in (PROJECT_DIR / "seeds" / "currency_rates.csv").read_text().splitlines()[1:]:
        currency, rate = line.split(",")
        rates[currency] = rate
    from decimal import ROUND_HALF_UP, Decimal

    events = {}
    files = sorted((lake / "streams" / "transaction_stream").rglob("*.parquet"))
    with duckdb.connect() as db:
        for path in files:
            if str(path.relative_to(lake)) in skip:
                continue
            for event_id, method, amount, currency, when in db.execute(
                "select event_id, payment.method, payment.amount, payment.currency, "
                "cast(event_time as date) from read_parquet(?)", [str(path)]
            ).fetchall():  # fmt: skip
                events.setdefault(event_id, (method, Decimal(amount), currency, when))
    by_method: dict[str, list] = {}
    by_day: dict = {}
    for method, amount, currency, when in events.values():
        eur = (amount * Decimal(rates[currency])).quantize(Decimal("0.01"), ROUND_HALF_UP)
        count, total = by_method.get(method, (0, Decimal(0)))
        by_method[method] = (count + 1, total + eur)
        by_day[when] = by_day.get(when, 0) + 1
    return {"events": len(events), "by_method": by_method, "by_day": by_day}


def _gold(root: Path) -> dict[str, list[tuple]]:
    """Silver and gold, columns in name order (an incremental run appends a drift column
    at the end), without the landing times (which a rebuild changes by design)."""

    def rows(relation: str) -> list[tuple]:
        columns = sorted(
            name
            for (name,) in _query(root, f"select column_name from (describe {relation})")
            if name not in ("_first_landed_at", "_last_landed_at", "_landed_through")
        )
        return _query(root, f"select {', '.join(columns)} from {relation} order by all")

    return {
        relation: rows(relation)
        for relation in (
            "silver.fct_transaction_events",
            "silver.dim_user",
            "silver.dim_payment_method",
            "gold_payments.mart_payments__user_currency_totals",
            "gold_payments.mart_payments__user_transaction_summary",
            "gold_payments.mart_payments__payment_method_totals",
            "gold_payments.mart_payments__product_purchase_counts",
            "gold_payments.mart_payments__daily_volumes",
        )
    }


def test_faults_incremental_exactly_once_and_reconciliation(lake_tenant) -> None:
    root, env = lake_tenant
    run_cli(env, "build", TENANT)
    lake = _lake(root)
    (events,) = _query(root, "select count(*) from silver.fct_transaction_events")[0]
    assert events == 12 * 150

    # the faults real exports have, then one more day
    written = {}
    for fault in ("duplicates", "late", "empty", "not-parquet", "drift"):
        out = run_cli(env, "lake", "inject", TENANT, fault, "--count", "7").stdout
        written[fault] = [line.strip() for line in out.splitlines()[1:]]
    run_cli(env, "lake", "append-day", TENANT)
    built = run_cli(env, "build", TENANT)
    # the build lands everything valid and says which files it skipped, and why
    assert "ksqldb: 2 file(s) quarantined, not landed:" in built.stdout
    for fault, reason in (("empty", "empty file"), ("not-parquet", "not a readable Parquet")):
        relative = str(Path(written[fault][0]).relative_to(lake))
        assert any(relative in line and reason in line for line in built.stdout.splitlines())

    # incremental: the second build landed only the new files
    (landed_files,) = _query(
        root,
        "select count(distinct _source_file) from bronze.stg_ksqldb__transaction_stream "
        "where _loaded_at = (select max(_loaded_at) from bronze.stg_ksqldb__transaction_stream)",
    )[0]
    assert landed_files == 3 + 1 + 1  # a new day (3 exports), the duplicates, the late file

    # counts conserved: every delivery is in silver once or counted as a duplicate
    (bronze_rows,) = _query(root, "select count(*) from bronze.stg_ksqldb__transaction_stream")[0]
    (silver_rows, deliveries, duplicated) = _query(
        root,
        "select count(*), sum(delivery_count), count(*) filter (delivery_count > 1) "
        "from silver.fct_transaction_events",
    )[0]
    assert bronze_rows == deliveries == silver_rows + 7
    assert duplicated == 7
    assert silver_rows == 13 * 150 + 7  # thirteen days and seven late events

    # drift: the new column is in silver, null for the partitions before it
    (with_channel, without) = _query(
        root,
        "select count(channel), count(*) filter (channel is null) "
        "from silver.fct_transaction_events",
    )[0]
    assert with_channel == 150 and without == silver_rows - 150

    # numbers: equal to an independent computation over the raw files
    skip = {str(Path(written[f][0]).relative_to(lake)) for f in ("empty", "not-parquet")}
    expected = _independent_totals(lake, skip)
    assert expected["events"] == silver_rows
    methods = {
        m: (c, t)
        for m, c, t in _query(
            root,
            "select payment_method, transaction_count, total_amount_eur "
            "from gold_payments.mart_payments__payment_method_totals",
        )
    }
    assert methods == expected["by_method"]
    per_day = dict(
        _query(
            root,
            "select event_date, sum(transaction_count) "
            "from gold_payments.mart_payments__daily_volumes group by all",
        )
    )
    assert per_day == expected["by_day"], "late events count on the day they happened"
    (late,) = _query(
        root, "select sum(late_delivery_count) from gold_payments.mart_payments__daily_volumes"
    )[0]
    assert late == 7
    # reconciled with ksqlDB's own tables (the build's singular test passed too)
    (differences,) = _query(
        root,
        "select count(*) from gold_payments.mart_payments__ksqldb_reconciliation "
        "where difference != 0",
    )[0]
    assert differences == 0

    # incremental equals a full refresh: after the faults and a day, after one more day
    # with a duplicate of an old event in it, and after a rebuild of the bronze stream
    # alone (its deliveries all land again: merged into silver and gold, they would
    # count twice)
    incremental = _gold(root)
    assert _rows_landed_last(root, "silver.fct_transaction_events") == 150 + 7 + 7
    run_cli(env, "build", TENANT, "--full-refresh")
    _assert_same(incremental, _gold(root))

    run_cli(env, "lake", "inject", TENANT, "duplicates", "--count", "3")
    run_cli(env, "lake", "append-day", TENANT)
    run_cli(env, "build", TENANT)
    incremental = _gold(root)
    assert _rows_landed_last(root, "silver.fct_transaction_events") == 150 + 3
    (deliveries,) = _query(
        root, "select sum(delivery_count) - count(*) from silver.fct_transaction_events"
    )[0]
    assert deliveries == 7 + 3
    dbt = [str(PROJECT_DIR / ".venv" / "bin" / "dbt"), "run", "--target", TENANT,
           "--target-path", str(root / "dbt_target")]  # fmt: skip
    subprocess.run(
        [*dbt, "--full-refresh", "--select", "stg_ksqldb__transaction_stream"],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*dbt, "--select", "stg_ksqldb__transaction_stream+"],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    _assert_same(incremental, _gold(root))
    run_cli(env, "build", TENANT, "--full-refresh")
    _assert_same(incremental, _gold(root))


def _rows_landed_last(root: Path, relation: str) -> int:
    """Rows the newest build of an incremental model wrote (its watermark column)."""
    column = "_last_landed_at" if relation.endswith("fct_transaction_events") else "_landed_through"
    newest = f"(select max({column}) from {relation})"
    return _query(root, f"select count(*) from {relation} where {column} = {newest}")[0][0]


def _assert_same(incremental: dict[str, list[tuple]], full: dict[str, list[tuple]]) -> None:
    for relation, rows in incremental.items():
        assert len(rows) == len(full[relation]), relation
        assert rows == full[relation], relation
