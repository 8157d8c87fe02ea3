"""Landing TPC-H from PostgreSQL: the project's bronze models vs. DuckDB's raw copy.

A throwaway local PostgreSQL server gets TPC-H at the given scale factor (default 1) in a
tenant's database (`duckhouse pg up`). Then, alternating, in the same run:

* project -- `dbt run --full-refresh --select path:models/bronze/tpch` for the tenant: the
  bronze models read the eight tables through the target's read-only attach (orders and
  lineitem together, in one statement). Reported twice: wall time with dbt's process
  start-up, and dbt's own elapsed time (run_results.json);
* raw     -- a fresh DuckDB file, the same attach, and `create table <t> as select * from
  pg.public.<t>` for the eight tables: the least any DuckDB landing can cost.

Each side runs --repeat times; the medians and their ratio (target at most 1.3x) go to
benchmarks/results/postgres_landing.json. A run counts only if both sides landed the same
number of rows per table as PostgreSQL holds.

Then the business moves on (`duckhouse pg refresh`: RF1 inserts and RF2 deletes 0.1 % of
the orders, as TPC-H's refresh functions do) and the same `dbt run` without
--full-refresh lands only that: its time against the full landing is the incremental
ratio, counted only if bronze then holds exactly what PostgreSQL holds.

    .venv/bin/python benchmarks/postgres_landing.py               # sf 1, 3 repetitions
    .venv/bin/python benchmarks/postgres_landing.py --scale-factor 0.1 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from report import measure, write_results

from duckhouse.warehouse.dbt import target_path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PYTHON = str(PROJECT_DIR / ".venv" / "bin" / "python")
TENANT = "bench_pg"
PASSWORD_ENV = "DUCKHOUSE_PG_BENCH_PG_PASSWORD"
TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")
BRONZE = {t: f"stg_tpch__{t}" for t in TABLES}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _registry(path: Path, port: int, scale_factor: float) -> None:
    path.write_text(
        f"tenants:\n  - id: {TENANT}\n    display_name: PostgreSQL landing benchmark\n"
        f"    sources:\n      tpch:\n        mode: postgres\n        scale_factor: {scale_factor}\n"
        f"        postgres: {{host: 127.0.0.1, port: {port}, database: bench_tpch, "
        f"user: bench_user, password_env: {PASSWORD_ENV}}}\n"
        "      ksqldb: {mode: generated}\n      shop: {mode: generated}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


# the raw copy, in a process of its own so that its peak memory is its own
RAW = """
import json, resource, sys, time
import duckdb
from duckhouse.extensions import load_extension
from duckhouse.sqltext import sql_string
path, dsn, tables = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
started = time.perf_counter()
with duckdb.connect(path) as connection:
    load_extension(connection, "postgres_scanner")
    connection.execute(f"attach {sql_string(dsn)} as pg (type postgres, read_only)")
    for table in tables:
        connection.execute(f"create table {table} as select * from pg.public.{table}")
    elapsed = time.perf_counter() - started
    counts = {t: connection.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
print(json.dumps({"seconds": elapsed, "counts": counts,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _raw(port: int, password: str, path: Path) -> tuple[float, dict[str, int], float]:
    """DuckDB's own copy of the eight tables: seconds, rows per table, peak MB."""
    path.unlink(missing_ok=True)
    dsn = f"host=127.0.0.1 port={port} dbname=bench_tpch user=bench_user password={password}"
    out = subprocess.run(
        [PYTHON, "-c", RAW, str(path), dsn, ",".join(TABLES)],
        cwd=PROJECT_DIR, text=True, capture_output=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.splitlines()[-1])  # the extension loader may print first
    return result["seconds"], result["counts"], result["peak_mb"]


def _project(
    env: dict[str, str], warehouse: Path, *, full: bool = True
) -> tuple[float, float, dict[str, int], float]:
    """Wall time of `dbt run` (process start-up included), dbt's own elapsed time, rows,
    and the run's peak memory."""
    result = measure(
        [str(PROJECT_DIR / ".venv" / "bin" / "dbt"), "run", "--select", "path:models/bronze/tpch",
         "--target", TENANT, "--target-path", f"target/{TENANT}",
         *(["--full-refresh"] if full else [])],
        env,
    )  # fmt: skip
    run_results = json.loads((target_path(TENANT) / "run_results.json").read_text())
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        counts = {
            t: connection.execute(f"select count(*) from bronze.{BRONZE[t]}").fetchone()[0]
            for t in TABLES
        }
    return result["seconds"], float(run_results["elapsed_time"]), counts, result["peak_mb"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="duckhouse-pgbench-"))
    scratch.chmod(0o755)  # the postgres system user must reach the server directory
    port, password = _free_port(), "bench-only-password"
    _registry(scratch / "tenants.yml", port, args.scale_factor)
    env = {
        **os.environ,
        "DUCKHOUSE_REGISTRY": str(scratch / "tenants.yml"),
        "DUCKHOUSE_DATA_DIR": str(scratch / "data"),
        "DUCKHOUSE_PG_DIR": str(scratch / "postgres"),
        "DBT_PROFILES_DIR": str(scratch / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        PASSWORD_ENV: password,
    }
    (scratch / "postgres").mkdir()
    cli = [PYTHON, "-m", "duckhouse.cli"]
    try:
        started = time.perf_counter()
        subprocess.run([*cli, "pg", "up", TENANT], cwd=PROJECT_DIR, env=env, check=True)
        provision = time.perf_counter() - started
        subprocess.run([*cli, "profiles"], cwd=PROJECT_DIR, env=env, check=True)
        (scratch / "data" / TENANT).mkdir(parents=True, exist_ok=True)
        subprocess.run(  # seeds and a parse, so that the timed runs are like a daily run
            [str(PROJECT_DIR / ".venv" / "bin" / "dbt"), "seed", "--target", TENANT,
             "--target-path", f"target/{TENANT}"],
            cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
        )  # fmt: skip
        warehouse = scratch / "data" / TENANT / f"{TENANT}.duckdb"
        project, inside, raw, expected = [], [], [], None
        peaks = {"project": 0.0, "raw": 0.0}
        for _ in range(args.repeat):
            seconds, counts, peak = _raw(port, password, scratch / "raw.duckdb")
            raw.append(seconds)
            peaks["raw"] = max(peaks["raw"], peak)
            expected = expected or counts
            if counts != expected:
                raise SystemExit(f"raw landing counts differ between runs: {counts}")
            seconds, dbt_seconds, counts, peak = _project(env, warehouse)
            if counts != expected:
                raise SystemExit(f"project landed {counts}, PostgreSQL holds {expected}")
            project.append(seconds)
            inside.append(dbt_seconds)
            peaks["project"] = max(peaks["project"], peak)
        subprocess.run([*cli, "pg", "refresh", TENANT], cwd=PROJECT_DIR, env=env, check=True)
        seconds, incremental_dbt, counts, _ = _project(env, warehouse, full=False)
        incremental_expected = _raw(port, password, scratch / "raw.duckdb")[1]
        if counts != incremental_expected:
            raise SystemExit(
                f"incremental landed {counts}, PostgreSQL holds {incremental_expected}"
            )
    finally:
        subprocess.run([*cli, "pg", "down", TENANT], cwd=PROJECT_DIR, env=env, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(target_path(TENANT), ignore_errors=True)

    row = {
        "scale_factor": args.scale_factor,
        "rows": sum(expected.values()),
        "provision_s": round(provision, 1),
        "project_s": round(statistics.median(project), 2),
        "raw_s": round(statistics.median(raw), 2),
        "project_over_raw": round(statistics.median(project) / statistics.median(raw), 2),
        # dbt's own elapsed time: the same run without the dbt process start-up and parse
        "project_dbt_elapsed_s": round(statistics.median(inside), 2),
        "dbt_elapsed_over_raw": round(statistics.median(inside) / statistics.median(raw), 2),
        # after one refresh batch (RF1 + RF2): the incremental landing against the full one
        "incremental_dbt_elapsed_s": round(incremental_dbt, 2),
        "incremental_over_full": round(incremental_dbt / statistics.median(inside), 3),
        "peak_mb": {side: round(peak) for side, peak in peaks.items()},
        "repeat": args.repeat,
        "project_runs_s": [round(s, 2) for s in project],
        "raw_runs_s": [round(s, 2) for s in raw],
    }
    write_results("postgres_landing", row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
