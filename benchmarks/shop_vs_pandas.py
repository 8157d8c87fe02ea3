"""The shop's CSV extracts at benchmark volume: duckhouse's landing + build vs. pandas,
and vs. the engine's limit.

A tenant gets generated extracts (default 2M customers, 10,000 products, 10M orders:
the volume data teams benchmark such pipelines on). Then, in the same run, alternating:

* duckhouse -- `dbt build` of everything downstream of the shop's extracts: the landing
  with the declared schema and the rejects table, the rules and the quarantine, the
  conservation test, silver, the snapshots, the sales gold and the marketing views, with
  every data test;
* pandas    -- benchmarks/shop_pandas_reference.py: the same rules and marts, the
  straightforward way (read_csv with dtypes, drop_duplicates, groupby, rolling);
* polars    -- benchmarks/shop_polars_reference.py: the same rules and marts in lazy
  polars, what a data team picks instead of pandas today (it reads only the columns the
  marts need);
* engine    -- benchmarks/shop_duckdb_reference.py: the same rules and marts as one plain
  DuckDB script in memory (no line numbers, quarantine, tests or persisted layers): how
  fast this machine can compute the marts at all.

Each runs --repeat times in a child process; wall time and the child's peak resident
memory are recorded. The figures: duckhouse / the fastest plain script of the day (polars
or the engine), and pandas / duckhouse. A run counts only if all four computed the same
KPI summary (revenue to the cent, orders, cancelled orders, customers, active customers)
and the three references agree on every figure they print (days, cohort rows, products,
regions too). Results go to
benchmarks/results/shop_vs_pandas.json.

    uv run --group bench python benchmarks/shop_vs_pandas.py
    uv run --group bench python benchmarks/shop_vs_pandas.py --customers 20000 --orders 100000
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
from report import measure, write_results

from duckhouse.warehouse.dbt import target_path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(PROJECT_DIR / ".venv" / "bin" / "dbt")
TENANT = "bench_shop"


def _kpi(warehouse: Path) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        row = connection.execute(
            "select revenue, orders, cancelled_orders, customers, active_customers "
            "from gold_sales.mart_sales__kpi_summary"
        ).fetchone()
    return dict(
        zip(("revenue", "orders", "cancelled_orders", "customers", "active_customers"), row,
            strict=True)
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="duckhouse-shopbench-"))
    (scratch / "tenants.yml").write_text(
        f"tenants:\n  - id: {TENANT}\n    display_name: Shop benchmark\n"
        "    sources:\n      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated}\n"
        f"      shop: {{mode: generated, seed: 11, customers: {args.customers}, "
        f"products: {args.products}, "
        f"orders: {args.orders}}}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )
    env = {
        **os.environ,
        "DUCKHOUSE_REGISTRY": str(scratch / "tenants.yml"),
        "DUCKHOUSE_DATA_DIR": str(scratch / "data"),
        "DBT_PROFILES_DIR": str(scratch / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cli = [str(PROJECT_DIR / ".venv" / "bin" / "python"), "-m", "duckhouse.cli"]
    shop = scratch / "data" / TENANT / "landing" / "shop"
    warehouse = scratch / "data" / TENANT / f"{TENANT}.duckdb"
    try:
        subprocess.run([*cli, "profiles"], cwd=PROJECT_DIR, env=env, check=True)
        generate = measure([*cli, "shop", "generate", TENANT], env)
        extract_mb = sum(p.stat().st_size for p in shop.rglob("*.csv")) / 2**20
        subprocess.run(
            [DBT, "seed", "--target", TENANT, "--target-path", f"target/{TENANT}"],
            cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
        )  # fmt: skip
        ours, theirs, engine, lazy = [], [], [], []
        for _ in range(args.repeat):
            warehouse.unlink(missing_ok=True)
            subprocess.run(  # seeds again: the warehouse is fresh for every run
                [DBT, "seed", "--target", TENANT, "--target-path", f"target/{TENANT}"],
                cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
            )  # fmt: skip
            run = measure(
                [DBT, "build", "--select", "path:models/bronze/shop+", "--target", TENANT,
                 "--target-path", f"target/{TENANT}"], env,
            )  # fmt: skip
            kpi = _kpi(warehouse)
            reference = measure(
                [sys.executable, str(PROJECT_DIR / "benchmarks" / "shop_pandas_reference.py"),
                 str(shop)], env,
            )  # fmt: skip
            limit = measure(
                [sys.executable, str(PROJECT_DIR / "benchmarks" / "shop_duckdb_reference.py"),
                 str(shop)], env,
            )  # fmt: skip
            polars = measure(
                [sys.executable, str(PROJECT_DIR / "benchmarks" / "shop_polars_reference.py"),
                 str(shop)], env,
            )  # fmt: skip
            expected = json.loads(reference["stdout"])
            if json.loads(limit["stdout"]) != expected:
                raise SystemExit(f"engine {limit['stdout']} differs from pandas {expected}")
            if json.loads(polars["stdout"]) != expected:
                raise SystemExit(f"polars {polars['stdout']} differs from pandas {expected}")
            for key, value in kpi.items():
                if float(value) != float(expected[key]):
                    raise SystemExit(f"{key}: duckhouse {value}, pandas {expected[key]}")
            ours.append(run)
            theirs.append(reference)
            engine.append(limit)
            lazy.append(polars)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(target_path(TENANT), ignore_errors=True)

    median = statistics.median
    seconds = {
        name: median(r["seconds"] for r in runs)
        for name, runs in (
            ("duckhouse", ours),
            ("pandas", theirs),
            ("engine", engine),
            ("polars", lazy),
        )
    }
    fastest = min(("engine", "polars"), key=seconds.get)
    row = {
        "customers": args.customers,
        "products": args.products,
        "orders": args.orders,
        "extracts_mb": round(extract_mb),
        "generate_s": round(generate["seconds"], 1),
        "duckhouse_s": round(median(r["seconds"] for r in ours), 1),
        "duckhouse_peak_mb": round(max(r["peak_mb"] for r in ours)),
        "pandas_s": round(median(r["seconds"] for r in theirs), 1),
        "pandas_peak_mb": round(max(r["peak_mb"] for r in theirs)),
        "engine_s": round(median(r["seconds"] for r in engine), 1),
        "engine_peak_mb": round(max(r["peak_mb"] for r in engine)),
        "polars_s": round(median(r["seconds"] for r in lazy), 1),
        "polars_peak_mb": round(max(r["peak_mb"] for r in lazy)),
        "fastest_script": fastest,
        "duckhouse_over_fastest": round(seconds["duckhouse"] / seconds[fastest], 2),
        "polars_over_engine": round(seconds["polars"] / seconds["engine"], 2),
        "pandas_over_duckhouse": round(
            median(r["seconds"] for r in theirs) / median(r["seconds"] for r in ours), 2
        ),
        "pandas_over_engine": round(
            median(r["seconds"] for r in theirs) / median(r["seconds"] for r in engine), 2
        ),
        "duckhouse_over_engine": round(
            median(r["seconds"] for r in ours) / median(r["seconds"] for r in engine), 2
        ),
        "kpi": {k: float(v) for k, v in kpi.items()},
        "repeat": args.repeat,
    }
    write_results("shop_vs_pandas", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
