"""Verbs that serve a tenant's audited numbers: the dashboard, the object store, publish."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from duckhouse.cli.common import EXIT_FAILED, EXIT_OK, select_tenants, tenant_arg
from duckhouse.paths import PROJECT_DIR, registry_path
from duckhouse.tenants import load_registry


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Run the Streamlit app in the foreground until interrupted."""
    load_registry(registry_path())  # a broken registry is reported here, not in a browser
    app = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
    print(f"duckhouse dashboard: http://{args.host}:{args.port}  (Ctrl-C stops it)")
    return subprocess.call(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app),
            "--server.address",
            args.host,
            "--server.port",
            str(args.port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--global.developmentMode",
            "false",
            "--server.fileWatcherType",
            "none",
            "--theme.base",
            "light",
            "--client.toolbarMode",
            "viewer",
        ],
        cwd=PROJECT_DIR,
    )


def cmd_s3(args: argparse.Namespace) -> int:
    """The development object store (SeaweedFS on loopback): up, down, status."""
    from duckhouse.services import objectstore

    if args.action == "down":
        print("object store stopped" if objectstore.stop() else "object store was not running")
        return EXIT_OK
    if args.action == "status":
        state = objectstore.running()
        if state is None:
            print("object store: not running (duckhouse s3 up)")
            return EXIT_FAILED
        print(f"object store: S3 http://{state.s3_endpoint}, Iceberg REST {state.iceberg_endpoint}")
        return EXIT_OK
    tenants = load_registry(registry_path())
    state = objectstore.start(tenants)
    credentials = objectstore.server_dir() / "credentials.env"
    print(f"object store up (SeaweedFS, loopback): S3 http://{state.s3_endpoint}, "
          f"Iceberg REST {state.iceberg_endpoint}; data in {objectstore.server_dir()}")  # fmt: skip
    for tenant in tenants:
        keys = " / ".join(f"${name}" for name in objectstore.credential_env(tenant.id))
        print(f"  [{tenant.id}] catalog {objectstore.table_bucket(tenant.id)}, files "
              f"{objectstore.parquet_prefix(tenant.id)}/, keys {keys}")  # fmt: skip
    print(f"keys not in the environment are in {credentials} (mode 0600): "
          f"set -a; . {credentials}; set +a")  # fmt: skip
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish each tenant's gold and views as Iceberg tables and Parquet files."""
    from duckhouse.services.objectstore import parquet_prefix, table_bucket
    from duckhouse.services.publish import publish

    for tenant in select_tenants(args.tenants):
        started = time.perf_counter()
        tables = publish(tenant.id)
        rows = sum(table.rows for table in tables)
        seconds = time.perf_counter() - started
        print(f"[{tenant.id}] published {len(tables)} tables ({rows} rows) in {seconds:.1f} s: "
              f"Iceberg catalog {table_bucket(tenant.id)}, "
              f"Parquet {parquet_prefix(tenant.id)}/")  # fmt: skip
        for table in tables:
            print(f"  {table.schema}.{table.name}: {table.rows} rows, snapshot {table.snapshot_id}")
    return EXIT_OK


def register(verbs: argparse._SubParsersAction) -> None:
    dashboard = verbs.add_parser(
        "dashboard",
        help="start the dashboard (Streamlit) over every tenant's last successful build",
    )
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    dashboard.add_argument("--port", type=int, default=8501, help="port (default: 8501)")
    dashboard.set_defaults(run=cmd_dashboard)

    s3 = verbs.add_parser(
        "s3",
        help="the development object store (SeaweedFS: S3 + Iceberg REST, loopback): "
        "up (start or restart with every tenant's identity), down, status",
    )
    s3.add_argument("action", choices=("up", "down", "status"))
    s3.set_defaults(run=cmd_s3)

    publish = verbs.add_parser(
        "publish",
        help="publish each tenant's gold and views to the object store: Iceberg "
        "tables (a new snapshot each time) and Parquet files",
    )
    publish.add_argument("tenants", nargs="*", type=tenant_arg, help="tenant ids (default: all)")
    publish.set_defaults(run=cmd_publish)
