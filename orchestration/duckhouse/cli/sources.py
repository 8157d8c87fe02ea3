"""Verbs for the demo sources of a tenant: its local PostgreSQL (pg), its ksqlDB lake
(lake, feeds) and its shop extracts (shop). They write only what the registry marks
`generated`, under the tenant's lock."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from duckhouse.cli.common import EXIT_OK, tenant_arg
from duckhouse.ingest.ksqldb import lake_dir, read_feeds, read_metadata
from duckhouse.locks import tenant_lock
from duckhouse.paths import check_tenant_folders, registry_path
from duckhouse.simulate.ksqldb import (
    FAULTS,
    Lake,
    add_feed,
    archive_feed,
    land_ksqldb,
    set_feed_enabled,
    sync_feeds,
)
from duckhouse.simulate.shop import FAULTS as SHOP_FAULTS
from duckhouse.simulate.shop import Shop
from duckhouse.tenants import RegistryError, Tenant, get_tenant, load_registry


def cmd_pg(args: argparse.Namespace) -> int:
    from duckhouse.simulate import pgserver

    tenant = get_tenant(load_registry(registry_path()), args.tenant)
    source = pgserver.require_local(tenant)
    where = f"127.0.0.1:{source.port}"
    if args.action == "up":
        counts = pgserver.provision(tenant, force=args.force)
        if counts is None:
            print(f"[{tenant.id}] PostgreSQL {where}/{source.database}: TPC-H "
                  f"sf={tenant.tpch.scale_factor} already loaded, kept")  # fmt: skip
        else:
            print(f"[{tenant.id}] PostgreSQL {where}/{source.database}: loaded "
                  f"{sum(counts.values()):,} rows at sf={tenant.tpch.scale_factor}")  # fmt: skip
    elif args.action == "refresh":
        moved = pgserver.refresh(tenant, args.orders)
        print(f"[{tenant.id}] PostgreSQL {where}/{source.database}: RF1 inserted "
              f"{moved['inserted_orders']} orders, RF2 deleted {moved['deleted_orders']} "
              f"({moved['orders_after']:,} orders now)")  # fmt: skip
    else:
        stopped = pgserver.LocalServer.for_port(source.port).stop()
        print(f"PostgreSQL {where}: {'stopped' if stopped else 'was not running'}")
    return EXIT_OK


def _under_lock(
    verb: str, write: Callable[[Tenant, argparse.Namespace], int]
) -> Callable[[argparse.Namespace], int]:
    """A verb that writes a generated zone: under the tenant's lock, its folders checked."""

    def run(args: argparse.Namespace) -> int:
        tenant = get_tenant(load_registry(registry_path()), args.tenant)
        with tenant_lock(tenant.id, f"duckhouse {verb} {args.action}"):
            check_tenant_folders(tenant)
            return write(tenant, args)

    return run


def _lake(tenant: Tenant, args: argparse.Namespace) -> int:
    if args.action == "generate":
        result = land_ksqldb(tenant, force=True)
        print(f"[{tenant.id}] ksqldb: generated {result.events:,} events in {result.files:,} "
              f"files -> {result.path}")  # fmt: skip
    elif args.action == "append-day":
        lake = Lake(tenant)
        files = lake.append_day()
        version = lake.state["table_version"]
        print(f"[{tenant.id}] ksqldb: exported day {lake.state['days']} "
              f"({files} stream files, tables at version v{version})")  # fmt: skip
    else:
        if args.fault is None:
            raise RegistryError(f"lake inject: name a fault ({', '.join(FAULTS)})")
        written = Lake(tenant).inject(args.fault, args.count)
        print(f"[{tenant.id}] ksqldb: injected {args.fault}:")
        for path in written:
            print(f"    {path}")
    return EXIT_OK


def _shop(tenant: Tenant, args: argparse.Namespace) -> int:
    shop = Shop(tenant)
    if args.action == "generate":
        result = shop.generate()
        counts = ", ".join(f"{rows:,} {entity}" for entity, rows in result.rows.items())
        print(f"[{tenant.id}] shop: generated {counts} -> {result.path}")
    else:
        if args.fault is None:
            raise RegistryError(f"shop inject: name a fault ({', '.join(SHOP_FAULTS)})")
        fault = shop.inject(args.fault)
        lines = ", ".join(map(str, fault["lines"]))
        print(f"[{tenant.id}] shop: injected {args.fault} into {fault['file']} "
              f"(line {lines}; expect: {fault['reason']})")  # fmt: skip
    return EXIT_OK


cmd_lake = _under_lock("lake", _lake)
cmd_shop = _under_lock("shop", _shop)


def cmd_feeds(args: argparse.Namespace) -> int:
    tenant = get_tenant(load_registry(registry_path()), args.tenant)
    root = lake_dir(tenant.id)
    if args.action != "list" and tenant.ksqldb.mode != "generated":
        raise RegistryError(
            f"feeds {args.action}: tenant '{tenant.id}' has a delivered ksqlDB lake; its feed "
            f"definitions ({root / 'feeds'}) are the exporter's, duckhouse never writes them"
        )
    if not (root / "feeds").is_dir():
        raise RegistryError(
            f"tenant '{tenant.id}' has no ksqlDB lake yet: duckhouse land {tenant.id}"
        )
    if args.action in ("add", "enable", "disable", "archive") and not args.feed:
        raise RegistryError(f"feeds {args.action}: name the feed")
    if args.action == "list":
        print(f"{'feed':<32} {'kind':<7} {'status':<9} {'files':>6} {'rows':>10}  last export")
        for feed in read_feeds(root):
            meta, problem = read_metadata(root, feed)  # the exporter's: never trusted
            files, rows = meta.get("files", 0), meta.get("rows", 0)
            print(f"{feed['name']:<32} {feed['kind']:<7} {feed['status']:<9} "
                  f"{files if isinstance(files, int) else '?':>6} "
                  f"{f'{rows:,}' if isinstance(rows, int) else '?':>10}  "
                  f"{meta.get('last_export', '-')}")  # fmt: skip
            if problem:
                print(f"    {problem}")
    elif args.action == "add":
        print(f"added {add_feed(root, args.feed)}")
    elif args.action in ("enable", "disable"):
        path = set_feed_enabled(root, args.feed, args.action == "enable")
        print(f"{args.action}d {args.feed} ({path})")
    elif args.action == "archive":
        print(f"archived {args.feed} -> {archive_feed(root, args.feed)}")
    else:
        changes = sync_feeds(tenant)
        print(f"[{tenant.id}] feeds synced with the registry: added {changes['added'] or 'none'}, "
              f"archived {changes['archived'] or 'none'}")  # fmt: skip
    return EXIT_OK


def register(verbs: argparse._SubParsersAction) -> None:
    pg = verbs.add_parser(
        "pg", help="the local demo PostgreSQL of a postgres tenant: up, refresh, down"
    )
    pg.add_argument("action", choices=("up", "refresh", "down"),
                    help="up: start the server and load TPC-H (idempotent); refresh: RF1+RF2; "
                         "down: stop the server")  # fmt: skip
    pg.add_argument(
        "tenant", type=tenant_arg, help="tenant id (its registry entry names host, port, database)"
    )
    pg.add_argument("--force", action="store_true", help="up: reload TPC-H even if loaded")
    pg.add_argument("--orders", type=int, help="refresh: orders per batch (default sf x 1500)")
    pg.set_defaults(run=cmd_pg)

    lake = verbs.add_parser(
        "lake", help="the ksqlDB export lake of a tenant: generate, append a day, inject a fault"
    )
    lake.add_argument("action", choices=("generate", "append-day", "inject"),
                      help="generate: (re)write the whole lake from the registry's seed; "
                           "append-day: export one more day; inject: write one fault")  # fmt: skip
    lake.add_argument("tenant", type=tenant_arg, help="tenant id")
    lake.add_argument("fault", nargs="?", choices=FAULTS, help="inject: which fault")
    lake.add_argument("--count", type=int, default=5, help="inject: events duplicated / late")
    lake.set_defaults(run=cmd_lake)

    feeds = verbs.add_parser(
        "feeds",
        help="the feeds of a tenant's ksqlDB lake: list, add, enable, disable, archive, sync",
    )
    feeds.add_argument("action", choices=("list", "add", "enable", "disable", "archive", "sync"))
    feeds.add_argument("tenant", type=tenant_arg, help="tenant id")
    feeds.add_argument("feed", nargs="?", help="add/enable/disable/archive: the feed")
    feeds.set_defaults(run=cmd_feeds)

    shop = verbs.add_parser(
        "shop", help="the e-commerce shop's CSV extracts of a tenant: generate, inject a fault"
    )
    shop.add_argument("action", choices=("generate", "inject"),
                      help="generate: (re)write the extracts from the registry's seed and "
                           "sizes; inject: write one fault")  # fmt: skip
    shop.add_argument("tenant", type=tenant_arg, help="tenant id")
    shop.add_argument("fault", nargs="?", choices=SHOP_FAULTS, help="inject: which fault")
    shop.set_defaults(run=cmd_shop)
