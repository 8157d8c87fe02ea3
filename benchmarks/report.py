"""What every benchmark shares: measuring a command, and the results file it writes (what
was measured, when, on which machine)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from duckhouse.sqltext import sql_identifier, sql_string

# benchmarks/results, unless $DUCKHOUSE_BENCH_RESULTS says otherwise (run.py --quick: toy
# sizes must never overwrite measured results)
RESULTS_DIR = Path(
    os.environ.get("DUCKHOUSE_BENCH_RESULTS", Path(__file__).resolve().parent / "results")
)


PROJECT_DIR = Path(__file__).resolve().parents[1]
# runs a command and reports its wall time and the peak resident memory of its processes
_MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "result = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "print(json.dumps({'seconds': time.perf_counter() - started, 'rc': result.returncode,\n"
    "    'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,\n"
    "    'stdout': result.stdout[-6000:] + result.stderr[-2000:]}))\n"
)


def measure(command: list[str], env: dict[str, str]) -> dict:
    """Run `command` in the project dir in a fresh process: seconds, peak_mb, stdout. A
    failed command stops the benchmark with its output."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result['stdout']}")
    return result


def slowest_nodes(run_results: dict, count: int = 15) -> list[dict]:
    """The `count` nodes of a dbt run that took longest (run_results.json): a profile of
    where a build's time goes, its total beside it."""
    nodes = sorted(run_results["results"], key=lambda r: r["execution_time"], reverse=True)
    return [
        {"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 2)}
        for r in nodes[:count]
    ]


def node_seconds(run_results: dict) -> float:
    """The sum of the nodes' execution times (more than the elapsed time with threads)."""
    return round(sum(r["execution_time"] for r in run_results["results"]), 1)


def write_results(benchmark: str, row: dict) -> Path:
    """Write benchmarks/results/<benchmark>.json and print the row; returns the path."""
    report = {
        "benchmark": benchmark,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "result": row,
    }
    path = RESULTS_DIR / f"{benchmark}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(row, indent=2))
    print(f"results: {path}")
    return path


def differing_tables(rebuilt: Path, daily: Path, tables_sql: str) -> tuple[int, list[str]]:
    """The tables (`tables_sql`: a filter on information_schema.tables) of `daily` whose rows,
    without the lineage columns (`_...`: load times, watermarks), differ from `rebuilt`'s,
    compared in DuckDB (EXCEPT ALL both ways: millions of lines never leave the engine);
    and how many tables were compared."""
    with duckdb.connect(str(rebuilt), read_only=True) as connection:
        connection.execute(f"attach {sql_string(daily)} as daily (read_only)")
        names = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' "
            f"and ({tables_sql})"
        ).fetchall()
        differ = []
        for schema, table in names:
            columns = ", ".join(
                sql_identifier(column)
                for (column,) in connection.execute(
                    "select column_name from information_schema.columns where table_catalog "
                    "= current_database() and table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if not column.startswith("_")
            )
            relation = f"{sql_identifier(schema)}.{sql_identifier(table)}"
            (rows,) = connection.execute(
                f"select count(*) from ((select {columns} from {relation} except all "
                f"select {columns} from daily.{relation}) union all (select {columns} from "
                f"daily.{relation} except all select {columns} from {relation}))"
            ).fetchone()
            if rows:
                differ.append(f"{schema}.{table}")
    return len(names), differ
