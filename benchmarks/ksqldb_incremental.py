"""The ksqlDB export lake at a year's volume: full build vs. the daily incremental build.

A tenant gets a generated lake of --days days at --events-per-day events (default one
year of 55,000 a day: about 20M payment events, each in four streams, in four exports a
day). Then, in the same run:

* full        -- `dbt build --full-refresh` of everything downstream of the lake (the file
  inventory, the four streams and four tables in bronze, silver, the payments gold, the
  reconciliation with ksqlDB's tables, and their tests), --repeat times;
* incremental -- `duckhouse lake append-day` (one more day of exports and new versions of
  the tables), then the same `dbt build` without --full-refresh, --repeat times;
* no-op       -- the same build once more with nothing new: the fixed cost of a build.

Each is reported as dbt's own elapsed time (run_results.json) and as wall time with the
dbt process start-up; the ratio incremental / full is the figure (target under 5 %).
A build counts only if silver then holds every event the lake has exported, exactly
once, and the build's tests passed (among them the reconciliation with ksqlDB's tables).
Results go to benchmarks/results/ksqldb_incremental.json.

    .venv/bin/python benchmarks/ksqldb_incremental.py                    # a year, 20M events
    .venv/bin/python benchmarks/ksqldb_incremental.py --days 30 --events-per-day 5000
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
from report import measure, node_seconds, slowest_nodes, write_results

from duckhouse.warehouse.dbt import target_path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PYTHON = str(PROJECT_DIR / ".venv" / "bin" / "python")
DBT = str(PROJECT_DIR / ".venv" / "bin" / "dbt")
TENANT = "bench_ksql"
SELECT = "inventory_ksqldb__lake_files+ source:ksqldb+"


def _registry(path: Path, days: int, events_per_day: int) -> None:
    path.write_text(
        f"tenants:\n  - id: {TENANT}\n    display_name: ksqlDB incremental benchmark\n"
        "    sources:\n      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      shop: {mode: generated}\n"
        "      ksqldb: {mode: generated, seed: 7, "
        f"days: {days}, events_per_day: {events_per_day}, "
        "files_per_day: 4}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


def _build(env: dict[str, str], *, full: bool) -> tuple[float, float, float, dict]:
    """Wall time (dbt start-up included), dbt's own elapsed time, the build's peak resident
    memory (MB) and where its time went, of one build."""
    result = measure(
        [DBT, "build", "--select", SELECT, "--target", TENANT,
         "--target-path", f"target/{TENANT}", *(["--full-refresh"] if full else [])],
        env,
    )  # fmt: skip
    run_results = json.loads((target_path(TENANT) / "run_results.json").read_text())
    profile = {"node_seconds": node_seconds(run_results), "slowest": slowest_nodes(run_results)}
    return result["seconds"], float(run_results["elapsed_time"]), result["peak_mb"], profile


def _check(warehouse: Path, exported: int) -> None:
    """The build counts only if silver holds every exported event once and gold adds up."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        events, gold, differences = connection.execute("""
            select
                (select count(*) from silver.fct_transaction_events),
                (select sum(transaction_count)
                 from gold_payments.mart_payments__payment_method_totals),
                (select count(*) from gold_payments.mart_payments__ksqldb_reconciliation
                 where difference != 0)
        """).fetchone()
    if not events == gold == exported or differences:
        raise SystemExit(
            f"wrong result: the lake exported {exported:,} events, silver holds {events:,}, "
            f"gold counts {gold:,}, {differences} reconciliation differences"
        )


def _exported(lake: Path) -> int:
    """Distinct events the generator has exported so far (its own bookkeeping)."""
    return int(json.loads((lake / "_generator.json").read_text())["next_event"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--events-per-day", type=int, default=55_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="duckhouse-ksqlbench-"))
    _registry(scratch / "tenants.yml", args.days, args.events_per_day)
    env = {
        **os.environ,
        "DUCKHOUSE_REGISTRY": str(scratch / "tenants.yml"),
        "DUCKHOUSE_DATA_DIR": str(scratch / "data"),
        "DBT_PROFILES_DIR": str(scratch / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cli = [PYTHON, "-m", "duckhouse.cli"]
    warehouse = scratch / "data" / TENANT / f"{TENANT}.duckdb"
    try:
        subprocess.run([*cli, "profiles"], cwd=PROJECT_DIR, env=env, check=True)
        generated = measure([*cli, "lake", "generate", TENANT], env)
        lake = scratch / "data" / TENANT / "landing" / "ksqldb"
        lake_bytes = sum(p.stat().st_size for p in lake.rglob("*.parquet"))
        lake_files = sum(1 for _ in lake.rglob("*.parquet"))
        subprocess.run(
            [DBT, "seed", "--target", TENANT, "--target-path", f"target/{TENANT}"],
            cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
        )  # fmt: skip
        exported = _exported(lake)
        full, full_dbt, full_peak = [], [], []
        for _ in range(args.repeat):
            wall, inside, peak, full_profile = _build(env, full=True)
            _check(warehouse, exported)
            full.append(wall)
            full_dbt.append(inside)
            full_peak.append(peak)
        incremental, incremental_dbt, incremental_peak, appended = [], [], [], []
        for _ in range(args.repeat):
            subprocess.run(
                [*cli, "lake", "append-day", TENANT], cwd=PROJECT_DIR, env=env, check=True,
                capture_output=True,
            )  # fmt: skip
            exported_before, exported = exported, _exported(lake)
            appended.append(exported - exported_before)
            wall, inside, peak, incremental_profile = _build(env, full=False)
            _check(warehouse, exported)
            incremental.append(wall)
            incremental_dbt.append(inside)
            incremental_peak.append(peak)
        noop_wall, noop_dbt, _, _ = _build(env, full=False)
        _check(warehouse, exported)
        warehouse_bytes = warehouse.stat().st_size
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(target_path(TENANT), ignore_errors=True)

    median = statistics.median
    row = {
        "days": args.days,
        "events_per_day": args.events_per_day,
        "events": exported,
        "lake_files": lake_files,
        "lake_mb": round(lake_bytes / 2**20),
        "warehouse_mb": round(warehouse_bytes / 2**20),
        "generate_s": round(generated["seconds"], 1),
        "generate_peak_mb": round(generated["peak_mb"]),
        "full_dbt_elapsed_s": round(median(full_dbt), 2),
        "full_wall_s": round(median(full), 2),
        "incremental_events": appended,
        "incremental_dbt_elapsed_s": round(median(incremental_dbt), 2),
        "incremental_wall_s": round(median(incremental), 2),
        "incremental_over_full": round(median(incremental_dbt) / median(full_dbt), 3),
        "incremental_over_full_wall": round(median(incremental) / median(full), 3),
        "noop_dbt_elapsed_s": round(noop_dbt, 2),
        "noop_wall_s": round(noop_wall, 2),
        # each build's own peak resident memory (the generator's is apart, above)
        "full_peak_mb": round(max(full_peak)),
        "incremental_peak_mb": round(max(incremental_peak)),
        "memory_limit": os.environ.get("DUCKHOUSE_MEMORY_LIMIT", "6GB"),
        "repeat": args.repeat,
        "full_dbt_runs_s": [round(s, 2) for s in full_dbt],
        "incremental_dbt_runs_s": [round(s, 2) for s in incremental_dbt],
        "profile": {"full": full_profile, "incremental": incremental_profile},
    }
    write_results("ksqldb_incremental", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
