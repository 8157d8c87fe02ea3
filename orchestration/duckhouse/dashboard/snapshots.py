"""The dashboard's read side of a tenant's gold: Parquet snapshots, one per good build.

Every successful `dbt build` of a tenant writes its dashboard models to
`<data>/<tenant>/dashboard/snapshot=<UTC start>_<invocation id>/` and `_build.json` last
(macros/dashboard.sql). A snapshot counts once its `_build.json` exists; the newest such
snapshot is the tenant's current one. Nothing here opens the warehouse: a build can take the
DuckDB writer lock at any time, and the dashboard keeps showing the last good build.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from duckhouse.paths import published_dir, tenant_dir
from duckhouse.project import project_var
from duckhouse.sqltext import sql_identifier

_PROTOCOL = project_var("dashboard_snapshots")  # dbt_project.yml: macros/dashboard.sql writes
FOLDER: str = _PROTOCOL["folder"]
PREFIX: str = _PROTOCOL["prefix"]
MARKER: str = _PROTOCOL["marker"]
PUBLISHED_MARKER = "_published.json"
"""duckhouse.warehouse.audit writes it beside the published warehouse."""
KEEP = 3
"""Complete snapshots kept per tenant: the current one and two before it, so that a page
still reading the previous snapshot when a build publishes a new one never loses its files."""
STALE_PARTIAL_SECONDS = 6 * 3600
"""A snapshot without its marker this old was cut short (a killed build): pruned."""


class NoSnapshotError(LookupError):
    """A tenant has no complete dashboard snapshot yet (never built successfully)."""


@dataclass(frozen=True)
class Snapshot:
    tenant_id: str
    path: Path
    build: dict = field(compare=False, hash=False)

    @classmethod
    def at(cls, path: Path) -> Snapshot:
        """The complete snapshot in `path` (its marker read again)."""
        build = json.loads((path / MARKER).read_text())
        return cls(tenant_id=build["tenant_id"], path=path, build=build)

    @property
    def relations(self) -> list[str]:
        return list(self.build["relations"])

    def load(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB holding every relation of the snapshot as a table, under
        its warehouse name (`finance.revenue_monthly`). Copied into memory, so pruning the
        files later cannot break a page that already loaded them."""
        connection = duckdb.connect(":memory:")
        for relation in self.relations:
            schema, table = relation.split(".", 1)
            connection.execute(f"create schema if not exists {sql_identifier(schema)}")
            connection.execute(
                f"create table {sql_identifier(schema)}.{sql_identifier(table)} as "
                "select * from read_parquet(?)",
                [str(self.path / f"{relation}.parquet")],
            )
        return connection


def dashboard_dir(tenant_id: str) -> Path:
    return tenant_dir(tenant_id) / FOLDER


def _complete(tenant_id: str) -> list[Path]:
    """The tenant's complete snapshots, oldest first (names start with the UTC start)."""
    folder = dashboard_dir(tenant_id)
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(PREFIX) and (path / MARKER).is_file()
    )


def _published(tenant_id: str) -> str | None:
    """The invocation id of the build readers see (duckhouse.warehouse.audit's marker), if any."""
    marker = published_dir(tenant_id) / PUBLISHED_MARKER
    try:
        return json.loads(marker.read_text()).get("invocation_id")
    except (OSError, json.JSONDecodeError):
        return None


def latest_snapshot(tenant_id: str) -> Snapshot:
    """The snapshot of the build readers see -- the last audited and published one, so the
    dashboard never shows a build the published warehouse does not hold (a build whose
    publish was cut short) --, else the newest complete one; NoSnapshotError when none."""
    complete = _complete(tenant_id)
    published = _published(tenant_id)
    chosen = [p for p in complete if published and p.name.endswith(f"_{published}")]
    for path in reversed(chosen or complete):
        try:
            return Snapshot.at(path)
        except (OSError, json.JSONDecodeError):
            continue  # pruned or being written this instant: the one before is as good
    raise NoSnapshotError(
        f"tenant '{tenant_id}' has no dashboard snapshot in {dashboard_dir(tenant_id)}: "
        f"it has not been built successfully yet (duckhouse build {tenant_id})"
    )


def prune_snapshots(tenant_id: str, keep: int = KEEP) -> list[Path]:
    """Delete all but the `keep` newest complete snapshots, and partial ones left by a build
    that was cut short long ago; returns what was deleted."""
    folder = dashboard_dir(tenant_id)
    if not folder.is_dir():
        return []
    complete = _complete(tenant_id)
    published = _published(tenant_id)
    doomed = [
        path
        for path in (complete[:-keep] if keep else complete)
        if not (published and path.name.endswith(f"_{published}"))  # what readers see stays
    ]
    now = time.time()
    for path in folder.iterdir():
        if (
            path.name.startswith(PREFIX)
            and not (path / MARKER).exists()
            and now - path.stat().st_mtime > STALE_PARTIAL_SECONDS
        ):
            doomed.append(path)
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed
