"""A tenant's build while readers read it: readers never fail a build, and what they cost it.

One tenant (TPC-H at --scale-factor, the lake and the shop at the registry's defaults),
built once untimed so that it has a published build. Each repetition, in the same run:

* alone   -- `duckhouse build --full-refresh`, nothing else running;
* readers -- the same build while a reader process loops, every 50 ms, over what readers
  do: a query of the published copy through `duckhouse.warehouse.readers` (the path of `duckhouse
  query`) and the tenant's `list` status (which reads the build warehouse under the
  tenant's shared lock).

A repetition counts only if both builds pass. Reported: both wall times and their ratio,
how many reads the reader made and how many failed (a failed read is one that raised;
`building` is an answer, not a failure). Results: benchmarks/results/readers_during_build.json.

    .venv/bin/python benchmarks/readers_during_build.py --scale-factor 0.1 --repeat 2
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

from full_build import PROJECT_DIR, PYTHON
from report import measure, write_results

TENANT = "bench_readers"
READER = """
import json, os, sys, time
from duckhouse.warehouse.queries import tenant_status
from duckhouse.warehouse.readers import connect_published
from duckhouse.tenants import get_tenant, load_registry
from duckhouse.paths import registry_path
tenant = get_tenant(load_registry(registry_path()), sys.argv[1])
stop = sys.argv[2]
reads = failed = building = 0
errors = []
while not os.path.exists(stop):
    try:
        with connect_published(tenant.id) as c:
            c.execute("select count(*), sum(net_revenue) from finance.revenue_monthly").fetchall()
        status = tenant_status(tenant, ("finance.revenue_monthly",))
        building += status.status == "building"
        reads += 2
        time.sleep(0.05)
    except Exception as exc:
        failed += 1
        errors.append(f"{type(exc).__name__}: {exc}"[:200])
print(json.dumps({"reads": reads, "failed": failed, "building": building, "errors": errors[:5]}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-factor", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="duckhouse-bench-readers-"))
    registry = scratch / "tenants.yml"
    registry.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: Readers benchmark\n"
        "    sources:\n"
        f"      tpch: {{mode: generated, scale_factor: {args.scale_factor}}}\n"
        "      ksqldb: {mode: generated}\n"
        "      shop: {mode: generated}\n"
        "    schedule: {cron: '0 3 * * *', timezone: UTC}\n"
    )
    env = {**os.environ, "DUCKHOUSE_DATA_DIR": str(scratch / "data"),
           "DUCKHOUSE_REGISTRY": str(registry), "DBT_PROFILES_DIR": str(scratch / "profiles"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}  # fmt: skip
    build = [PYTHON, "-m", "duckhouse.cli", "build", TENANT, "--full-refresh"]
    try:
        measure([PYTHON, "-m", "duckhouse.cli", "build", TENANT], env)  # published once
        alone, with_readers, reads = [], [], []
        for _ in range(args.repeat):
            alone.append(measure(build, env)["seconds"])
            stop = scratch / "stop"
            stop.unlink(missing_ok=True)
            reader = subprocess.Popen(
                [PYTHON, "-c", READER, TENANT, str(stop)],
                cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                with_readers.append(measure(build, env)["seconds"])
            finally:
                stop.touch()
                out, _ = reader.communicate(timeout=120)
            reads.append(json.loads(out))
            if reads[-1]["failed"]:
                raise SystemExit(f"reads failed during the build: {reads[-1]['errors']}")
        row = {
            "scale_factor": args.scale_factor,
            "repeat": args.repeat,
            "build_alone_s": round(statistics.median(alone), 2),
            "build_with_readers_s": round(statistics.median(with_readers), 2),
            "ratio": round(statistics.median(with_readers) / statistics.median(alone), 3),
            "reads_during_build": sum(r["reads"] for r in reads),
            "reads_failed": sum(r["failed"] for r in reads),
            "list_said_building": sum(r["building"] for r in reads),
            "builds_failed": 0,
        }
        write_results("readers_during_build", row)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
