"""A tenant's full build against the same SQL run raw: the overhead of dbt and the project.

One tenant with every source (TPC-H generated at --scale-factor, the ksqlDB lake and the
shop's CSV extracts at the registry's defaults). Each repetition, in the same run:

* landing -- `duckhouse land --force` (TPC-H generation, the lake, the extracts): common to
  both sides, reported on its own;
* project -- `dbt build --full-refresh` for the tenant: seeds, bronze -> silver -> gold ->
  views, snapshots, every data and unit test, hooks. Wall time (with dbt's start-up and
  its partial parse: the project is parsed once, untimed, before the first repetition, as
  a scheduled build finds it) and peak memory;
* raw     -- the very SQL dbt compiled for that build (target/<tenant>/compiled), executed
  straight through DuckDB's Python API into a fresh file under the same catalog name, in
  dependency order: each model as `create table/view ... as <its SQL>`, each snapshot's
  select as a table, each data test as `select count(*) from (<its SQL>)`. Seeds and the
  dbt Python models (the CSV and lake landing, which are Python, not SQL) are copied from
  the project's warehouse untimed, and their dbt-measured time is added to the raw side.

A repetition counts only if the build passed every test, TPC-H Q1 and Q6 equal DuckDB's
own TPC-H queries run over the landed files, and every gold table and view of the raw
database equals the project's, row for row. Medians of --repeat go to
benchmarks/results/full_build_sf<N>.json; the target is project / raw below 1.3x.

    .venv/bin/python benchmarks/full_build.py --scale-factor 1 --repeat 3
    .venv/bin/python benchmarks/full_build.py --scale-factor 10 --repeat 1
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb
from report import measure, write_results

from duckhouse.sqltext import sql_identifier, sql_string
from duckhouse.warehouse.dbt import target_path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PYTHON = str(PROJECT_DIR / ".venv" / "bin" / "python")
DBT = str(PROJECT_DIR / ".venv" / "bin" / "dbt")
RAW_RUN = (
    "import json, resource, sys, time\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from full_build import run_raw\n"
    "seconds = run_raw(*sys.argv[2:])\n"
    "print(json.dumps({'seconds': seconds,\n"
    "    'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))\n"
)


def _nodes(target: Path) -> tuple[dict, list[str]]:
    """The manifest's models, snapshots, seeds and data tests, in dependency order."""
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {
        uid: node for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "snapshot", "seed", "test")
        and node["config"].get("enabled", True)
    }  # fmt: skip
    graph = {uid: [d for d in node.get("depends_on", {}).get("nodes", []) if d in nodes]
             for uid, node in nodes.items()}  # fmt: skip
    return nodes, list(TopologicalSorter(graph).static_order())


def _relation(node: dict) -> str:
    parts = (node["database"], node["schema"], node.get("alias") or node["name"])
    return ".".join(sql_identifier(part) for part in parts)


def _first_snapshot(node: dict, sql: str) -> str:
    """A snapshot's first build: its rows with dbt's validity columns, as dbt adds them."""
    config = node["config"]
    key = config["unique_key"]
    keys = key if isinstance(key, list) else [key]
    changed = config["updated_at"] if config.get("strategy") == "timestamp" else "now()"
    key_text = " || '|' || ".join(f"coalesce(cast({k} as varchar), '')" for k in keys)
    return (
        f"select *, md5({key_text} || '|' || cast({changed} as varchar)) as dbt_scd_id, "
        f"{changed} as dbt_updated_at, {changed} as dbt_valid_from, "
        f"cast(null as timestamp) as dbt_valid_to from ({sql}) as snapshot_query"
    )


def run_raw(target: str, built: str, raw: str, tenant: str) -> float:
    """Run the compiled SQL of a build into a fresh database; the seconds it took (the
    seeds' and Python models' copies from the built warehouse not counted)."""
    target_dir = Path(target)
    nodes, order = _nodes(target_dir)
    executed = {r["unique_id"]: r.get("compiled_code") for r in
                json.loads((target_dir / "run_results.json").read_text())["results"]}  # fmt: skip
    connection = duckdb.connect(raw, config={"preserve_insertion_order": False})
    connection.execute("set enable_progress_bar = false")
    connection.execute(f"attach {sql_string(built)} as built (read_only)")
    schemas = {node["schema"] for node in nodes.values() if node["resource_type"] != "test"}
    for schema in schemas:
        connection.execute(
            f"create schema if not exists {sql_identifier(tenant)}.{sql_identifier(schema)}"
        )
    seconds = 0.0
    for uid in order:
        node = nodes[uid]
        kind = node["resource_type"]
        if kind == "seed" or node.get("language") == "python":
            name = node.get("alias") or node["name"]
            built_relation = f"built.{sql_identifier(node['schema'])}.{sql_identifier(name)}"
            connection.execute(f"create table {_relation(node)} as select * from {built_relation}")
            continue
        sql = executed.get(uid)
        if not sql:
            raise SystemExit(f"{uid} has no compiled code: did the build run it?")
        if kind == "test":
            statement = f"select count(*) from ({sql}) as failures"
        elif kind == "model" and node["config"]["materialized"] == "view":
            statement = f"create view {_relation(node)} as {sql}"
        elif kind == "snapshot":
            statement = f"create table {_relation(node)} as {_first_snapshot(node, sql)}"
        else:  # tables, incremental models (compiled as their full build)
            statement = f"create table {_relation(node)} as {sql}"
        started = time.perf_counter()
        connection.execute(statement).fetchall()
        seconds += time.perf_counter() - started
    started = time.perf_counter()
    connection.close()  # the database is built when it is durable: the last checkpoint counts
    return seconds + time.perf_counter() - started


def _python_model_seconds(target: Path) -> float:
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    return sum(r["execution_time"] for r in results
               if manifest.get(r["unique_id"], {}).get("language") == "python")  # fmt: skip


def _check_build(target: Path) -> int:
    results = json.loads((target / "run_results.json").read_text())["results"]
    bad = [
        r["unique_id"]
        for r in results
        if r["status"] not in ("success", "pass") and not r["unique_id"].startswith("exposure.")
    ]
    if bad:
        raise SystemExit(f"the build did not pass: {bad[:10]}")
    return len(results)


def _check_tpch(warehouse: Path, landing: Path) -> None:
    """Q1 and Q6 of the build equal DuckDB's own TPC-H queries over the landed files."""
    sys.path.insert(0, str(PROJECT_DIR / "orchestration"))
    from duckhouse.extensions import load_extension

    connection = duckdb.connect()
    load_extension(connection, "tpch")
    lineitem = sql_string(f"{landing}/tpch/lineitem.parquet")
    connection.execute(f"create view lineitem as select * from {lineitem}")
    connection.execute(f"attach {sql_string(warehouse)} as wh (read_only)")
    for number, report in ((1, "rpt_tpch__q01_pricing_summary"),
                           (6, "rpt_tpch__q06_forecasting_revenue_change")):  # fmt: skip
        (query,) = connection.execute(
            "select query from tpch_queries() where query_nr = ?", [number]
        ).fetchone()
        expected = [tuple(str(round(v, 2)) if isinstance(v, float) else str(v) for v in row)
                    for row in connection.execute(query).fetchall()]  # fmt: skip
        actual = [tuple(str(round(v, 2)) if isinstance(v, float) else str(v) for v in row)
                  for row in connection.execute(
                      f"select * from wh.tpch_reports.{report}").fetchall()]  # fmt: skip
        if len(expected) != len(actual):
            raise SystemExit(f"TPC-H Q{number}: {len(actual)} rows, DuckDB's query {len(expected)}")
        for want, got in zip(expected, actual, strict=True):
            for w, g in zip(want, got, strict=True):
                if w != g and abs(float(w) - float(g)) > 0.01:
                    raise SystemExit(f"TPC-H Q{number}: {got} differs from DuckDB's {want}")
    connection.close()


def _check_raw(built: Path, raw: Path, tenant: str) -> int:
    """Every gold table and view of the raw database equals the build's, row for row (the
    metadata columns, `_`-prefixed landing times and lineage, left out: the raw run lands
    at another moment)."""
    connection = duckdb.connect(str(raw), read_only=True)
    connection.execute(f"attach {sql_string(built)} as built (read_only)")
    relations = connection.execute(
        "select table_schema, table_name, "
        "string_agg('\"' || replace(column_name, '\"', '\"\"') || '\"', ', ' "
        "order by ordinal_position) from information_schema.columns "
        "where table_catalog = ? and column_name not like '\\_%' escape '\\' "
        "and (table_schema like 'gold_%' or table_schema in ('finance', 'marketing')) "
        "group by all",
        [tenant],
    ).fetchall()
    for schema, name, columns in relations:
        relation = f"{sql_identifier(schema)}.{sql_identifier(name)}"
        ours = f"select {columns} from built.{relation}"
        theirs = f"select {columns} from {sql_identifier(tenant)}.{relation}"
        (diff,) = connection.execute(
            f"select count(*) from (({ours} except all {theirs}) "
            f"union all ({theirs} except all {ours}))"
        ).fetchone()
        if diff:
            raise SystemExit(f"raw {schema}.{name} differs from the build in {diff} rows")
    connection.close()
    return len(relations)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="keep the data here (default: a temp dir)")
    args = parser.parse_args()
    label = f"{args.scale_factor:g}".replace(".", "_")
    tenant = f"bench_sf{label}"
    root = args.workdir or Path(tempfile.mkdtemp(prefix="duckhouse-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    if not args.workdir:  # the scratch data (16 GB at sf 10) goes, however the run ends
        atexit.register(shutil.rmtree, root, ignore_errors=True)
    registry = root / "tenants.yml"
    registry.write_text(
        f"tenants:\n  - id: {tenant}\n    display_name: Full build benchmark\n"
        f"    sources:\n      tpch:\n        mode: generated\n"
        f"        scale_factor: {args.scale_factor:g}\n"
        "      ksqldb: {mode: generated}\n      shop: {mode: generated}\n"
        f'    schedule:\n      cron: "0 3 * * *"\n      timezone: UTC\n'
    )
    env = dict(os.environ, DUCKHOUSE_DATA_DIR=str(root / "data"),
               DUCKHOUSE_REGISTRY=str(registry), DBT_PROFILES_DIR=str(root / "profiles"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")  # fmt: skip
    subprocess.run([PYTHON, "-m", "duckhouse.cli", "profiles"], cwd=PROJECT_DIR, env=env,
                   check=True, capture_output=True)  # fmt: skip
    target = target_path(tenant)
    warehouse = root / "data" / tenant / f"{tenant}.duckdb"
    # untimed: the project parsed once, as a scheduled build finds it (parsed by the build
    # before); otherwise the first repetition alone would pay a full parse after any change
    subprocess.run([DBT, "parse", "--target", tenant, "--target-path", f"target/{tenant}"],
                   cwd=PROJECT_DIR, env=env, check=True, capture_output=True)  # fmt: skip
    runs = []
    for repetition in range(args.repeat):
        shutil.rmtree(root / "data" / tenant, ignore_errors=True)
        landing = measure([PYTHON, "-m", "duckhouse.cli", "land", tenant, "--force"], env)
        build = measure([DBT, "build", "--full-refresh", "--target", tenant,
                         "--target-path", f"target/{tenant}"], env)  # fmt: skip
        nodes = _check_build(target)
        _check_tpch(warehouse, root / "data" / tenant / "landing")
        # what write-audit-publish adds: the audited build copied to where readers look
        audit = measure([PYTHON, "-c", "import sys; from duckhouse.warehouse.audit import "
                         "publish_audited; publish_audited(sys.argv[1])", tenant], env)  # fmt: skip
        raw_path = root / "raw" / f"{tenant}.duckdb"
        shutil.rmtree(raw_path.parent, ignore_errors=True)
        raw_path.parent.mkdir(parents=True)
        out = subprocess.run(
            [PYTHON, "-c", RAW_RUN, str(Path(__file__).parent), str(target), str(warehouse),
             str(raw_path), tenant],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"the raw run failed:\n{out.stderr[-3000:]}")
        raw = json.loads(out.stdout.strip().splitlines()[-1])
        python_seconds = _python_model_seconds(target)
        checked = _check_raw(warehouse, raw_path, tenant)
        run = {
            "landing_seconds": round(landing["seconds"], 2),
            "landing_peak_mb": round(landing["peak_mb"]),
            "build_seconds": round(build["seconds"], 2),
            "build_peak_mb": round(build["peak_mb"]),
            "audit_publish_seconds": round(audit["seconds"], 2),
            "warehouse_mb": round(warehouse.stat().st_size / 1e6),
            "raw_sql_seconds": round(raw["seconds"], 2),
            "python_models_seconds": round(python_seconds, 2),
            "raw_seconds": round(raw["seconds"] + python_seconds, 2),
            "raw_peak_mb": round(raw["peak_mb"]),
            "dbt_nodes": nodes,
            "relations_checked": checked,
        }
        print(f"repetition {repetition + 1}: {json.dumps(run)}", flush=True)
        runs.append(run)

    def median(key: str) -> float:
        return round(statistics.median(run[key] for run in runs), 2)

    build, raw, landing = median("build_seconds"), median("raw_seconds"), median("landing_seconds")
    write_results(f"full_build_sf{label}", {
        "tenant": tenant,
        "scale_factor": args.scale_factor,
        "repetitions": args.repeat,
        "landing_seconds": landing,
        "build_seconds": build,
        "raw_seconds": raw,
        "build_vs_raw": round(build / raw, 2),
        # each repetition's own ratio (build and raw a minute apart): steadier on a noisy VM
        "build_vs_raw_per_repetition": [round(r["build_seconds"] / r["raw_seconds"], 2)
                                        for r in runs],
        "build_vs_raw_median_of_repetitions": round(statistics.median(
            r["build_seconds"] / r["raw_seconds"] for r in runs), 2),
        "audit_publish_seconds": median("audit_publish_seconds"),
        "audit_over_build": round(median("audit_publish_seconds") / build, 3),
        "warehouse_mb": median("warehouse_mb"),
        "total_seconds": round(landing + build, 2),
        "total_vs_raw": round((landing + build) / (landing + raw), 2),
        "peak_mb": {"landing": median("landing_peak_mb"), "build": median("build_peak_mb"),
                    "raw": median("raw_peak_mb")},
        "target_build_vs_raw": 1.3,
        "checked": "every test passed; TPC-H Q1 and Q6 equal DuckDB's queries over the "
                   "landed files; every gold table and view of the raw run equals the build",
        "runs": runs,
    })  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
