"""The results file every benchmark writes: what was measured, when, on which machine."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

# benchmarks/results, unless $DUCKHOUSE_BENCH_RESULTS says otherwise (run.py --quick: toy
# sizes must never overwrite measured results)
RESULTS_DIR = Path(
    os.environ.get("DUCKHOUSE_BENCH_RESULTS", Path(__file__).resolve().parent / "results")
)


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
