"""What duckhouse reads from a tenant's warehouse, in one place: the last build, the row
counts of the public views, what the landing did not land (quarantined lines, refused or
ignored files, conflicting events) and the tenant's status. `duckhouse build` and `list`
run these on the warehouse (read-only, sandboxed: duckhouse.warehouse.readers); the
dashboard runs the same SQL on its snapshot of the build (duckhouse.dashboard)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from duckhouse.locks import TenantBusyError, tenant_lock
from duckhouse.paths import published_warehouse_path, warehouse_path
from duckhouse.tenants import Tenant, describe_sources
from duckhouse.warehouse.audit import last_published
from duckhouse.warehouse.readers import connect_published, connect_sandboxed

QUARANTINE = "bronze.quarantine_shop__lines"
SHOP_FILES = "bronze.inventory_shop__files"
LAKE_FILES = "bronze.inventory_ksqldb__lake_files"
EVENT_CONFLICTS = "silver.fct_transaction_event_conflicts"
BUILDS = "duckhouse_meta.builds"
BUILD_SOURCES = "duckhouse_meta.build_sources"

QUARANTINE_BY_RULE = (
    f"select entity, rule_name, count(*) from {QUARANTINE} group by all order by all"
)
QUARANTINE_BY_FILE = f"""
    select entity, _source_file as source_file, rule_name, column_name, count(*) as lines,
        min(_line) as first_line, any_value(reason) as example_reason
    from {QUARANTINE}
    group by all
    order by lines desc, entity, source_file
"""
SHOP_FILES_NOT_LANDED = f"""
    select status, zone_path, reason from {SHOP_FILES}
    where status <> 'extract' and zone_path not in ('_generator.json', '_faults.json')
    order by zone_path
"""
LAKE_FILES_NOT_LANDED = f"""
    select status, lake_path, reason from {LAKE_FILES}
    where status in ('quarantined', 'refused') order by lake_path
"""
LAKE_FILES_IGNORED = f"select count(*) from {LAKE_FILES} where status = 'ignored'"
EVENT_CONFLICT_COUNT = f"select count(*) from {EVENT_CONFLICTS}"
LAST_BUILD = f"""
    select coalesce(finished_at, started_at), finished_at - started_at,
        coalesce(errors, 0) + coalesce(failures, 0), status, invocation_id
    from {BUILDS} order by started_at desc limit 1
"""
RECENT_BUILDS = f"select * from {BUILDS} order by started_at desc limit 10"


def source_freshness(freshness_hours: float) -> str:
    """Per source: its last successful build, its last build and whether it is fresh."""
    return f"""
        select source_name,
            max(finished_at) filter (where status = 'ok') as last_successful_build,
            max(finished_at) as last_build,
            arg_max(status, finished_at) as last_status,
            round(date_diff('minute', max(finished_at) filter (where status = 'ok'),
                cast(now() at time zone 'UTC' as timestamp)) / 60.0, 1) as hours_since,
            coalesce(hours_since <= {float(freshness_hours)}, false) as is_fresh
        from {BUILD_SOURCES}
        group by source_name
        order by source_name
    """


class TenantCorruptError(RuntimeError):
    """The tenant's warehouse is not a DuckDB database (any more)."""


def open_failure(tenant_id: str, exc: duckdb.Error) -> RuntimeError:
    """What a failure to open the tenant's warehouse means: another process holds it (a
    build, or someone's `dbt build`), or the file is not a DuckDB database."""
    message = str(exc).splitlines()[0]
    if "lock" in message.lower():
        return TenantBusyError(
            f"tenant '{tenant_id}': its warehouse is in use by another process: {message}"
        )
    return TenantCorruptError(
        f"tenant '{tenant_id}': its warehouse {warehouse_path(tenant_id)} is corrupt or not a "
        f"DuckDB database: {message}"
    )


def build_rows(tenant_id: str, sql: str) -> list[tuple]:
    """Rows of a query on the tenant's build warehouse, read-only and sandboxed; none
    when it has no warehouse or not the relation yet."""
    path = warehouse_path(tenant_id)
    if not path.is_file():
        return []
    with connect_sandboxed(path, read_only=True) as connection:
        try:
            return connection.execute(sql).fetchall()
        except duckdb.CatalogException:
            return []


def _count(tenant_id: str, sql: str) -> int:
    rows = build_rows(tenant_id, sql)
    return int(rows[0][0]) if rows else 0


@dataclass(frozen=True)
class LandingReport:
    """What the last build did not land, with why (all empty when everything landed)."""

    lake_files: list[tuple[str, str, str]]  # (quarantined | refused, lake path, reason)
    lake_ignored: int
    event_conflicts: int
    shop_files: list[tuple[str, str, str]]  # (status, zone path, reason)
    quarantined: list[tuple[str, str, int]]  # (entity, rule, lines)


def landing_report(tenant_id: str) -> LandingReport:
    return LandingReport(
        lake_files=build_rows(tenant_id, LAKE_FILES_NOT_LANDED),
        lake_ignored=_count(tenant_id, LAKE_FILES_IGNORED),
        event_conflicts=_count(tenant_id, EVENT_CONFLICT_COUNT),
        shop_files=build_rows(tenant_id, SHOP_FILES_NOT_LANDED),
        quarantined=build_rows(tenant_id, QUARANTINE_BY_RULE),
    )


def view_counts(tenant_id: str, views: tuple[str, ...]) -> dict[str, int | None]:
    """Rows of each view as readers see them (the published warehouse); None for a view
    the published build does not have."""
    counts: dict[str, int | None] = {}
    with connect_published(tenant_id) as readers:
        for view in views:
            try:
                (count,) = readers.execute(f"select count(*) from {view}").fetchone()
                counts[view] = int(count)
            except duckdb.Error:
                counts[view] = None
    return counts


@dataclass
class TenantStatus:
    tenant: Tenant
    status: str  # ok, failed, interrupted, built, not published, never built, building, ...
    last_build: str | None = None  # ISO time of the last dbt build/run
    last_build_seconds: float | None = None
    failures: int = 0
    view_rows: dict[str, int | None] | None = None

    def as_dict(self) -> dict:
        return {
            "id": self.tenant.id,
            "display_name": self.tenant.display_name,
            "sources": describe_sources(self.tenant),
            "schedule": f"{self.tenant.schedule.cron} ({self.tenant.schedule.timezone})",
            "status": self.status,
            "last_build": self.last_build,
            "last_build_seconds": self.last_build_seconds,
            "failures": self.failures,
            "view_rows": self.view_rows,
        }


def last_build(tenant_id: str, path: Path) -> tuple | None:
    """The newest row of duckhouse_meta.builds in the tenant's build warehouse."""
    try:
        connection = connect_sandboxed(path, read_only=True)
    except duckdb.Error as exc:
        raise open_failure(tenant_id, exc) from exc
    with connection:
        try:
            return connection.execute(LAST_BUILD).fetchone()
        except duckdb.CatalogException:
            return None


def tenant_status(tenant: Tenant, public_views: tuple[str, ...]) -> TenantStatus:
    """The tenant's last build (duckhouse_meta.builds in its build warehouse, written by every
    dbt build of it: macros/build_log.sql) and the row counts of its public views as readers
    see them (the last audited build: duckhouse.warehouse.audit)."""
    status = TenantStatus(tenant, "never built")
    path = warehouse_path(tenant.id)
    if not path.is_file():
        return status
    try:
        # shared, never waiting: a build holding the tenant is reported, and no build
        # can start (and fail on DuckDB's file lock) while this reads
        with tenant_lock(tenant.id, "list", shared=True, wait=False):
            last = last_build(tenant.id, path)
    except TenantBusyError:
        status.status = "building"
        last = None
    except TenantCorruptError:
        status.status = "corrupt warehouse"
        return status
    if last is not None and status.status != "building":
        finished, took, failures, state, invocation_id = last
        status.last_build = finished.isoformat(timespec="seconds") + "Z"
        status.last_build_seconds = round(took.total_seconds(), 1) if took else None
        # the warehouse opened: no build holds it, so a build still `running` was cut short
        status.failures, status.status = (
            int(failures),
            ("interrupted" if state == "running" else state),
        )
        published = last_published(tenant.id)
        if state == "ok" and (published or {}).get("invocation_id") != invocation_id:
            # it passed, but readers do not see it: its publish was cut short, or it was a
            # plain `dbt build` (the next `duckhouse build` publishes)
            status.status = "built, not published"
    if published_warehouse_path(tenant.id).is_file():
        counts = view_counts(tenant.id, public_views)
        status.view_rows = counts if any(v is not None for v in counts.values()) else None
    return status
