"""One tenant's build, the same for `duckhouse build` and the Dagster job: land each
source, run dbt, then finish an audited build (prune dashboard snapshots, publish to
readers). The CLI runs every step here; the Dagster job runs the landing steps as its
landing assets and dbt through dagster-dbt, then calls `after_build`.

Who writes a landing zone, and what a build does about it before dbt runs:

A `generated` source's zone is duckhouse's own: its demo data is written here when the zone
has none (deterministically, from the registry's seed). A `delivered` source's zone belongs
to the system that writes it: nothing here writes, moves or deletes anything in it; a build
only reads it (the dbt models, through duckhouse.ingest). This is the one place that calls
the simulators for a build: the landing code never does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from duckhouse.dashboard.snapshots import prune_snapshots
from duckhouse.folders import make_private_dir
from duckhouse.ingest.ksqldb import feed_definitions, lake_dir
from duckhouse.ingest.postgres import check_source
from duckhouse.ingest.shop import scan_zone, shop_dir
from duckhouse.ingest.tpch import land_tpch
from duckhouse.paths import check_tenant_folders, tenant_dir
from duckhouse.tenants import Tenant
from duckhouse.warehouse.audit import Published, publish_audited
from duckhouse.warehouse.dbt import run_dbt


@dataclass(frozen=True)
class ZoneReport:
    source: str
    path: Path
    mode: str
    generated: bool  # this step wrote demo data
    message: str
    rows: dict[str, int] = field(default_factory=dict)  # rows per table, where counted


def prepare_ksqldb(tenant: Tenant, *, force: bool = False) -> ZoneReport:
    path = lake_dir(tenant.id)
    if tenant.ksqldb.mode == "generated":
        from duckhouse.simulate.ksqldb import land_ksqldb

        result = land_ksqldb(tenant, force=force)
        message = (
            f"export lake present ({result.events:,} events), kept"
            if result.skipped
            else f"generated {result.events:,} events in {result.files:,} files in "
            f"{result.seconds:.1f}s -> {result.path}"
        )
        return ZoneReport("ksqldb", path, "generated", not result.skipped, message)
    if path.is_symlink():
        return ZoneReport("ksqldb", path, "delivered", False,
                          f"delivered lake at {path} is a symbolic link: refused, never read "
                          "(the build lands nothing from it)")  # fmt: skip
    if not path.is_dir():
        return ZoneReport("ksqldb", path, "delivered", False,
                          f"delivered, nothing delivered yet at {path} (read-only)")  # fmt: skip
    feeds, problems = feed_definitions(path)
    active = sum(1 for feed in feeds if feed["status"] == "active")
    message = f"delivered lake at {path}: {active} active feed(s), read-only"
    for bad, reason in problems:
        message += f"\n    feed definition {bad}: {reason} (not landed; the other feeds are)"
    return ZoneReport("ksqldb", path, "delivered", False, message)


def prepare_shop(tenant: Tenant, *, force: bool = False) -> ZoneReport:
    path = shop_dir(tenant.id)
    if tenant.shop.mode == "generated":
        from duckhouse.simulate.shop import land_shop

        result = land_shop(tenant, force=force)
        if result is None:
            return ZoneReport("shop", path, "generated", False, "CSV extracts present, kept")
        counts = ", ".join(f"{rows:,} {entity}" for entity, rows in result.rows.items())
        return ZoneReport("shop", path, "generated", True, f"generated {counts} -> {path}")
    files = scan_zone(path)
    extracts = sum(1 for f in files if f.status == "extract")
    if not files:
        return ZoneReport("shop", path, "delivered", False,
                          f"delivered, nothing delivered yet at {path} (read-only)")  # fmt: skip
    return ZoneReport("shop", path, "delivered", False,
                      f"delivered extracts at {path}: {extracts} extract file(s) of "
                      f"{len(files)} file(s), read-only")  # fmt: skip


def prepare_tpch(tenant: Tenant, *, force: bool = False) -> ZoneReport:
    """TPC-H: generated as Parquet into the landing zone (kept when current), or, for a
    PostgreSQL tenant, nothing to land: dbt reads the server directly, so the source is
    checked first (tables, column types, row counts) and a broken one stops the build
    here, with the warehouse of the last build untouched."""
    if tenant.tpch.mode == "postgres":
        source = tenant.tpch.postgres
        assert source is not None
        counts = check_source(tenant)
        where = f"{source.host}:{source.port}/{source.database}"
        return ZoneReport(
            "tpch", tenant_dir(tenant.id), "postgres", False,
            f"PostgreSQL {where} checked, {sum(counts.values()):,} rows in {len(counts)} "
            "tables (read by dbt, nothing to land)", counts,
        )  # fmt: skip
    result = land_tpch(tenant, force=force)
    sf = tenant.tpch.scale_factor
    message = (
        f"landing at sf={sf} is current, kept"
        if result.skipped
        else f"landed {sum(result.row_counts.values()):,} rows at sf={sf} in "
        f"{result.seconds:.1f}s -> {result.path}"
    )
    return ZoneReport("tpch", result.path, "generated", not result.skipped, message,
                      dict(result.row_counts))  # fmt: skip


LANDING_STEPS: dict[str, Callable[..., ZoneReport]] = {
    "tpch": prepare_tpch,
    "ksqldb": prepare_ksqldb,
    "shop": prepare_shop,
}
"""Each source's landing step, by the name of its landing asset and dbt source."""


def land(tenant: Tenant, *, force: bool = False) -> list[ZoneReport]:
    """Every landing step of the tenant, after checking that none of its folders is a
    link to write through. The caller holds the tenant's lock (duckhouse.locks)."""
    check_tenant_folders(tenant)
    make_private_dir(tenant_dir(tenant.id))  # the warehouse's folder
    return [step(tenant, force=force) for step in LANDING_STEPS.values()]


def after_build(tenant_id: str) -> Published:
    """What follows a build whose every node passed: old dashboard snapshots pruned, the
    audited build published to readers (duckhouse.warehouse.audit). Never called after a
    failed build: readers keep the last audited one."""
    prune_snapshots(tenant_id)
    return publish_audited(tenant_id)


@dataclass(frozen=True)
class BuildOutcome:
    tenant_id: str
    landing: list[ZoneReport]
    exit_code: int
    published: Published | None  # None when the build failed

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def build(tenant: Tenant, *, force_land: bool = False, full_refresh: bool = False,
          on_landed: Callable[[list[ZoneReport]], None] | None = None) -> BuildOutcome:  # fmt: skip
    """Land, `dbt build --target <tenant>`, and publish when every node passed. The caller
    holds the tenant's lock. `on_landed` sees the landing reports before dbt starts."""
    landing = land(tenant, force=force_land)
    if on_landed is not None:
        on_landed(landing)
    built = run_dbt(tenant.id, "build", *(["--full-refresh"] if full_refresh else []),
                    check=False)  # fmt: skip
    if built.returncode != 0:
        return BuildOutcome(tenant.id, landing, built.returncode, None)
    return BuildOutcome(tenant.id, landing, 0, after_build(tenant.id))
