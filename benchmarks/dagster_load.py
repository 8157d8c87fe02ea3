"""How long the Dagster code location takes to load, with 2 and with 50 tenants.

For each tenant count the benchmark registers that many tenants in a scratch registry
(nothing is landed or built: loading the definitions never touches data), then measures
in fresh Python processes, as Dagster's code server does on every start or reload:

* cold   -- no prepared manifest: the load runs `dbt parse` for every tenant;
* warm   -- after `duckhouse prepare`: the load only reads the prepared manifests.

Each figure is the median of --repeat runs; the ratio cold/warm is what preparing saves.
Results go to benchmarks/results/dagster_load.json and a table on stdout.

    .venv/bin/python benchmarks/dagster_load.py            # 2, 10 and 50 tenants
    .venv/bin/python benchmarks/dagster_load.py --tenants 2 10 50 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from duckhouse.warehouse.dbt import target_path

PROJECT_DIR = Path(__file__).resolve().parents[1]
RESULTS = (
    Path(os.environ.get("DUCKHOUSE_BENCH_RESULTS", PROJECT_DIR / "benchmarks" / "results"))
    / "dagster_load.json"
)
PYTHON = str(PROJECT_DIR / ".venv" / "bin" / "python")

LOAD = """
import resource, time
started = time.perf_counter()
from duckhouse.orchestration.definitions import build_definitions
graph = build_definitions().resolve_asset_graph()
elapsed = time.perf_counter() - started
tenants = {key.path[0] for key in graph.get_all_asset_keys()}
peak_mb = sum(resource.getrusage(who).ru_maxrss for who in
              (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
print(elapsed, len(tenants), len(graph.get_all_asset_keys()), peak_mb)
"""


def _registry(path: Path, count: int) -> list[str]:
    ids = [f"bench_{n:02d}" for n in range(count)]
    lines = ["tenants:"]
    for tenant_id in ids:
        lines += [
            f"  - id: {tenant_id}",
            f"    display_name: Benchmark tenant {tenant_id}",
            "    sources:",
            "      tpch:",
            "        mode: generated",
            "        scale_factor: 0.01",
            "      ksqldb: {mode: generated}",
            "      shop: {mode: generated}",
            "    schedule:",
            '      cron: "0 3 * * *"',
            "      timezone: UTC",
        ]
    path.write_text("\n".join(lines) + "\n")
    return ids


def _load(env: dict[str, str], tenants: int) -> tuple[float, int, float]:
    """Seconds to load the definitions, assets loaded, peak MB of the load (its process
    plus the largest `dbt parse` it ran)."""
    result = subprocess.run(
        [PYTHON, "-c", LOAD], cwd=PROJECT_DIR, env=env, text=True, capture_output=True
    )
    if result.returncode != 0:
        raise SystemExit(f"loading the definitions failed:\n{result.stderr[-3000:]}")
    elapsed, loaded, assets, peak_mb = result.stdout.split()[-4:]
    # refuse to report a load that did not produce every tenant's assets
    if int(loaded) != tenants:
        raise SystemExit(f"expected {tenants} tenants in the asset graph, found {loaded}")
    return float(elapsed), int(assets), float(peak_mb)


def _clear_manifests(ids: list[str]) -> None:
    for tenant_id in ids:
        shutil.rmtree(target_path(tenant_id), ignore_errors=True)


def measure(count: int, repeat: int, cold_repeat: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="duckhouse-bench-") as scratch:
        root = Path(scratch)
        ids = _registry(root / "tenants.yml", count)
        env = {
            **os.environ,
            "DUCKHOUSE_REGISTRY": str(root / "tenants.yml"),
            "DUCKHOUSE_DATA_DIR": str(root / "data"),
            "DBT_PROFILES_DIR": str(root / "profiles"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        cli = [PYTHON, "-m", "duckhouse.cli"]
        subprocess.run([*cli, "profiles"], cwd=PROJECT_DIR, env=env, check=True,
                       capture_output=True)  # fmt: skip
        try:
            cold, cold_peak = [], 0.0
            for _ in range(cold_repeat):
                _clear_manifests(ids)
                elapsed, _, peak = _load(env, count)
                cold.append(elapsed)
                cold_peak = max(cold_peak, peak)
            _clear_manifests(ids)
            started = time.perf_counter()
            subprocess.run([*cli, "prepare"], cwd=PROJECT_DIR, env=env, check=True,
                           capture_output=True)  # fmt: skip
            prepare = time.perf_counter() - started
            loads = [_load(env, count) for _ in range(repeat)]
            warm = [elapsed for elapsed, _, _ in loads]
        finally:
            _clear_manifests(ids)
    return {
        "tenants": count,
        "assets": loads[0][1],
        "cold_load_s": round(statistics.median(cold), 2),
        "prepare_s": round(prepare, 2),
        "warm_load_s": round(statistics.median(warm), 2),
        "warm_load_per_tenant_ms": round(1000 * statistics.median(warm) / count, 1),
        "cold_over_warm": round(statistics.median(cold) / statistics.median(warm), 1),
        "warm_peak_mb": round(max(peak for _, _, peak in loads)),
        "cold_peak_mb": round(cold_peak),
        "repeat": repeat,
        "cold_repeat": cold_repeat,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, nargs="+", default=[2, 10, 50])
    parser.add_argument("--repeat", type=int, default=3, help="warm loads per tenant count")
    parser.add_argument(
        "--cold-repeat", type=int, default=1, help="cold loads (each parses every tenant)"
    )
    args = parser.parse_args()
    rows = [measure(count, args.repeat, args.cold_repeat) for count in args.tenants]
    report = {
        "benchmark": "dagster_definitions_load",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "results": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'tenants':>7} {'cold load':>10} {'prepare':>8} {'warm load':>10} "
          f"{'per tenant':>11} {'cold/warm':>9}")  # fmt: skip
    for row in rows:
        print(
            f"{row['tenants']:>7} {row['cold_load_s']:>9.1f}s {row['prepare_s']:>7.1f}s "
            f"{row['warm_load_s']:>9.2f}s {row['warm_load_per_tenant_ms']:>9.0f}ms "
            f"{row['cold_over_warm']:>8.1f}x"
        )
    print(f"results: {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
