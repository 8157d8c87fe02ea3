"""The shop's daily build after one day of new orders, against its full build.

A tenant's shop extracts at --customers / --orders (the other sources tiny). Each
repetition, in the same run: the full build of the shop's path
(`dbt build --full-refresh -s path:models/bronze/shop+`), then one day of new orders
arrives as a new extract file (orders_<n>.csv: --orders / 365 orders with new ids, dated
the day after the last order) and the same build runs again without --full-refresh.

Every model of the path is incremental (macros/shop_incremental.sql) except the marts that
must see every row (RFM quintiles, cohorts, product and regional shares) and the quality
report; the tests run over whole tables, as on every build. A daily build counts only if
the KPI summary then counts exactly the new file's non-cancelled orders more than before,
and every silver and gold table of the path equals a --full-refresh rebuild of the same
extracts (EXCEPT ALL both ways, in DuckDB). Each side is reported as dbt's own elapsed time
(run_results.json) and as wall time (process start to exit), with the floor: the same build
once more with nothing new, and dbt's own floor: the same daily build of the same path
over a toy shop (500 customers), where no model has work to do -- no daily build of this
path can be faster than that. Results:
benchmarks/results/shop_incremental.json.

    .venv/bin/python benchmarks/shop_incremental.py --customers 2000000 --orders 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
from full_build import DBT, PROJECT_DIR, PYTHON
from report import differing_tables, measure, node_seconds, slowest_nodes, write_results

from duckhouse.sqltext import sql_string

TENANT = "bench_shop_daily"
FLOOR_TENANT = "bench_shop_floor"  # the same path over a toy shop: what dbt itself costs
FLOOR_SHOP = {"customers": 500, "orders": 3000}


def _kpi_orders(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        kpi = connection.execute("select orders from gold_sales.mart_sales__kpi_summary")
        return kpi.fetchone()[0]


def _append_day(orders_dir: Path, count: int, number: int) -> int:
    """Write orders_<number>.csv: `count` new orders the day after the last one; how many
    of them are not cancelled."""
    existing = sql_string(f"{orders_dir}/*.csv")
    target = orders_dir / f"orders_{number:04d}.csv"
    with duckdb.connect() as connection:
        connection.execute(
            f"""
            copy (
                with last as (
                    select max(try_cast(order_id as bigint)) as max_id,
                           max(try_cast(order_date as date)) as max_day
                    from read_csv({existing}, all_varchar = true, header = true)
                ),
                sample as (
                    select * from read_csv({existing}, all_varchar = true, header = true)
                    where try_cast(order_id as bigint) is not null
                        and try_cast(quantity as integer) > 0
                        and status in ('completed', 'pending', 'cancelled')
                    limit {count}
                )
                select
                    last.max_id + row_number() over () as order_id, customer_id, product_id,
                    last.max_day + 1 as order_date, quantity, amount, status, payment_method
                from sample cross join last
            ) to {sql_string(target)} (header true)
            """
        )
        return connection.execute(
            f"select count(*) from read_csv({sql_string(target)}) where status != 'cancelled'"
        ).fetchone()[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="duckhouse-bench-"))
    registry = root / "tenants.yml"
    registry.write_text("tenants:\n" + "".join(
        f"  - id: {tenant}\n    display_name: Shop daily build benchmark\n"
        "    sources:\n      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 1, events_per_day: 50}\n"
        f"      shop: {{mode: generated, customers: {customers}, products: {products}, "
        f"orders: {orders}}}\n"
        '    schedule:\n      cron: "0 3 * * *"\n      timezone: UTC\n'
        for tenant, customers, products, orders in [
            (TENANT, args.customers, 10000, args.orders),
            (FLOOR_TENANT, FLOOR_SHOP["customers"], 50, FLOOR_SHOP["orders"]),
        ]
    ))  # fmt: skip
    env = dict(os.environ, DUCKHOUSE_DATA_DIR=str(root / "data"),
               DUCKHOUSE_REGISTRY=str(registry), DBT_PROFILES_DIR=str(root / "profiles"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")  # fmt: skip
    subprocess.run([PYTHON, "-m", "duckhouse.cli", "build", TENANT], cwd=PROJECT_DIR, env=env,
                   check=True, capture_output=True)  # fmt: skip
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    orders_dir = root / "data" / TENANT / "landing" / "shop" / "orders"
    build = [DBT, "build", "-s", "path:models/bronze/shop+", "--target", TENANT,
             "--target-path", f"target/{TENANT}"]  # fmt: skip
    run_results = PROJECT_DIR / "target" / TENANT / "run_results.json"

    def timed(*extra: str, tenant: str = TENANT) -> tuple[float, float, float]:
        """Wall seconds, dbt's elapsed seconds and peak MB of one build of the path."""
        command = [*build, *extra]
        command[command.index(TENANT)] = tenant
        command[command.index(f"target/{TENANT}")] = f"target/{tenant}"
        result = measure(command, env)
        results = PROJECT_DIR / "target" / tenant / "run_results.json"
        elapsed = json.loads(results.read_text())["elapsed_time"]
        return result["seconds"], float(elapsed), result["peak_mb"]

    runs = []
    for repetition in range(args.repeat):
        for extra in sorted(orders_dir.glob("orders_*.csv"))[1:]:
            extra.unlink()  # back to the original extract
        full_wall, full_dbt, full_peak = timed("--full-refresh")
        before = _kpi_orders(warehouse)
        new_orders = _append_day(orders_dir, max(1, args.orders // 365), 2)
        daily_wall, daily_dbt, daily_peak = timed()
        daily_results = json.loads(run_results.read_text())
        after = _kpi_orders(warehouse)
        if after - before != new_orders:
            raise SystemExit(f"the daily build counts {after - before} new orders, "
                             f"the new file holds {new_orders}")  # fmt: skip
        # the floor: the same build once more with nothing new (tests over whole tables, the
        # marts that see every row, dbt's own work per node)
        unchanged_wall, unchanged_dbt, _ = timed()
        shutil.copy(warehouse, root / "daily.duckdb")
        measure([*build, "--full-refresh"], env)
        compared, differ = differing_tables(
            warehouse, root / "daily.duckdb",
            "table_schema in ('gold_sales', 'gold_quality') or table_schema = 'silver' "
            "and table_name like '%shop%' or table_name like 'rule_failures_shop__%'",
        )  # fmt: skip
        if differ:
            raise SystemExit(f"the daily build differs from a rebuild in {differ}")
        run = {"full_wall_s": round(full_wall, 2), "full_dbt_elapsed_s": round(full_dbt, 2),
               "daily_wall_s": round(daily_wall, 2), "daily_dbt_elapsed_s": round(daily_dbt, 2),
               "unchanged_wall_s": round(unchanged_wall, 2),
               "unchanged_dbt_elapsed_s": round(unchanged_dbt, 2),
               "full_peak_mb": round(full_peak), "daily_peak_mb": round(daily_peak),
               "new_orders": new_orders, "tables_compared": compared,
               "daily_node_seconds": node_seconds(daily_results),
               "daily_slowest": slowest_nodes(daily_results)}  # fmt: skip
        print(f"repetition {repetition + 1}: {run}", flush=True)
        runs.append(run)

    # dbt's own floor: the same daily build of the same path over a toy shop, where every
    # model's work is nothing -- what the nodes' start, compile, hooks and commits cost
    subprocess.run([PYTHON, "-m", "duckhouse.cli", "build", FLOOR_TENANT], cwd=PROJECT_DIR,
                   env=env, check=True, capture_output=True)  # fmt: skip
    floor_orders = root / "data" / FLOOR_TENANT / "landing" / "shop" / "orders"
    _append_day(floor_orders, max(1, FLOOR_SHOP["orders"] // 365), 2)
    floor_wall, floor_dbt, _ = timed(tenant=FLOOR_TENANT)
    floor_results = PROJECT_DIR / "target" / FLOOR_TENANT / "run_results.json"
    floor_nodes = len(json.loads(floor_results.read_text())["results"])
    shutil.rmtree(PROJECT_DIR / "target" / FLOOR_TENANT, ignore_errors=True)

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in runs), 2)

    write_results("shop_incremental", {
        "customers": args.customers, "orders": args.orders, "repetitions": args.repeat,
        "full_dbt_elapsed_s": median("full_dbt_elapsed_s"), "full_wall_s": median("full_wall_s"),
        "daily_dbt_elapsed_s": median("daily_dbt_elapsed_s"),
        "daily_wall_s": median("daily_wall_s"),
        "daily_over_full_dbt": round(median("daily_dbt_elapsed_s")
                                     / median("full_dbt_elapsed_s"), 3),
        "daily_over_full_wall": round(median("daily_wall_s") / median("full_wall_s"), 3),
        "unchanged_dbt_elapsed_s": median("unchanged_dbt_elapsed_s"),
        "unchanged_over_full_dbt": round(median("unchanged_dbt_elapsed_s")
                                         / median("full_dbt_elapsed_s"), 3),
        "peak_mb": {"full": median("full_peak_mb"), "daily": median("daily_peak_mb")},
        "dbt_floor": {"shop": FLOOR_SHOP, "nodes": floor_nodes,
                      "daily_dbt_elapsed_s": round(floor_dbt, 2),
                      "daily_wall_s": round(floor_wall, 2),
                      "over_full_dbt": round(floor_dbt / median("full_dbt_elapsed_s"), 3),
                      "over_full_wall": round(floor_wall / median("full_wall_s"), 3)},
        "checked": "the daily build's KPI summary counts exactly the new file's "
                   "non-cancelled orders more than the build before, and every shop table "
                   "equals a --full-refresh rebuild",
        "runs": runs,
    })  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
