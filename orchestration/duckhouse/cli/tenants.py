"""Verbs that manage tenants: create, list, delete, profiles, prepare."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from duckhouse import lifecycle
from duckhouse.cli.build import build_tenants
from duckhouse.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    console,
    ensure_profiles_for,
    plain,
    select_tenants,
    tenant_arg,
)
from duckhouse.paths import landing_dir, profiles_dir, registry_path, warehouse_path
from duckhouse.tenants import (
    TPCH_MODES,
    RegistryError,
    describe_sources,
    get_tenant,
    load_registry,
    parse_tenant_entry,
)
from duckhouse.warehouse.dbt import prepare_manifest, project_public_views
from duckhouse.warehouse.profiles import write_profiles
from duckhouse.warehouse.queries import tenant_status


def _create_entry(args: argparse.Namespace) -> dict:
    tpch: dict = {"mode": args.tpch_mode, "scale_factor": args.scale_factor}
    if args.tpch_mode == "postgres":
        tpch["postgres"] = {
            "host": args.pg_host,
            "port": args.pg_port,
            "database": args.pg_database or args.tenant,
            "user": args.pg_user or args.tenant,
            "password_env": args.pg_password_env or f"DUCKHOUSE_PG_{args.tenant.upper()}_PASSWORD",
        }
    sources: dict = {"tpch": tpch}
    ksqldb = {
        k: v
        for k, v in (("days", args.ksqldb_days), ("events_per_day", args.ksqldb_events_per_day))
        if v is not None
    }
    shop = {k: v for k, v in (("customers", args.shop_customers), ("products", args.shop_products),
                              ("orders", args.shop_orders)) if v is not None}  # fmt: skip
    # who writes each landing zone: the outside system (`delivered`) unless demo data was
    # asked for (--demo, or the demo generator's sizes); nothing is generated otherwise
    sources["ksqldb"] = {"mode": "generated" if args.demo or ksqldb else "delivered", **ksqldb}
    sources["shop"] = {"mode": "generated" if args.demo or shop else "delivered", **shop}
    return {
        "id": args.tenant,
        "display_name": args.display_name or args.tenant.replace("_", " ").title(),
        "sources": sources,
        "schedule": {"cron": args.cron, "timezone": args.timezone},
    }


def cmd_create(args: argparse.Namespace) -> int:
    entry = _create_entry(args)
    parse_tenant_entry(entry, "create")  # a bad option fails before any change
    tenant = lifecycle.create_tenant(entry)
    ensure_profiles_for(load_registry(registry_path()))
    manifest = prepare_manifest(tenant.id)  # its Dagster assets load without a parse
    out = console()
    out.print(f"[bold green]created[/] tenant [bold]{tenant.id}[/] ({plain(tenant.display_name)})")
    for what, where in (
        ("registry", registry_path()),
        ("landing zone", landing_dir(tenant.id)),
        ("warehouse", warehouse_path(tenant.id)),
        ("dbt target", f"{tenant.id} in {profiles_dir() / 'profiles.yml'}"),
        ("Dagster assets", f"{tenant.id}/* (manifest {manifest})"),
    ):
        out.print(f"  {what:<15} {where}")
    if args.build:
        return build_tenants([tenant], force_land=False, full_refresh=False)
    out.print(f"next: duckhouse build {tenant.id}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    tenants = load_registry(registry_path())
    statuses = [tenant_status(tenant, project_public_views()) for tenant in tenants]
    if args.json:
        print(json.dumps([status.as_dict() for status in statuses], indent=2))
        return EXIT_OK
    from rich.table import Table

    colours = {"ok": "green", "failed": "red", "interrupted": "red", "building": "yellow",
               "never built": "dim"}  # fmt: skip
    table = Table(title=f"duckhouse tenants ({registry_path()})", title_justify="left")
    for column in ("tenant", "sources", "schedule", "last build", "view rows", "status"):
        table.add_column(column, justify="right" if column == "view rows" else "left")
    for status in statuses:
        tenant = status.tenant
        sources = "\n".join(f"{k}: {v}" for k, v in describe_sources(tenant).items())
        built = (f"{status.last_build[:19].replace('T', ' ')} UTC\n{status.last_build_seconds}s"
                 if status.last_build else "-")  # fmt: skip
        rows = (f"{sum(v or 0 for v in status.view_rows.values()):,}"
                if status.view_rows else "-")  # fmt: skip
        state = status.status + (f" ({status.failures})" if status.failures else "")
        table.add_row(
            f"[bold]{tenant.id}[/]\n{plain(tenant.display_name)}", plain(sources),
            f"{tenant.schedule.cron}\n{tenant.schedule.timezone}", built, rows,
            f"[{colours.get(status.status, 'white')}]{state}[/]",
        )  # fmt: skip
    out = console()
    out.print(table)
    if args.views:
        for status in statuses:
            out.print(f"\n[bold]{status.tenant.id}[/]")
            for view, count in (status.view_rows or {}).items():
                out.print(f"  {view:<34} {'-' if count is None else f'{count:>10,}'}")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    tenant = get_tenant(load_registry(registry_path()), args.tenant)
    if not args.yes:
        if not sys.stdin.isatty():
            raise RegistryError(
                f"delete {tenant.id}: no terminal to confirm on; pass --yes to delete"
            )
        keep = "an archive is kept" if not args.no_archive else "NO archive is kept"
        answer = console().input(
            f"Delete tenant [bold]{tenant.id}[/] ({plain(tenant.display_name)}): its registry "
            f"entry, warehouse, landing zone, published files and Dagster assets ({keep})?\n"
            "Type the tenant id to confirm: "
        )
        if answer.strip() != tenant.id:
            print("not confirmed: nothing deleted", file=sys.stderr)
            return EXIT_FAILED
    result = lifecycle.delete_tenant(tenant.id, keep_archive=not args.no_archive)
    ensure_profiles_for(load_registry(registry_path()))
    out = console()
    out.print(f"[bold red]deleted[/] tenant [bold]{tenant.id}[/]")
    for path in result.removed:
        out.print(f"  removed {path}")
    if result.dagster_assets:
        out.print(f"  wiped {result.dagster_assets} asset(s) from the Dagster instance")
    for published in result.published:
        out.print(f"  removed {published} from the object store")
    if tenant.tpch.postgres is not None:
        source = tenant.tpch.postgres
        out.print(f"  kept its PostgreSQL source {source.host}:{source.port}/"
                      f"{source.database} (not duckhouse's to drop)")  # fmt: skip
    out.print(f"  archive {result.archive}" if result.archive else "  no archive kept")
    if result.dagster_error:
        print(f"duckhouse: tenant '{tenant.id}' deleted, but its asset history in the Dagster "
              f"instance ($DAGSTER_HOME) was not wiped: {result.dagster_error}",
              file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
    if result.published_error:
        print(f"duckhouse: tenant '{tenant.id}' deleted, but what it published to the object "
              f"store was not removed: {result.published_error}", file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
    return EXIT_OK


def cmd_profiles(_: argparse.Namespace) -> int:
    path = write_profiles(load_registry(registry_path()), profiles_dir())
    print(f"wrote {path}")
    return EXIT_OK


def cmd_prepare(args: argparse.Namespace) -> int:
    tenants = select_tenants(args.tenants)
    ensure_profiles_for(load_registry(registry_path()))

    def prepare(tenant_id: str) -> str:
        started = time.perf_counter()
        path = prepare_manifest(tenant_id)
        return f"[{tenant_id}] manifest prepared in {time.perf_counter() - started:.1f}s -> {path}"

    # one `dbt parse` per tenant, as many at a time as there are cores
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for line in pool.map(prepare, [tenant.id for tenant in tenants]):
            print(line)
    return EXIT_OK


def register(verbs: argparse._SubParsersAction) -> None:
    create = verbs.add_parser(
        "create", help="register a tenant: registry entry, landing zone, warehouse, dbt "
        "target and Dagster assets; --build lands and builds it"
    )  # fmt: skip
    create.add_argument("tenant", type=tenant_arg, help="new tenant id (a-z, 0-9, _)")
    create.add_argument("--display-name", help="what people read (default: from the id)")
    create.add_argument("--scale-factor", type=float, default=0.01, help="TPC-H scale factor")
    create.add_argument("--tpch-mode", choices=TPCH_MODES, default="generated",
                        help="generated (embedded) or postgres (read from a server)")  # fmt: skip
    create.add_argument("--pg-host", default="127.0.0.1", help="postgres: host")
    create.add_argument("--pg-port", type=int, default=5432, help="postgres: port")
    create.add_argument("--pg-database", help="postgres: database (default: the tenant id)")
    create.add_argument("--pg-user", help="postgres: user (default: the tenant id)")
    create.add_argument(
        "--pg-password-env",
        help="postgres: the environment variable "
        "holding the password (default: DUCKHOUSE_PG_<TENANT>_PASSWORD)",
    )
    create.add_argument("--demo", action="store_true",
                        help="generate demo ksqlDB and shop data (default: both are delivered "
                        "by outside systems and duckhouse only reads them)")  # fmt: skip
    create.add_argument(
        "--ksqldb-days", type=int, help="ksqlDB lake: days exported (implies demo data)"
    )
    create.add_argument("--ksqldb-events-per-day", type=int, help="ksqlDB lake: events a day")
    create.add_argument("--shop-customers", type=int, help="shop extracts: customers")
    create.add_argument("--shop-products", type=int, help="shop extracts: products")
    create.add_argument("--shop-orders", type=int, help="shop extracts: orders")
    create.add_argument("--cron", default="0 3 * * *", help="build schedule (five fields)")
    create.add_argument("--timezone", default="UTC", help="the schedule's IANA time zone")
    create.add_argument("--build", action="store_true", help="land and build it now")
    create.set_defaults(run=cmd_create)

    listing = verbs.add_parser(
        "list", help="every tenant: sources, schedule, last build, view rows, status"
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--views", action="store_true", help="row counts per view too")
    listing.set_defaults(run=cmd_list)

    delete = verbs.add_parser(
        "delete", help="archive, then remove a tenant: registry entry, warehouse, landing "
        "zone, published files, dbt target, Dagster assets"
    )  # fmt: skip
    delete.add_argument("tenant", type=tenant_arg, help="tenant id")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument(
        "--no-archive",
        action="store_true",
        help="keep no archive (default: <data>/_archive/<tenant>-<time>.tar.gz)",
    )
    delete.set_defaults(run=cmd_delete)

    profiles = verbs.add_parser("profiles", help="render profiles/profiles.yml from tenants.yml")
    profiles.set_defaults(run=cmd_profiles)

    prepare = verbs.add_parser("prepare", help="parse each tenant's manifest for Dagster")
    prepare.add_argument("tenants", nargs="*", type=tenant_arg, help="tenant ids (default: all)")
    prepare.set_defaults(run=cmd_prepare)
