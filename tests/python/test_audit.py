"""Readers only ever see audited builds (write-audit-publish): a build whose tests fail
leaves the public views, `duckhouse query`, the dashboard's snapshot and kpi_summary.json on
the last build that passed, prints its failing rows with the file and line they came from,
and the next good build publishes. A build killed with SIGKILL leaves the warehouse openable,
the readers' view unchanged and `duckhouse list` saying `interrupted`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, Lakehouse, make_env

TENANT = "wap"
HEADER = "order_id,customer_id,product_id,order_date,quantity,amount,status,payment_method\n"
VIEWS = ("finance.revenue_monthly", "marketing.segment_performance", "marketing.top_brands")


def _registry(path: Path) -> None:
    path.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: Audited tenant\n"
        "    sources:\n"
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 1, events_per_day: 20, files_per_day: 1}\n"
        "      shop: {mode: delivered}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


def _deliver(zone: Path, relative: str, text: str) -> None:
    path = zone / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _readers_see(house: Lakehouse) -> dict:
    """Everything a reader sees of the tenant: the views, the KPI file, the dashboard's
    current snapshot and what `duckhouse query` answers."""
    published = house.data_dir / TENANT / "published" / f"{TENANT}.duckdb"
    with duckdb.connect(str(published), read_only=True) as connection:
        views = {
            view: connection.execute(f"select * from {view} order by all").fetchall()
            for view in VIEWS
        }
        (revenue,) = connection.execute(
            "select revenue from gold_sales.mart_sales__kpi_summary"
        ).fetchone()
    # the dashboard's current snapshot: the newest complete one (docs/dashboard.md)
    snapshot = max(
        p.parent.name for p in (house.data_dir / TENANT / "dashboard").glob("*/_build.json")
    )
    query = house.cli("query", TENANT, "select revenue from gold_sales.mart_sales__kpi_summary")
    return {
        "views": views,
        "revenue": revenue,
        "kpi_json": (house.data_dir / TENANT / "kpi_summary.json").read_text(),
        "snapshot": snapshot,
        "query": query.stdout,
    }


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("audit")
    registry = root / "tenants.yml"
    _registry(registry)
    house = Lakehouse(root / "data", registry, root / "profiles", make_env(root, registry))
    zone = house.landing(TENANT) / "shop"
    _deliver(zone, "customers/customers_0001.csv",
             "customer_id,email,first_name,last_name,city,state,country,registration_date,"
             "segment\n1,a@example.com,Ada,Abe,Austin,TX,US,2024-03-01,Premium\n")  # fmt: skip
    _deliver(zone, "products/products_0001.csv",
             "product_id,product_name,category,price,stock\n1,Lamp,Home,10.00,5\n")  # fmt: skip
    _deliver(zone, "orders/orders_0001.csv",
             HEADER + "1,1,1,2025-06-01,2,20.00,completed,paypal\n")  # fmt: skip
    house.cli("build", TENANT)
    return house, zone


def test_a_failing_build_changes_nothing_readers_see(audited) -> None:
    house, zone = audited
    before = _readers_see(house)
    assert before["revenue"] == 20
    # a new day: one good order, and one whose customer does not exist
    _deliver(zone, "orders/orders_0002.csv",
             HEADER + "2,1,1,2025-06-02,1,10.00,completed,paypal\n"
             "3,999,1,2025-06-02,1,10.00,completed,paypal\n")  # fmt: skip
    failed = house.cli("build", TENANT, check=False)
    assert failed.returncode == 1
    assert "build FAILED" in failed.stderr and "nothing published" in failed.stderr
    # the failing test and its failing row, with the file and line it came from
    assert "relationships_fct_shop_orders_customer_id" in failed.stderr, failed.stderr
    assert "orders_0002.csv" in failed.stderr and "_line=3" in failed.stderr, failed.stderr
    assert _readers_see(house) == before
    status = json.loads(house.cli("list", "--json").stdout)[0]
    assert status["status"] == "failed"
    # the failing build stays inspectable in the build warehouse, with its stored failures
    with house.connect(TENANT) as connection:
        # silver holds the new orders; gold downstream of the failing test was not built
        (orders,) = connection.execute("select count(*) from silver.fct_shop_orders").fetchone()
        assert orders == 3
        stored = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like '%dbt_test__audit'"
        ).fetchall()
    assert any("relationships" in name for _, name in stored), stored

    # the shop delivers the missing customer: the next build passes and publishes
    _deliver(zone, "customers/customers_0002.csv",
             "customer_id,email,first_name,last_name,city,state,country,registration_date,"
             "segment\n999,z@example.com,Zoe,Zed,Lyon,ARA,FR,2024-03-01,Basic\n")  # fmt: skip
    house.cli("build", TENANT)
    after = _readers_see(house)
    assert after["revenue"] == 40
    assert after["snapshot"] != before["snapshot"] and after["kpi_json"] != before["kpi_json"]
    assert json.loads(after["kpi_json"])[0]["revenue"] == 40
    assert json.loads(house.cli("list", "--json").stdout)[0]["status"] == "ok"


def test_a_killed_build_leaves_readers_unchanged_and_is_reported_interrupted(audited) -> None:
    house, zone = audited
    before = _readers_see(house)
    _deliver(zone, "orders/orders_0003.csv", HEADER + "4,1,1,2025-06-03,1,10.00,completed,paypal\n")
    build = subprocess.Popen(
        [sys.executable, "-m", "duckhouse.cli", "build", TENANT],
        cwd=PROJECT_DIR, env=house.env, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    seen = []
    deadline = time.monotonic() + 300
    try:
        for line in build.stdout:
            seen.append(line)
            # well inside the build: bronze and silver have started writing the warehouse
            if "START sql table model silver." in line or time.monotonic() > deadline:
                break
        os.killpg(build.pid, signal.SIGKILL)  # the whole build, dbt included
    finally:
        build.wait(timeout=60)
    for _ in range(100):  # until every process of the build is gone (dbt held the lock)
        try:
            os.killpg(build.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    assert any("START sql table model silver." in line for line in seen), "".join(seen)
    # the build warehouse opens (DuckDB replays or drops the unfinished transaction)
    duckdb.connect(str(house.warehouse(TENANT))).close()
    assert _readers_see(house) == before
    status = json.loads(house.cli("list", "--json").stdout)[0]
    assert status["status"] == "interrupted", status
    # and the next build recovers, without --full-refresh
    house.cli("build", TENANT)
    assert _readers_see(house)["revenue"] == before["revenue"] + 10
    assert json.loads(house.cli("list", "--json").stdout)[0]["status"] == "ok"
