"""TPC-H from PostgreSQL, a day later: the daily build against the full build.

A throwaway local PostgreSQL server gets TPC-H at the given scale factor (default 1) in a
tenant's database (`duckhouse pg up`). In one run:

* full  -- `dbt build --full-refresh --select path:models/bronze/tpch+`: the TPC-H path,
  bronze to views, every test included;
* daily -- the business moves on (`duckhouse pg refresh`: RF1 inserts and RF2 deletes
  0.1 % of the orders, TPC-H's refresh batch) and the same `dbt build` without
  --full-refresh: only what changed is landed and recomputed;
* unchanged -- the same build once more with nothing new: the floor of a daily build.

Each side is reported as dbt's own elapsed time (run_results.json) and as wall time with
dbt's start-up; the ratios go to benchmarks/results/tpch_daily.json. The daily result
counts only if every silver and gold table then equals a --full-refresh rebuild.

    .venv/bin/python benchmarks/tpch_daily.py                   # sf 1
    .venv/bin/python benchmarks/tpch_daily.py --scale-factor 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import differing_tables, measure, node_seconds, slowest_nodes, write_results

from duckhouse.warehouse.dbt import target_path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PYTHON = str(PROJECT_DIR / ".venv" / "bin" / "python")
DBT = str(PROJECT_DIR / ".venv" / "bin" / "dbt")
TENANT = "bench_daily"
PASSWORD_ENV = "DUCKHOUSE_PG_BENCH_DAILY_PASSWORD"
SELECT = "path:models/bronze/tpch+"
PROFILES: dict[str, dict] = {}  # per side: where the first full and the daily build's time went


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _registry(path: Path, port: int, scale_factor: float) -> None:
    path.write_text(
        f"tenants:\n  - id: {TENANT}\n    display_name: TPC-H daily benchmark\n"
        f"    sources:\n      tpch:\n        mode: postgres\n        scale_factor: {scale_factor}\n"
        f"        postgres: {{host: 127.0.0.1, port: {port}, database: bench_daily_tpch, "
        f"user: bench_daily_user, password_env: {PASSWORD_ENV}}}\n"
        "      ksqldb: {mode: generated}\n      shop: {mode: generated}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


def _build(env: dict[str, str], *, full: bool) -> tuple[float, float, float, int]:
    """Wall seconds, dbt's elapsed seconds, peak MB and nodes of one `dbt build` (and its
    profile in PROFILES)."""
    result = measure(
        [DBT, "build", "--select", SELECT, "--target", TENANT,
         "--target-path", str(target_path(TENANT)), *(["--full-refresh"] if full else [])],
        env,
    )  # fmt: skip
    run_results = json.loads((target_path(TENANT) / "run_results.json").read_text())
    nodes = len(run_results["results"])
    PROFILES["full" if full else "daily"] = {
        "node_seconds": node_seconds(run_results), "slowest": slowest_nodes(run_results),
    }  # fmt: skip
    return result["seconds"], float(run_results["elapsed_time"]), result["peak_mb"], nodes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=1.0)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="duckhouse-daily-"))
    scratch.chmod(0o755)  # the postgres system user must reach the server directory
    port = _free_port()
    _registry(scratch / "tenants.yml", port, args.scale_factor)
    env = {
        **os.environ,
        "DUCKHOUSE_REGISTRY": str(scratch / "tenants.yml"),
        "DUCKHOUSE_DATA_DIR": str(scratch / "data"),
        "DUCKHOUSE_PG_DIR": str(scratch / "postgres"),
        "DBT_PROFILES_DIR": str(scratch / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        PASSWORD_ENV: "bench-only-password",
    }
    (scratch / "postgres").mkdir()
    cli = [PYTHON, "-m", "duckhouse.cli"]
    warehouse = scratch / "data" / TENANT / f"{TENANT}.duckdb"
    try:
        subprocess.run([*cli, "pg", "up", TENANT], cwd=PROJECT_DIR, env=env, check=True)
        subprocess.run([*cli, "profiles"], cwd=PROJECT_DIR, env=env, check=True)
        (scratch / "data" / TENANT).mkdir(parents=True, exist_ok=True)
        subprocess.run(  # seeds and a parse, so that both timed builds start alike
            [DBT, "seed", "--target", TENANT, "--target-path", str(target_path(TENANT))],
            cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
        )  # fmt: skip
        full_wall, full_dbt, full_peak, nodes = _build(env, full=True)
        started = time.perf_counter()
        subprocess.run([*cli, "pg", "refresh", TENANT], cwd=PROJECT_DIR, env=env, check=True)
        refresh_s = time.perf_counter() - started
        daily_wall, daily_dbt, daily_peak, _ = _build(env, full=False)
        shutil.copy(warehouse, scratch / "daily.duckdb")
        daily_profile = PROFILES["daily"]
        # the floor: the same build once more with nothing new (dbt's work per node, the
        # tests over whole tables, the reports and marts that read every row)
        unchanged_wall, unchanged_dbt, _, _ = _build(env, full=False)
        PROFILES["unchanged"], PROFILES["daily"] = PROFILES["daily"], daily_profile
        first_full = PROFILES["full"]
        _build(env, full=True)
        PROFILES["full"] = first_full
        compared, differ = differing_tables(
            warehouse,
            scratch / "daily.duckdb",
            "table_schema in ('silver', 'gold_finance', 'gold_marketing', 'tpch_reports') "
            "and table_name not in ('dim_user', 'dim_payment_method', 'dim_shop_customer', "
            "'dim_shop_product', 'fct_shop_orders', 'int_shop__customer_orders', "
            "'fct_transaction_events', 'fct_transaction_event_conflicts', "
            "'int_transaction_events_ranked')",
        )
        if differ:
            raise SystemExit(f"the daily build differs from a rebuild in {differ}")
    finally:
        subprocess.run([*cli, "pg", "down", TENANT], cwd=PROJECT_DIR, env=env, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(target_path(TENANT), ignore_errors=True)

    write_results(
        "tpch_daily" if args.scale_factor == 1 else f"tpch_daily_sf{args.scale_factor:g}",
        {
            "scale_factor": args.scale_factor,
            "nodes": nodes,
            "full_dbt_elapsed_s": round(full_dbt, 2),
            "full_wall_s": round(full_wall, 2),
            "daily_dbt_elapsed_s": round(daily_dbt, 2),
            "daily_wall_s": round(daily_wall, 2),
            "daily_over_full_dbt": round(daily_dbt / full_dbt, 3),
            "daily_over_full_wall": round(daily_wall / full_wall, 3),
            "unchanged_dbt_elapsed_s": round(unchanged_dbt, 2),
            "unchanged_wall_s": round(unchanged_wall, 2),
            "unchanged_over_full_dbt": round(unchanged_dbt / full_dbt, 3),
            "refresh_batch_s": round(refresh_s, 1),
            "peak_mb": {"full": round(full_peak), "daily": round(daily_peak)},
            "tables_compared": compared,
            "profile": PROFILES,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
