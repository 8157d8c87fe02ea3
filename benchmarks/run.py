"""The benchmark suite's one entry point: run the benchmarks, then write the summary.

Each benchmark is its own script (so that each can be run alone) and writes its results
file, benchmarks/results/<name>.json, only after checking what it measured (gold totals,
row counts, official answers: see each script). This runs them in turn and then writes
benchmarks/results/summary.json and summary.md (the table the README's performance
section is written from), from every results file present, with when and where each was
measured.

    make bench                                   # everything, full sizes (hours on 2 cores)
    .venv/bin/python benchmarks/run.py --only full_build_sf1 scaling
    .venv/bin/python benchmarks/run.py --quick   # every benchmark at toy sizes (minutes)
    .venv/bin/python benchmarks/run.py --summary # only rewrite the summary from the files
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PYTHON = str(HERE.parent / ".venv" / "bin" / "python")

# name -> (script arguments at full size, at toy size)
SUITE: dict[str, tuple[list[str], list[str]]] = {
    "full_build_sf1": (["full_build.py", "--scale-factor", "1", "--repeat", "3"],
                       ["full_build.py", "--scale-factor", "0.01", "--repeat", "1"]),
    "full_build_sf10": (["full_build.py", "--scale-factor", "10", "--repeat", "1"],
                        ["full_build.py", "--scale-factor", "0.02", "--repeat", "1"]),
    "ksqldb_incremental": (["ksqldb_incremental.py"],
                           ["ksqldb_incremental.py", "--days", "3", "--events-per-day", "500",
                            "--repeat", "1"]),
    "shop_incremental": (["shop_incremental.py", "--customers", "2000000", "--orders",
                          "10000000"],
                         ["shop_incremental.py", "--customers", "500", "--orders", "3000",
                          "--repeat", "1"]),
    "shop_vs_pandas": (["shop_vs_pandas.py"],
                       ["shop_vs_pandas.py", "--customers", "1000", "--products", "50",
                        "--orders", "5000", "--repeat", "1"]),
    "postgres_landing": (["postgres_landing.py"],
                         ["postgres_landing.py", "--scale-factor", "0.01", "--repeat", "1"]),
    "tpch_daily": (["tpch_daily.py", "--scale-factor", "1"],
                   ["tpch_daily.py", "--scale-factor", "0.01"]),
    "tpch_daily_sf10": (["tpch_daily.py", "--scale-factor", "10"],
                        ["tpch_daily.py", "--scale-factor", "0.02"]),
    "scaling": (["scaling.py"], ["scaling.py", "--scale-factor", "0.01", "--repeat", "1"]),
    "dagster_load": (["dagster_load.py", "--tenants", "2", "10", "50"],
                     ["dagster_load.py", "--tenants", "2", "--repeat", "1"]),
    "readers_during_build": (["readers_during_build.py", "--scale-factor", "1"],
                             ["readers_during_build.py", "--scale-factor", "0.01",
                              "--repeat", "1"]),
    "dashboard_pages": (["dashboard_pages.py"],
                        ["dashboard_pages.py", "--tenants", "acme=0.01", "--repeat", "1"]),
}  # fmt: skip


def _headline(name: str, result: dict) -> str:
    """One line per benchmark: its ratio and its absolute figures."""
    r = result
    if name.startswith("full_build"):
        return (
            f"sf {r['scale_factor']:g}: build {r['build_seconds']} s vs same SQL raw "
            f"{r['raw_seconds']} s = {r['build_vs_raw']}x (target < 1.3x); landing "
            f"{r['landing_seconds']} s; peak {r['peak_mb']['build']} MB"
            + (
                f"; audit-publish {r['audit_publish_seconds']} s = "
                f"{r['audit_over_build']:.1%} of the build ({r['warehouse_mb']} MB copied)"
                if "audit_publish_seconds" in r
                else ""
            )
        )
    if name == "shop_incremental":
        return (
            f"{r['orders']:,} orders: daily {r['daily_dbt_elapsed_s']} s vs full "
            f"{r['full_dbt_elapsed_s']} s (dbt elapsed) = {r['daily_over_full_dbt']}x, wall "
            f"{r['daily_over_full_wall']}x; nothing new {r['unchanged_over_full_dbt']}x"
            + (
                f"; dbt's own floor (the same path over a toy shop) "
                f"{r['dbt_floor']['daily_dbt_elapsed_s']} s = {r['dbt_floor']['over_full_dbt']}x"
                if "dbt_floor" in r
                else ""
            )
        )
    if name == "ksqldb_incremental":
        return (
            f"{r['events']:,} events: daily build {r['incremental_dbt_elapsed_s']} s vs full "
            f"{r['full_dbt_elapsed_s']} s (dbt elapsed) = {r['incremental_over_full']}x; "
            + (
                f"full build peak {r['full_peak_mb']} MB (limit {r['memory_limit']})"
                if "full_peak_mb" in r
                else f"peak {r['peak_rss_mb']} MB"
            )
        )
    if name == "shop_vs_pandas":
        return (
            f"{r['orders']:,} orders: duckhouse {r['duckhouse_s']} s / "
            f"{r['duckhouse_peak_mb']} MB vs pandas {r['pandas_s']} s / "
            f"{r['pandas_peak_mb']} MB = {r['pandas_over_duckhouse']}x ahead of pandas; "
            f"engine limit {r['engine_s']} s / {r['engine_peak_mb']} MB = "
            f"{r['pandas_over_engine']}x pandas"
            + (
                f"; polars {r['polars_s']} s; duckhouse / fastest ({r['fastest_script']}) "
                f"{r['duckhouse_over_fastest']}x (target <= 1.5x)"
                if "polars_s" in r
                else ""
            )
        )
    if name == "postgres_landing":
        return (
            f"sf {r['scale_factor']:g}: project {r['project_dbt_elapsed_s']} s (dbt elapsed) vs "
            f"raw copy {r['raw_s']} s = {r['dbt_elapsed_over_raw']}x, "
            f"{r['project_over_raw']}x with dbt start-up; incremental "
            f"{r['incremental_over_full']}x of full"
            + (
                f"; peak {r['peak_mb']['project']} MB vs {r['peak_mb']['raw']} MB raw"
                if "peak_mb" in r
                else ""
            )
        )
    if name.startswith("tpch_daily"):
        return (
            f"sf {r['scale_factor']:g}: daily build {r['daily_dbt_elapsed_s']} s vs full "
            f"{r['full_dbt_elapsed_s']} s (dbt elapsed) = {r['daily_over_full_dbt']}x, "
            f"{r['daily_over_full_wall']}x in wall time; equal to a rebuild"
            + (
                f"; nothing new {r['unchanged_over_full_dbt']}x"
                if "unchanged_over_full_dbt" in r
                else ""
            )
        )
    if name == "scaling":
        return "; ".join(
            f"{row['tenants']} tenants: sequence {row['sequence_seconds']} s, "
            f"parallel {row['parallel_seconds']} s"
            for row in r["rows"]
        )
    if name == "dagster_definitions_load":
        return "; ".join(
            f"{row['tenants']} tenants: load {row['warm_load_s']} s prepared, "
            f"{row['cold_load_s']} s cold"
            + (
                f" (peak {row['warm_peak_mb']} / {row['cold_peak_mb']} MB)"
                if "warm_peak_mb" in row
                else ""
            )
            for row in r
        )
    if name == "readers_during_build":
        return (
            f"sf {r['scale_factor']:g}: build {r['build_with_readers_s']} s with a reader every "
            f"50 ms vs {r['build_alone_s']} s alone = {r['ratio']}x; "
            f"{r['reads_during_build']} reads, {r['reads_failed']} failed, "
            f"{r['builds_failed']} builds failed"
        )
    if name == "dashboard_pages":
        builds = "; ".join(
            f"{tenant}: publish {b['publish_seconds']} s of a {b['build_seconds']} s build "
            f"({b['snapshot_mb']} MB)"
            for tenant, b in r["builds"].items()
        )
        return (
            f"page loads (median): slowest {r['slowest_median_load_s']} s, first load up to "
            f"{max(row['first_load_s'] for row in r['pages'])} s; {builds}; dashboard peak "
            f"{r['dashboard_peak_mb']} MB"
        )
    return json.dumps(r)[:200]


def write_summary() -> Path:
    rows = []
    for path in sorted(RESULTS.glob("*.json")):
        if path.name == "summary.json":
            continue
        report = json.loads(path.read_text())
        name = report.get("benchmark", path.stem)
        result = report.get("result", report.get("results", report))
        rows.append({"benchmark": name, "measured_at": report.get("measured_at"),
                     "machine": report.get("machine"),
                     "headline": _headline(name, result)})  # fmt: skip
    (RESULTS / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| benchmark | measured | result |", "| --- | --- | --- |"]
    lines += [f"| {row['benchmark']} | {row['measured_at']} | {row['headline']} |" for row in rows]
    summary = RESULTS / "summary.md"
    summary.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SUITE), help="run only these")
    parser.add_argument("--quick", action="store_true", help="toy sizes: check the suite runs")
    parser.add_argument("--summary", action="store_true", help="only rewrite the summary")
    args = parser.parse_args()
    global RESULTS
    env = dict(os.environ)
    if args.quick:  # toy sizes never overwrite measured results
        RESULTS = Path(tempfile.mkdtemp(prefix="duckhouse-bench-quick-"))
        env["DUCKHOUSE_BENCH_RESULTS"] = str(RESULTS)
        print(f"--quick: results in {RESULTS}")
    if not args.summary:
        failed = []
        for name in args.only or list(SUITE):
            full, quick = SUITE[name]
            command = [PYTHON, str(HERE / (quick if args.quick else full)[0]),
                       *(quick if args.quick else full)[1:]]  # fmt: skip
            print(f"== {name}: {' '.join(command[1:])}", flush=True)
            started = time.perf_counter()
            if subprocess.run(command, cwd=HERE.parent, env=env, check=False).returncode != 0:
                failed.append(name)
            print(f"== {name}: {time.perf_counter() - started:.0f} s", flush=True)
        if failed:
            print(f"failed (no result written for them): {', '.join(failed)}", file=sys.stderr)
            write_summary()
            return 1
    write_summary()
    return 0


if __name__ == "__main__":
    sys.exit(main())
