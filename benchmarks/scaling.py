"""Building 1, 2 and 4 tenants, one after the other and at the same time.

Each tenant has every source (TPC-H generated at --scale-factor, the lake and the shop
at the registry's defaults). For each tenant count, in the same run and from empty data
folders each time:

* sequence -- one `duckhouse build t1 ... tn` (landing + dbt build, tenant after tenant);
* parallel -- n `duckhouse build ti` processes at once (what n Dagster runs do: each
  tenant has its own warehouse file, so they never wait for each other's lock).

A measurement counts only if every build passed and each tenant's TPC-H Q6 equals DuckDB's
own query over that tenant's landed files. Medians of --repeat go to
benchmarks/results/scaling.json, with parallel / sequence per count (this machine has 2
cores: expect the gain to stop at 2).

    .venv/bin/python benchmarks/scaling.py --scale-factor 0.1 --repeat 2
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
import time
from pathlib import Path

from full_build import PROJECT_DIR, PYTHON, _check_tpch
from report import write_results

MEASURE_ALL = (
    "import json, resource, subprocess, sys, time\n"
    "commands = json.loads(sys.argv[1])\n"
    "started = time.perf_counter()\n"
    "processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)"
    " for c in commands]\n"
    "outputs = [p.communicate()[0] for p in processes]\n"
    "print(json.dumps({'seconds': time.perf_counter() - started,\n"
    "    'rcs': [p.returncode for p in processes], 'outputs': [o[-3000:] for o in outputs],\n"
    "    'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
)


def _run(commands: list[list[str]], env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE_ALL, json.dumps(commands)],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout)
    if any(result["rcs"]):
        raise SystemExit("a build failed:\n" + "\n".join(result["outputs"]))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=0.1)
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="duckhouse-bench-"))
    tenants = [f"bench_scale_{i}" for i in range(1, max(args.counts) + 1)]
    registry = root / "tenants.yml"
    registry.write_text("tenants:\n" + "".join(
        f"  - id: {t}\n    display_name: Scaling benchmark {t}\n    sources:\n"
        f"      tpch: {{mode: generated, scale_factor: {args.scale_factor:g}}}\n"
        "      ksqldb: {mode: generated}\n      shop: {mode: generated}\n"
        "    schedule:\n      cron: \"0 3 * * *\"\n      timezone: UTC\n"
        for t in tenants
    ))  # fmt: skip
    env = dict(os.environ, DUCKHOUSE_DATA_DIR=str(root / "data"),
               DUCKHOUSE_REGISTRY=str(registry), DBT_PROFILES_DIR=str(root / "profiles"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")  # fmt: skip
    cli = [PYTHON, "-m", "duckhouse.cli"]
    subprocess.run([*cli, "profiles"], cwd=PROJECT_DIR, env=env, check=True, capture_output=True)
    subprocess.run([*cli, "prepare"], cwd=PROJECT_DIR, env=env, check=True, capture_output=True)
    rows = []
    for count in args.counts:
        chosen = tenants[:count]
        times: dict[str, list[float]] = {"sequence": [], "parallel": []}
        peaks: dict[str, list[float]] = {"sequence": [], "parallel": []}
        for _ in range(args.repeat):
            for mode in ("sequence", "parallel"):
                for tenant in chosen:
                    shutil.rmtree(root / "data" / tenant, ignore_errors=True)
                commands = ([[*cli, "build", *chosen]] if mode == "sequence"
                            else [[*cli, "build", t] for t in chosen])  # fmt: skip
                result = _run(commands, env)
                for tenant in chosen:
                    _check_tpch(root / "data" / tenant / f"{tenant}.duckdb",
                                root / "data" / tenant / "landing")  # fmt: skip
                times[mode].append(result["seconds"])
                peaks[mode].append(result["peak_mb"])
                print(f"{count} tenant(s), {mode}: {result['seconds']:.1f} s", flush=True)
        sequence, parallel = (statistics.median(times[m]) for m in ("sequence", "parallel"))
        rows.append({
            "tenants": count,
            "sequence_seconds": round(sequence, 1),
            "parallel_seconds": round(parallel, 1),
            "parallel_vs_sequence": round(parallel / sequence, 2),
            "per_tenant_parallel_seconds": round(parallel / count, 1),
            "peak_mb_one_process": {m: round(statistics.median(peaks[m])) for m in peaks},
        })  # fmt: skip
    write_results("scaling", {
        "scale_factor": args.scale_factor, "repetitions": args.repeat, "cpus": os.cpu_count(),
        "checked": "every build passed; each tenant's TPC-H Q6 equals DuckDB's query over its "
                   "landed files",
        "rows": rows, "measured_at": time.strftime("%Y-%m-%d"),
    })  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
