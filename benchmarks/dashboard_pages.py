"""Dashboard page loads at the demo tenants' scale, in headless Chromium.

Builds the demo tenants (acme: TPC-H sf 1, globex: sf 0.1, each with the lake and the shop
at the registry's defaults) into a temporary data folder, starts `duckhouse dashboard`,
and for each tenant and page measures the time from navigation until the page's metrics
and every chart are drawn: the first load after the server started (it copies the
tenant's snapshot into memory) and the median of --repeat reloads. A load counts only if
the page's headline number equals the same figure queried from the tenant's warehouse.
Also reported: what publishing the snapshot costs each build (from the snapshot files'
times) against the build's own time, the snapshot's size, and the dashboard's peak memory.

    .venv/bin/python benchmarks/dashboard_pages.py --repeat 5
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import duckdb
from playwright.sync_api import Page, sync_playwright
from report import PROJECT_DIR, measure, write_results

PYTHON = str(PROJECT_DIR / ".venv" / "bin" / "python")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # fmt: skip
# page -> (URL path, charts drawn at least, headline metric, SQL over the warehouse)
PAGES = {
    "overview": ("", 2, "Revenue", "select revenue from gold_sales.mart_sales__kpi_summary"),
    "finance": ("finance", 4, "Net revenue",
                "select sum(net_revenue) from finance.revenue_monthly"),
    "marketing": ("marketing", 6, "At-risk customers",
                  "select count(*) from marketing.at_risk_customers"),
    "sales": ("sales", 4, "Revenue, all periods",
              "select sum(revenue) from gold_sales.mart_sales__monthly_sales"),
    "health": ("health", 1, "Quarantined lines",
               "select count(*) from bronze.quarantine_shop__lines"),
}  # fmt: skip
READY = """charts => document.querySelectorAll('[data-testid="stMetricValue"]').length > 0
    && Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]')).filter(
        chart => chart.querySelectorAll('svg.marks [class*="role-mark"] path').length > 0
    ).length >= charts"""
METRIC = """label => Array.from(document.querySelectorAll('[data-testid="stMetric"]')).find(
    metric => metric.querySelector('[data-testid="stMetricLabel"]').innerText.trim() === label
).querySelector('[data-testid="stMetricValue"]').innerText"""


def _peak_mb(session: int) -> float:
    """Peak resident memory of every process in the server's session (VmHWM)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            stat = (status.parent / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[3]) == session:  # session id
                total += int(re.search(r"VmHWM:\s+(\d+)", status.read_text()).group(1))
        except (OSError, AttributeError, ValueError):
            continue
    return round(total / 1024)


def _load(page: Page, url: str, charts: int, label: str) -> tuple[float, str]:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(READY, arg=charts, timeout=120_000)
    seconds = time.perf_counter() - started
    return seconds, page.evaluate(METRIC, label)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", nargs="+", default=["acme=1", "globex=0.1"],
                        help="id=scale_factor (default: the demo tenants)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tenants = dict(item.split("=") for item in args.tenants)
    root = Path(tempfile.mkdtemp(prefix="duckhouse-bench-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # however the run ends
    registry = root / "tenants.yml"
    registry.write_text("tenants:\n" + "".join(
        f"  - id: {t}\n    display_name: Dashboard benchmark {t}\n    sources:\n"
        f"      tpch: {{mode: generated, scale_factor: {sf}}}\n"
        "      ksqldb: {mode: generated}\n      shop: {mode: generated}\n"
        "    schedule:\n      cron: \"0 3 * * *\"\n      timezone: UTC\n"
        for t, sf in tenants.items()
    ))  # fmt: skip
    env = dict(os.environ, DUCKHOUSE_DATA_DIR=str(root / "data"),
               DUCKHOUSE_REGISTRY=str(registry), DBT_PROFILES_DIR=str(root / "profiles"),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")  # fmt: skip
    cli = [PYTHON, "-m", "duckhouse.cli"]
    builds = {}
    for tenant in tenants:
        build = measure([*cli, "build", tenant], env)
        snapshot = max((root / "data" / tenant / "dashboard").glob("snapshot=*"))
        files = list(snapshot.iterdir())
        publish = (snapshot / "_build.json").stat().st_mtime - min(
            path.stat().st_mtime for path in files
        )
        builds[tenant] = {
            "build_seconds": round(build["seconds"], 2),
            "publish_seconds": round(publish, 3),
            "publish_share": round(publish / build["seconds"], 4),
            "snapshot_mb": round(sum(path.stat().st_size for path in files) / 2**20, 2),
        }
        print(tenant, builds[tenant], flush=True)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([*cli, "dashboard", "--port", str(port)], cwd=PROJECT_DIR,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)  # fmt: skip
    rows = []
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the dashboard did not start")
            time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_FLAGS)  # fmt: skip
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for tenant in tenants:
                with duckdb.connect(str(root / "data" / tenant / f"{tenant}.duckdb"),
                                    read_only=True) as warehouse:  # fmt: skip
                    expected = {name: warehouse.execute(sql).fetchone()[0]
                                for name, (_, _, _, sql) in PAGES.items()}  # fmt: skip
                for name, (path, charts, label, _) in PAGES.items():
                    url = f"http://127.0.0.1:{port}/{path}?tenant={tenant}"
                    loads = [_load(page, url, charts, label) for _ in range(args.repeat + 1)]
                    for _, shown in loads:
                        number = Decimal(re.sub(r"[,\s%]", "", shown))
                        want = Decimal(str(expected[name])).quantize(Decimal("0.01"))
                        if number != want:
                            raise SystemExit(f"{tenant} {name}: page shows {shown}, "
                                             f"the warehouse says {want}")  # fmt: skip
                    rows.append({
                        "tenant": tenant, "page": name,
                        "first_load_s": round(loads[0][0], 2),
                        "median_load_s": round(statistics.median(s for s, _ in loads[1:]), 2),
                    })  # fmt: skip
                    print(rows[-1], flush=True)
            browser.close()
        peak = _peak_mb(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    write_results("dashboard_pages", {
        "tenants": tenants, "repeat": args.repeat, "builds": builds, "pages": rows,
        "slowest_median_load_s": max(row["median_load_s"] for row in rows),
        "dashboard_peak_mb": peak,
    })  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
