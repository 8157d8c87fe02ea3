"""duckhouse command line: manage tenants, land their sources and build them.

duckhouse create TENANT       register a tenant (landing zone, warehouse, dbt target)
duckhouse list                every tenant: sources, last build, view rows, status
duckhouse delete TENANT       archive and remove a tenant (asks first, or --yes)
duckhouse profiles            render profiles/profiles.yml from tenants.yml
duckhouse land [TENANT...]    land every source of the tenants (default: all)
duckhouse build [TENANT...]   land, then `dbt build --target <tenant>` for each
duckhouse demo                build every registered tenant and say where to look

Exit codes: 0 done; 1 failed (a build, a busy warehouse, a refused confirmation);
2 usage (a bad or unknown tenant id, an existing tenant, an invalid registry).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from duckhouse import audit, lifecycle, review
from duckhouse.dashboard.snapshots import prune_snapshots
from duckhouse.dbt import DbtError, dbt_env, run_dbt
from duckhouse.folders import make_private_dir, private_umask
from duckhouse.landing.files import terminal_safe
from duckhouse.landing.ksqldb import lake_dir, read_feeds, read_metadata
from duckhouse.landing.tpch import land_tpch
from duckhouse.locks import tenant_lock
from duckhouse.paths import (
    PROJECT_DIR,
    check_tenant_folders,
    profiles_dir,
    published_warehouse_path,
    registry_path,
    tenant_dir,
    warehouse_path,
)
from duckhouse.profiles import LINT_TARGET, ensure_profiles, write_profiles
from duckhouse.readers import connect_published, connect_sandboxed, read_only_statements
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
from duckhouse.tenants import (
    TPCH_MODES,
    RegistryError,
    Tenant,
    get_tenant,
    load_registry,
    parse_tenant_entry,
    validate_tenant_id,
)
from duckhouse.zones import prepare_ksqldb, prepare_shop

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

PUBLIC_VIEWS = (
    "finance.revenue_monthly",
    "marketing.segment_performance",
    "marketing.customer_value",
    "marketing.top_brands",
    "marketing.delivery_performance",
    "marketing.at_risk_customers",
    "marketing.campaign_segments",
)


def _select(ids: Sequence[str]) -> list[Tenant]:
    tenants = load_registry(registry_path())
    if not ids:
        return tenants
    return [get_tenant(tenants, tenant_id) for tenant_id in ids]


def _ensure_profiles(tenants: list[Tenant]) -> None:
    """Keep profiles.yml in step with the registry (it is generated, never hand-edited)."""
    if ensure_profiles(tenants, profiles_dir()):
        print(f"rendered {profiles_dir() / 'profiles.yml'} from {registry_path()}")


def _land(tenant: Tenant, force: bool) -> None:
    _land_tpch(tenant, force)
    for report in (prepare_ksqldb(tenant, force=force), prepare_shop(tenant, force=force)):
        print(f"[{tenant.id}] {report.source}: {report.message}")


def _build_rows(tenant_id: str, sql: str) -> list[tuple]:
    """Rows of a query on the tenant's build warehouse, read-only; none when it has no
    warehouse or not the relation yet."""
    path = warehouse_path(tenant_id)
    if not path.is_file():
        return []
    with connect_sandboxed(path, read_only=True) as connection:
        try:
            return connection.execute(sql).fetchall()
        except duckdb.CatalogException:
            return []


def _quarantined_lines(tenant_id: str) -> list[tuple[str, str, int]]:
    """Shop extract lines the last build quarantined, per entity and rule (empty when none)."""
    return _build_rows(
        tenant_id,
        "select entity, rule_name, count(*) from bronze.stg_shop__quarantine "
        "group by all order by all",
    )


def _lake_report(tenant_id: str) -> tuple[list[tuple[str, str, str]], int, int]:
    """What the last build did not land of the ksqlDB lake: (quarantined and refused entries
    with why, how many entries were ignored, how many events were delivered with
    conflicting content); empty when none."""
    entries = _build_rows(
        tenant_id,
        "select status, lake_path, reason from bronze.stg_ksqldb__lake_files "
        "where status in ('quarantined', 'refused') order by lake_path",
    )
    ignored = _build_rows(
        tenant_id, "select count(*) from bronze.stg_ksqldb__lake_files where status = 'ignored'"
    )
    conflicts = _build_rows(
        tenant_id, "select count(*) from silver.fct_transaction_event_conflicts"
    )
    return entries, int(ignored[0][0]) if ignored else 0, int(conflicts[0][0]) if conflicts else 0


def _land_tpch(tenant: Tenant, force: bool) -> None:
    if tenant.tpch.mode == "postgres":
        from duckhouse.pgserver import check_source

        # nothing to land: dbt reads PostgreSQL directly. Check it first, so that a broken
        # source stops the build here, with the warehouse of the last build untouched.
        counts = check_source(tenant)
        make_private_dir(tenant_dir(tenant.id))  # the warehouse's folder
        source = tenant.tpch.postgres
        print(
            f"[{tenant.id}] tpch: PostgreSQL {source.host}:{source.port}/{source.database} "
            f"checked, {sum(counts.values()):,} rows in 8 tables (read by dbt, nothing to land)"
        )
        return
    result = land_tpch(tenant, force=force)
    if result.skipped:
        print(f"[{tenant.id}] tpch: landing at sf={tenant.tpch.scale_factor} is current, kept")
    else:
        rows = sum(result.row_counts.values())
        print(
            f"[{tenant.id}] tpch: landed {rows:,} rows at sf={tenant.tpch.scale_factor} "
            f"in {result.seconds:.1f}s -> {result.path}"
        )


def _view_counts(tenant_id: str) -> dict[str, int]:
    with connect_published(tenant_id) as connection:
        return {
            view: int(connection.execute(f"select count(*) from {view}").fetchone()[0])
            for view in PUBLIC_VIEWS
        }


def cmd_profiles(_: argparse.Namespace) -> int:
    path = write_profiles(load_registry(registry_path()), profiles_dir())
    print(f"wrote {path}")
    return EXIT_OK


def cmd_land(args: argparse.Namespace) -> int:
    for tenant in _select(args.tenants):
        with tenant_lock(tenant.id, "duckhouse land"):
            check_tenant_folders(tenant)
            _land(tenant, args.force)
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    return _build_tenants(_select(args.tenants), args.force_land, args.full_refresh)


def _build_tenants(tenants: list[Tenant], force_land: bool, full_refresh: bool) -> int:
    _ensure_profiles(load_registry(registry_path()))
    failed: list[str] = []
    for tenant in tenants:
        # land, build and publish under the tenant's lock: a delete, another build or a
        # generator cannot change its files meanwhile (duckhouse.locks)
        with tenant_lock(tenant.id, "duckhouse build"):
            # read again under the lock: a tenant deleted while this waited is gone
            tenant = get_tenant(load_registry(registry_path()), tenant.id)
            if not _build_one(tenant, force_land, full_refresh):
                failed.append(tenant.id)
    if failed:
        names = ", ".join(f"'{tenant_id}'" for tenant_id in failed)
        raise DbtError(
            f"tenant {names}: `dbt build` failed: nothing of it was published, readers keep "
            "the last audited build"
        )
    return EXIT_OK


def _build_one(tenant: Tenant, force_land: bool, full_refresh: bool) -> bool:
    started = time.perf_counter()
    check_tenant_folders(tenant)  # no link to write through
    make_private_dir(tenant_dir(tenant.id))
    _land(tenant, force_land)
    built = run_dbt(tenant.id, "build", *(["--full-refresh"] if full_refresh else []), check=False)
    _report_landing(tenant.id)
    if built.returncode != 0:
        _report_failures(tenant.id, built.returncode)
        return False
    prune_snapshots(tenant.id)
    published = audit.publish_audited(tenant.id)
    print(f"[{tenant.id}] built in {time.perf_counter() - started:.1f}s; audited and "
          f"published to readers in {published.seconds:.1f}s -> {published.path}")  # fmt: skip
    return True


def _report_landing(tenant_id: str) -> None:
    """What the build's landing did not land: files and lines, with why."""
    entries, ignored, conflicts = _lake_report(tenant_id)
    for status, what in (("quarantined", "quarantined, not landed"),
                         ("refused", "refused, never read")):  # fmt: skip
        found = [(lake_path, reason) for kind, lake_path, reason in entries if kind == status]
        if found:
            print(f"[{tenant_id}] ksqldb: {len(found)} file(s) {what}:")
            for lake_path, reason in found:
                print(f"    {terminal_safe(lake_path)}: {terminal_safe(reason)}")
    if ignored:
        print(f"[{tenant_id}] ksqldb: {ignored} entr{'y' if ignored == 1 else 'ies'} ignored "
              "(bronze.stg_ksqldb__lake_files, status 'ignored', says why)")  # fmt: skip
    if conflicts:
        print(f"[{tenant_id}] ksqldb: {conflicts} event(s) delivered with conflicting content "
              "(silver.fct_transaction_event_conflicts); the earliest export is kept")  # fmt: skip
    for status, path, reason in _shop_files_not_landed(tenant_id):
        print(f"[{tenant_id}] shop: {status} {terminal_safe(path)}: {terminal_safe(reason)}")
    quarantined = _quarantined_lines(tenant_id)
    if quarantined:
        total = sum(count for *_, count in quarantined)
        print(f"[{tenant_id}] shop: {total} line(s) quarantined (bronze.stg_shop__quarantine):")
        for entity, rule, count in quarantined:
            print(f"    {entity}: {count} x {rule}")


def _report_failures(tenant_id: str, exit_code: int) -> None:
    print(f"[{tenant_id}] build FAILED (dbt exit {exit_code}): nothing published; readers keep "
          "the last audited build. Failing nodes:", file=sys.stderr)  # fmt: skip
    for failure in audit.explain_failures(tenant_id):
        count = f" ({failure.failures} failing row(s))" if failure.failures else ""
        print(f"  {failure.status}: {failure.name}{count}", file=sys.stderr)
        if failure.message and not failure.rows:
            print(f"    {terminal_safe(failure.message.splitlines()[0][:300])}", file=sys.stderr)
        for row in failure.rows:
            # where the row came from first (_source_file, _line), then its values
            items = sorted(row.items(), key=lambda item: not item[0].startswith("_"))
            shown = terminal_safe(", ".join(f"{k}={v}" for k, v in items))
            print(f"    {shown[:400]}", file=sys.stderr)


def _shop_files_not_landed(tenant_id: str) -> list[tuple[str, str, str]]:
    """Files of the shop's zone that are not extracts or could not be read, with why."""
    return _build_rows(
        tenant_id,
        "select status, zone_path, reason from bronze.stg_shop__files "
        "where status <> 'extract' and zone_path not in ('_generator.json', "
        "'_faults.json') order by zone_path",
    )


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Run the Streamlit app in the foreground until interrupted."""
    load_registry(registry_path())  # a broken registry is reported here, not in a browser
    app = Path(__file__).resolve().parent / "dashboard" / "app.py"
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


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _build_tenants(_select([]), force_land=False, full_refresh=False)
    tenants = load_registry(registry_path())
    print(f"\nduckhouse demo: {len(tenants)} tenants built in {time.perf_counter() - started:.0f}s")
    for tenant in tenants:
        print(f"\n  {tenant.id} ({tenant.display_name}) -> {published_warehouse_path(tenant.id)}")
        for view, count in _view_counts(tenant.id).items():
            print(f"    {view:<34} {count:>8,} rows")
    print(
        "\nWhere to look:\n"
        f"  query a warehouse   .venv/bin/duckhouse query {tenants[0].id} "
        "'select * from finance.revenue_monthly limit 10'\n"
        "  dashboard           make dashboard               (http://127.0.0.1:8501)\n"
        "  docs site           make docs TENANT=<tenant>   (http://127.0.0.1:8080)\n"
        f"  dbt, by hand        cd {PROJECT_DIR} && .venv/bin/dbt build --target <tenant>"
    )
    return EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    tenant = get_tenant(load_registry(registry_path()), args.tenant)
    statements = read_only_statements(args.sql)  # refused before the warehouse is opened
    # readers see the last audited build only, in a sandbox: no file, no other database
    with connect_published(tenant.id) as connection:
        try:
            for statement in statements:
                connection.sql(statement).show(max_width=160)
        except duckdb.Error as exc:  # the reader's SQL: its error in one line, no traceback
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            print(f"duckhouse query {tenant.id}: {first}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


def cmd_prepare(args: argparse.Namespace) -> int:
    from duckhouse.defs.dbt import prepare_manifest  # dagster is only needed here

    tenants = _select(args.tenants)
    _ensure_profiles(load_registry(registry_path()))

    def prepare(tenant_id: str) -> str:
        started = time.perf_counter()
        path = prepare_manifest(tenant_id)
        return f"[{tenant_id}] manifest prepared in {time.perf_counter() - started:.1f}s -> {path}"

    # one `dbt parse` per tenant, as many at a time as there are cores
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for line in pool.map(prepare, [tenant.id for tenant in tenants]):
            print(line)
    return EXIT_OK


def cmd_check_project(args: argparse.Namespace) -> int:
    if args.manifest is None:
        run_dbt(LINT_TARGET, "parse", "--quiet", capture=True)
        args.manifest = PROJECT_DIR / "target" / LINT_TARGET / "manifest.json"
    manifest = review.load_json(args.manifest)
    catalog = review.load_json(args.catalog) if args.catalog else None
    violations = review.check_project(manifest, catalog)
    models = sum(1 for n in manifest["nodes"].values() if n["resource_type"] == "model")
    for violation in violations:
        print(violation.as_annotation() if args.format == "github" else violation.as_line())
    if violations:
        offenders = len({v.model for v in violations})
        print(
            f"project rules: {len(violations)} violation(s) in {offenders} of {models} models",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(f"project rules: {models} models checked, no violations")
    return EXIT_OK


_SQLFLUFF_FORMATS = {"human": "human", "github": "github-annotation-native", "json": "json"}


def cmd_lint_changed(args: argparse.Namespace) -> int:
    try:
        files = review.changed_sql_files(args.base)
    except RuntimeError as exc:
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not files:
        print(f"lint-changed: no SQL changed against {args.base}")
        return EXIT_OK
    print(f"lint-changed: {len(files)} SQL file(s) changed against {args.base}", file=sys.stderr)
    sqlfluff = str(Path(sys.executable).with_name("sqlfluff"))
    command = [sqlfluff, "lint", "--format", _SQLFLUFF_FORMATS[args.format]]
    if args.format == "github":
        command += ["--annotation-level", "error"]  # a violation fails the review
    command += files
    result = subprocess.run(command, cwd=PROJECT_DIR, env=dbt_env(), check=False)
    return EXIT_OK if result.returncode == 0 else EXIT_FAILED


def cmd_trino(args: argparse.Namespace) -> int:
    """Compile every node for each tenant's Trino target and check the SQL is Trino's."""
    from duckhouse.trino import check_compiled, compile_for_trino

    _ensure_profiles(load_registry(registry_path()))
    failed = False
    for tenant in _select(args.tenants):
        started = time.perf_counter()
        files, problems = check_compiled(compile_for_trino(tenant.id))
        for problem in problems:
            print(f"[{tenant.id}] {problem}", file=sys.stderr)
        verdict = f"{len(problems)} problems" if problems else "all Trino SQL"
        seconds = time.perf_counter() - started
        print(f"[{tenant.id}] {tenant.id}_trino: {files} compiled nodes, {verdict} "
              f"(sqlglot + sqlfluff trino dialects, {seconds:.0f} s)")  # fmt: skip
        failed = failed or bool(problems)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_s3(args: argparse.Namespace) -> int:
    """The development object store (SeaweedFS on loopback): up, down, status."""
    from duckhouse import objectstore

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
    from duckhouse.objectstore import parquet_prefix, table_bucket
    from duckhouse.publish import publish

    for tenant in _select(args.tenants):
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


def cmd_pg(args: argparse.Namespace) -> int:
    from duckhouse import pgserver

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


def cmd_lake(args: argparse.Namespace) -> int:
    tenant = get_tenant(load_registry(registry_path()), args.tenant)
    with tenant_lock(tenant.id, f"duckhouse lake {args.action}"):
        check_tenant_folders(tenant)
        return _lake(tenant, args)


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


def cmd_shop(args: argparse.Namespace) -> int:
    tenant = get_tenant(load_registry(registry_path()), args.tenant)
    with tenant_lock(tenant.id, f"duckhouse shop {args.action}"):
        check_tenant_folders(tenant)
        return _shop(tenant, args)


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


def _console(stderr: bool = False):  # noqa: ANN202 - rich is imported lazily
    from rich.console import Console

    # colours only where the terminal supports them (rich honours NO_COLOR and non-ttys)
    # piped output is not cut at 80 columns: scripts should use --json anyway
    return Console(stderr=stderr, highlight=False, width=None if sys.stdout.isatty() else 120)


def _plain(text: str) -> str:
    """Text from the registry as rich shows it: never read as markup (`[/]`, `[red]`)."""
    from rich.markup import escape

    return escape(text)


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
    from duckhouse.defs.dbt import prepare_manifest  # dagster is only needed here

    entry = _create_entry(args)
    parse_tenant_entry(entry, "create")  # a bad option fails before any change
    tenant = lifecycle.create_tenant(entry)
    _ensure_profiles(load_registry(registry_path()))
    manifest = prepare_manifest(tenant.id)  # its Dagster assets load without a parse
    console = _console()
    console.print(
        f"[bold green]created[/] tenant [bold]{tenant.id}[/] ({_plain(tenant.display_name)})"
    )
    for what, where in (
        ("registry", registry_path()),
        ("landing zone", lifecycle.tenant_dir(tenant.id) / "landing"),
        ("warehouse", warehouse_path(tenant.id)),
        ("dbt target", f"{tenant.id} in {profiles_dir() / 'profiles.yml'}"),
        ("Dagster assets", f"{tenant.id}/* (manifest {manifest})"),
    ):
        console.print(f"  {what:<15} {where}")
    if args.build:
        return _build_tenants([tenant], force_land=False, full_refresh=False)
    console.print(f"next: duckhouse build {tenant.id}")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    tenants = load_registry(registry_path())
    statuses = [lifecycle.tenant_status(tenant, PUBLIC_VIEWS) for tenant in tenants]
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
        sources = "\n".join(f"{k}: {v}" for k, v in lifecycle.describe_sources(tenant).items())
        built = (f"{status.last_build[:19].replace('T', ' ')} UTC\n{status.last_build_seconds}s"
                 if status.last_build else "-")  # fmt: skip
        rows = (f"{sum(v or 0 for v in status.view_rows.values()):,}"
                if status.view_rows else "-")  # fmt: skip
        state = status.status + (f" ({status.failures})" if status.failures else "")
        table.add_row(
            f"[bold]{tenant.id}[/]\n{_plain(tenant.display_name)}", _plain(sources),
            f"{tenant.schedule.cron}\n{tenant.schedule.timezone}", built, rows,
            f"[{colours.get(status.status, 'white')}]{state}[/]",
        )  # fmt: skip
    console = _console()
    console.print(table)
    if args.views:
        for status in statuses:
            console.print(f"\n[bold]{status.tenant.id}[/]")
            for view, count in (status.view_rows or {}).items():
                console.print(f"  {view:<34} {'-' if count is None else f'{count:>10,}'}")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    tenant = get_tenant(load_registry(registry_path()), args.tenant)
    if not args.yes:
        if not sys.stdin.isatty():
            raise RegistryError(
                f"delete {tenant.id}: no terminal to confirm on; pass --yes to delete"
            )
        keep = "an archive is kept" if not args.no_archive else "NO archive is kept"
        answer = _console().input(
            f"Delete tenant [bold]{tenant.id}[/] ({_plain(tenant.display_name)}): its registry "
            f"entry, warehouse, landing zone, published files and Dagster assets ({keep})?\n"
            "Type the tenant id to confirm: "
        )
        if answer.strip() != tenant.id:
            print("not confirmed: nothing deleted", file=sys.stderr)
            return EXIT_FAILED
    result = lifecycle.delete_tenant(tenant.id, keep_archive=not args.no_archive)
    _ensure_profiles(load_registry(registry_path()))
    console = _console()
    console.print(f"[bold red]deleted[/] tenant [bold]{tenant.id}[/]")
    for path in result.removed:
        console.print(f"  removed {path}")
    if result.dagster_assets:
        console.print(f"  wiped {result.dagster_assets} asset(s) from the Dagster instance")
    for published in result.published:
        console.print(f"  removed {published} from the object store")
    if tenant.tpch.postgres is not None:
        source = tenant.tpch.postgres
        console.print(f"  kept its PostgreSQL source {source.host}:{source.port}/"
                      f"{source.database} (not duckhouse's to drop)")  # fmt: skip
    console.print(f"  archive {result.archive}" if result.archive else "  no archive kept")
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


def _tenant_arg(value: str) -> str:
    """argparse type of every tenant id argument: refused before anything runs."""
    try:
        return validate_tenant_id(value)
    except RegistryError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="duckhouse",
        description=__doc__.split("\n")[0],
        epilog=__doc__.split("\n\n")[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verbs = parser.add_subparsers(dest="verb", required=True)

    create = verbs.add_parser(
        "create", help="register a tenant: registry entry, landing zone, warehouse, dbt "
        "target and Dagster assets; --build lands and builds it"
    )  # fmt: skip
    create.add_argument("tenant", type=_tenant_arg, help="new tenant id (a-z, 0-9, _)")
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

    listing = verbs.add_parser(
        "list", help="every tenant: sources, schedule, last build, view rows, status"
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--views", action="store_true", help="row counts per view too")

    delete = verbs.add_parser(
        "delete", help="archive, then remove a tenant: registry entry, warehouse, landing "
        "zone, published files, dbt target, Dagster assets"
    )  # fmt: skip
    delete.add_argument("tenant", type=_tenant_arg, help="tenant id")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument(
        "--no-archive",
        action="store_true",
        help="keep no archive (default: <data>/_archive/<tenant>-<time>.tar.gz)",
    )

    verbs.add_parser("profiles", help="render profiles/profiles.yml from tenants.yml")

    land = verbs.add_parser("land", help="land every source of the given tenants")
    land.add_argument("tenants", nargs="*", type=_tenant_arg, help="tenant ids (default: all)")
    land.add_argument("--force", action="store_true", help="land again even if current")

    build = verbs.add_parser("build", help="land, then dbt build, per tenant")
    build.add_argument("tenants", nargs="*", type=_tenant_arg, help="tenant ids (default: all)")
    build.add_argument("--force-land", action="store_true", help="land again even if current")
    build.add_argument("--full-refresh", action="store_true", help="pass --full-refresh to dbt")

    verbs.add_parser("demo", help="build every registered tenant, then say where to look")

    dashboard = verbs.add_parser(
        "dashboard",
        help="start the dashboard (Streamlit) over every tenant's last successful build",
    )
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    dashboard.add_argument("--port", type=int, default=8501, help="port (default: 8501)")

    query = verbs.add_parser("query", help="run read-only SQL against a tenant's warehouse")
    query.add_argument("tenant", type=_tenant_arg, help="tenant id")
    query.add_argument("sql", help="the SQL to run, e.g. 'select * from finance.revenue_monthly'")

    prepare = verbs.add_parser("prepare", help="parse each tenant's manifest for Dagster")
    prepare.add_argument("tenants", nargs="*", type=_tenant_arg, help="tenant ids (default: all)")

    check = verbs.add_parser("check-project", help="check the project rules (see review.py)")
    check.add_argument("--manifest", type=Path, help="a manifest.json (default: dbt parse)")
    check.add_argument("--catalog", type=Path, help="a catalog.json: check real columns too")
    check.add_argument("--format", choices=("text", "github"), default="text")

    trino = verbs.add_parser(
        "trino-check",
        help="compile every model for each tenant's Trino target (no server needed) and "
        "check the SQL with the Trino dialects of sqlglot and sqlfluff",
    )
    trino.add_argument("tenants", nargs="*", type=_tenant_arg, help="tenant ids (default: all)")

    s3 = verbs.add_parser(
        "s3",
        help="the development object store (SeaweedFS: S3 + Iceberg REST, loopback): "
        "up (start or restart with every tenant's identity), down, status",
    )
    s3.add_argument("action", choices=("up", "down", "status"))

    publish = verbs.add_parser(
        "publish",
        help="publish each tenant's gold and views to the object store: Iceberg "
        "tables (a new snapshot each time) and Parquet files",
    )
    publish.add_argument("tenants", nargs="*", type=_tenant_arg, help="tenant ids (default: all)")

    pg = verbs.add_parser(
        "pg", help="the local demo PostgreSQL of a postgres tenant: up, refresh, down"
    )
    pg.add_argument("action", choices=("up", "refresh", "down"),
                    help="up: start the server and load TPC-H (idempotent); refresh: RF1+RF2; "
                         "down: stop the server")  # fmt: skip
    pg.add_argument(
        "tenant", type=_tenant_arg, help="tenant id (its registry entry names host, port, database)"
    )
    pg.add_argument("--force", action="store_true", help="up: reload TPC-H even if loaded")
    pg.add_argument("--orders", type=int, help="refresh: orders per batch (default sf x 1500)")

    lake = verbs.add_parser(
        "lake", help="the ksqlDB export lake of a tenant: generate, append a day, inject a fault"
    )
    lake.add_argument("action", choices=("generate", "append-day", "inject"),
                      help="generate: (re)write the whole lake from the registry's seed; "
                           "append-day: export one more day; inject: write one fault")  # fmt: skip
    lake.add_argument("tenant", type=_tenant_arg, help="tenant id")
    lake.add_argument("fault", nargs="?", choices=FAULTS, help="inject: which fault")
    lake.add_argument("--count", type=int, default=5, help="inject: events duplicated / late")

    feeds = verbs.add_parser(
        "feeds",
        help="the feeds of a tenant's ksqlDB lake: list, add, enable, disable, archive, sync",
    )
    feeds.add_argument("action", choices=("list", "add", "enable", "disable", "archive", "sync"))
    feeds.add_argument("tenant", type=_tenant_arg, help="tenant id")
    feeds.add_argument("feed", nargs="?", help="add/enable/disable/archive: the feed")

    shop = verbs.add_parser(
        "shop", help="the e-commerce shop's CSV extracts of a tenant: generate, inject a fault"
    )
    shop.add_argument("action", choices=("generate", "inject"),
                      help="generate: (re)write the extracts from the registry's seed and "
                           "sizes; inject: write one fault")  # fmt: skip
    shop.add_argument("tenant", type=_tenant_arg, help="tenant id")
    shop.add_argument("fault", nargs="?", choices=SHOP_FAULTS, help="inject: which fault")

    lint = verbs.add_parser("lint-changed", help="sqlfluff on SQL changed against --base")
    lint.add_argument("--base", default=os.environ.get("DUCKHOUSE_BASE_REF", "main"))
    lint.add_argument("--format", choices=sorted(_SQLFLUFF_FORMATS), default="human")
    return parser


_COMMANDS = {
    "create": cmd_create,
    "list": cmd_list,
    "delete": cmd_delete,
    "profiles": cmd_profiles,
    "land": cmd_land,
    "build": cmd_build,
    "demo": cmd_demo,
    "dashboard": cmd_dashboard,
    "query": cmd_query,
    "prepare": cmd_prepare,
    "check-project": cmd_check_project,
    "lint-changed": cmd_lint_changed,
    "pg": cmd_pg,
    "trino-check": cmd_trino,
    "s3": cmd_s3,
    "publish": cmd_publish,
    "lake": cmd_lake,
    "feeds": cmd_feeds,
    "shop": cmd_shop,
}


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()  # what duckhouse writes is its user's alone (duckhouse.folders)
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.verb](args)
    except RegistryError as exc:
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DbtError as exc:
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except RuntimeError as exc:  # PostgresError and other failures with a clear message
        print(f"duckhouse: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
