"""The shop's daily build after one day of new orders, against its full build.

A tenant's shop extracts at --customers / --orders (the other sources tiny). Each
repetition, in the same run: the full build of the shop's path
(`dbt build --full-refresh -s path:models/bronze/shop+`), then one day of new orders
arrives as a new extract file (orders_<n>.csv: --orders / 365 orders with new ids, dated
the day after the last order) and the same build runs again without --full-refresh.

The landing is incremental by file (only the new extract is read); the rest of the shop's
path -- the rules over every landed line, the silver tables enriched with the current
customers and products, gold, snapshots and tests -- is rebuilt whole, as a full build
would. A daily build counts only if the KPI summary then counts exactly the new file's
non-cancelled orders more than before. Results: benchmarks/results/shop_incremental.json.

    .venv/bin/python benchmarks/shop_incremental.py --customers 200000 --orders 1000000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
from full_build import DBT, PROJECT_DIR, PYTHON
from report import measure, write_results

from duckhouse.sqltext import sql_string

TENANT = "bench_shop_daily"


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
    registry.write_text(
        f"tenants:\n  - id: {TENANT}\n    display_name: Shop daily build benchmark\n"
        "    sources:\n      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 1, events_per_day: 50}\n"
        f"      shop: {{mode: generated, customers: {args.customers}, products: 10000, "
        f"orders: {args.orders}}}\n"
        '    schedule:\n      cron: "0 3 * * *"\n      timezone: UTC\n'
    )
    env = dict(os.environ, DUCKHOUSE_DATA_DIR=str(root / "data"),
               DUCKHOUSE_REGISTRY=str(registry), DBT_PROFILES_DIR=str(root / "profiles"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")  # fmt: skip
    subprocess.run([PYTHON, "-m", "duckhouse.cli", "build", TENANT], cwd=PROJECT_DIR, env=env,
                   check=True, capture_output=True)  # fmt: skip
    warehouse = root / "data" / TENANT / f"{TENANT}.duckdb"
    orders_dir = root / "data" / TENANT / "landing" / "shop" / "orders"
    build = [DBT, "build", "-s", "path:models/bronze/shop+", "--target", TENANT,
             "--target-path", f"target/{TENANT}"]  # fmt: skip
    runs = []
    for repetition in range(args.repeat):
        for extra in sorted(orders_dir.glob("orders_*.csv"))[1:]:
            extra.unlink()  # back to the original extract
        full = measure([*build, "--full-refresh"], env)
        before = _kpi_orders(warehouse)
        new_orders = _append_day(orders_dir, max(1, args.orders // 365), 2)
        daily = measure(build, env)
        after = _kpi_orders(warehouse)
        if after - before != new_orders:
            raise SystemExit(f"the daily build counts {after - before} new orders, "
                             f"the new file holds {new_orders}")  # fmt: skip
        run = {"full_seconds": round(full["seconds"], 2),
               "daily_seconds": round(daily["seconds"], 2),
               "full_peak_mb": round(full["peak_mb"]), "daily_peak_mb": round(daily["peak_mb"]),
               "new_orders": new_orders}  # fmt: skip
        print(f"repetition {repetition + 1}: {run}", flush=True)
        runs.append(run)
    full_s = statistics.median(r["full_seconds"] for r in runs)
    daily_s = statistics.median(r["daily_seconds"] for r in runs)
    write_results("shop_incremental", {
        "customers": args.customers, "orders": args.orders, "repetitions": args.repeat,
        "full_seconds": round(full_s, 2), "daily_seconds": round(daily_s, 2),
        "daily_vs_full": round(daily_s / full_s, 2),
        "peak_mb": {"full": statistics.median(r["full_peak_mb"] for r in runs),
                    "daily": statistics.median(r["daily_peak_mb"] for r in runs)},
        "checked": "the daily build's KPI summary counts exactly the new file's "
                   "non-cancelled orders more than the build before",
        "runs": runs,
    })  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
