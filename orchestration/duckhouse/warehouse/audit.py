"""Write-audit-publish: readers only ever see a build whose data tests all passed.

A tenant's dbt target builds its *build warehouse* (`<data>/<t>/<t>.duckdb`): the analytics
engineer's and the scheduler's workspace, where a failing build's results stay to be
inspected. Only after a build whose every node passed does `publish_audited` replace what
readers see, in one atomic rename each:

    <data>/<t>/published/<t>.duckdb   the warehouse as that build left it (query, list,
                                      object-store publishing, BI tools)
    <data>/<t>/kpi_summary.json       the shop's headline numbers
    <data>/<t>/dashboard/snapshot=... the dashboard's copy (macros/dashboard.sql writes it
                                      from dbt's on-run-end, only when no node failed)

A failed build publishes nothing: `explain_failures` re-runs the failed tests with
`--store-failures` (their failing rows in the build warehouse's `*_dbt_test__audit`
schema) and returns the rows, so the build's output names the file, line or key.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from duckhouse.dashboard.snapshots import PUBLISHED_MARKER
from duckhouse.paths import (
    kpi_summary_path,
    published_dir,
    published_warehouse_path,
    warehouse_path,
)
from duckhouse.sqltext import sql_identifier
from duckhouse.warehouse.dbt import run_dbt, target_path
from duckhouse.warehouse.readers import connect_sandboxed

FAILED_STATUSES = ("error", "fail", "runtime error")
MARKER = PUBLISHED_MARKER
KPI_RELATION = "gold_sales.mart_sales__kpi_summary"
SHOWN_ROWS = 5


@dataclass(frozen=True)
class Published:
    tenant_id: str
    path: Path
    seconds: float
    bytes: int


@dataclass(frozen=True)
class Failure:
    name: str
    status: str
    failures: int | None
    message: str
    rows: list[dict]


def run_results(tenant_id: str, artifacts: Path | None = None) -> dict:
    path = (artifacts or target_path(tenant_id)) / "run_results.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def failed_nodes(results: dict) -> list[dict]:
    return [r for r in results.get("results", []) if r.get("status") in FAILED_STATUSES]


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def publish_audited(tenant_id: str) -> Published:
    """Make the build warehouse, as it is now (after a build whose nodes all passed), what
    readers see: a checkpointed copy renamed over the published one, then the KPI file."""
    started = time.perf_counter()
    source = warehouse_path(tenant_id)
    target = published_warehouse_path(tenant_id)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for left in target.parent.glob(".staging-*"):  # of a publish that was killed
        shutil.rmtree(left, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        copy = staging / target.name
        shutil.copyfile(source, copy)
        wal = source.with_name(source.name + ".wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        # sandboxed: the tenant's dbt session made what is in it (views, macros)
        with connect_sandboxed(copy, read_only=False, allowed=(staging,)) as connection:
            # one file: the WAL folded in
            connection.execute("checkpoint")
            kpi = _kpi_rows(connection)
            invocation_id = _last_invocation(connection)
        with copy.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(copy, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if kpi is not None:
        _write_atomically(kpi_summary_path(tenant_id), f"[{kpi}]\n")  # an array, as before
    _write_atomically(
        target.parent / MARKER,
        json.dumps({
            "tenant_id": tenant_id,
            "invocation_id": invocation_id,
            "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "warehouse": str(target),
        }, indent=2) + "\n",
    )  # fmt: skip
    return Published(tenant_id, target, time.perf_counter() - started, target.stat().st_size)


def _kpi_rows(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The KPI row as JSON, written by DuckDB (money as exact numbers)."""
    try:
        # the built-in, by its full name: a macro in the warehouse may be called to_json
        row = connection.execute(
            f"select system.main.to_json(kpi) from {KPI_RELATION} as kpi"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def _last_invocation(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The dbt invocation that built this warehouse last (macros/build_log.sql)."""
    try:
        row = connection.execute(
            "select invocation_id from duckhouse_meta.builds order by started_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def last_published(tenant_id: str) -> dict | None:
    marker = published_dir(tenant_id) / MARKER
    return json.loads(marker.read_text()) if marker.is_file() else None


def explain_failures(tenant_id: str) -> list[Failure]:
    """The failed nodes of the tenant's last build, each failed data test re-run with its
    failing rows stored (in the build warehouse) and the first of them returned."""
    results = run_results(tenant_id)
    failed = failed_nodes(results)
    if not failed:
        return []
    audit_target = target_path(tenant_id) / "audit"
    tests = [r["unique_id"] for r in failed if r["unique_id"].startswith("test.")]
    stored: dict[str, list[dict]] = {}
    if tests:
        names = [unique_id.split(".")[2] for unique_id in tests]
        run_dbt(
            tenant_id, "test", "--store-failures", "--select", *names,
            capture=True, check=False, artifacts=audit_target,
        )  # fmt: skip
        stored = _stored_failures(tenant_id, audit_target)
    return [
        Failure(
            name=r["unique_id"].split(".")[2] if "." in r["unique_id"] else r["unique_id"],
            status=r["status"],
            failures=r.get("failures"),
            message=(r.get("message") or "").strip(),
            rows=stored.get(r["unique_id"], []),
        )
        for r in failed
    ]


def _stored_failures(tenant_id: str, audit_target: Path) -> dict[str, list[dict]]:
    """The first failing rows of each re-run test, from the tables `--store-failures` wrote
    (named after the test, in the audit schema)."""
    manifest_path = audit_target / "manifest.json"
    if not manifest_path.is_file():
        return {}
    nodes = json.loads(manifest_path.read_text())["nodes"]
    found: dict[str, list[dict]] = {}
    with connect_sandboxed(warehouse_path(tenant_id), read_only=True) as connection:
        for result in run_results(tenant_id, audit_target).get("results", []):
            alias = nodes.get(result["unique_id"], {}).get("alias")
            if not alias or result.get("status") not in FAILED_STATUSES:
                continue
            located = connection.execute(
                "select table_schema from information_schema.tables "
                "where table_name = ? and table_schema like '%dbt_test__audit'",
                [alias],
            ).fetchone()
            if located is None:
                continue
            relation = f"{sql_identifier(located[0])}.{sql_identifier(alias)}"
            rows = connection.sql(f"select * from {relation} limit {SHOWN_ROWS}")
            found[result["unique_id"]] = [
                dict(zip(rows.columns, row, strict=True)) for row in rows.fetchall()
            ]
    return found
