"""Who writes a landing zone, and what a build does about it before dbt runs.

A `generated` source's zone is duckhouse's own: its demo data is written here when the zone
has none (deterministically, from the registry's seed). A `delivered` source's zone belongs
to the system that writes it: nothing here writes, moves or deletes anything in it; a build
only reads it (the dbt models, through duckhouse.landing). This is the one place that calls
the simulators for a build: the landing code never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from duckhouse.landing.ksqldb import feed_definitions, lake_dir
from duckhouse.landing.shop import scan_zone, shop_dir
from duckhouse.tenants import Tenant


@dataclass(frozen=True)
class ZoneReport:
    source: str
    path: Path
    mode: str
    generated: bool  # this step wrote demo data
    message: str


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
