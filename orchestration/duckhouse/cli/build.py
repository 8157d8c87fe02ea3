"""Verbs that land and build tenants and read what readers see: land, build, demo,
query. The steps themselves are duckhouse.pipeline's, shared with the Dagster job."""

from __future__ import annotations

import argparse
import sys
import time

import duckdb

from duckhouse import pipeline
from duckhouse.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    ensure_profiles_for,
    select_tenants,
    tenant_arg,
)
from duckhouse.ingest.files import terminal_safe
from duckhouse.locks import tenant_lock
from duckhouse.paths import PROJECT_DIR, published_warehouse_path, registry_path
from duckhouse.tenants import Tenant, get_tenant, load_registry
from duckhouse.warehouse import audit, queries
from duckhouse.warehouse.dbt import DbtError, project_public_views
from duckhouse.warehouse.readers import connect_published, read_only_statements


def cmd_land(args: argparse.Namespace) -> int:
    for tenant in select_tenants(args.tenants):
        with tenant_lock(tenant.id, "duckhouse land"):
            _print_landing(pipeline.land(tenant, force=args.force), tenant.id)
    return EXIT_OK


def _print_landing(reports: list[pipeline.ZoneReport], tenant_id: str) -> None:
    for report in reports:
        print(f"[{tenant_id}] {report.source}: {report.message}")


def cmd_build(args: argparse.Namespace) -> int:
    return build_tenants(select_tenants(args.tenants), args.force_land, args.full_refresh)


def build_tenants(tenants: list[Tenant], force_land: bool, full_refresh: bool) -> int:
    ensure_profiles_for(load_registry(registry_path()))
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
    outcome = pipeline.build(
        tenant,
        force_land=force_land,
        full_refresh=full_refresh,
        on_landed=lambda reports: _print_landing(reports, tenant.id),
    )
    _report_landing(tenant.id)
    if not outcome.ok:
        _report_failures(tenant.id, outcome.exit_code)
        return False
    published = outcome.published
    assert published is not None
    print(f"[{tenant.id}] built in {time.perf_counter() - started:.1f}s; audited and "
          f"published to readers in {published.seconds:.1f}s -> {published.path}")  # fmt: skip
    return True


def _report_landing(tenant_id: str) -> None:
    """What the build's landing did not land: files and lines, with why."""
    report = queries.landing_report(tenant_id)
    entries, ignored, conflicts = report.lake_files, report.lake_ignored, report.event_conflicts
    for status, what in (("quarantined", "quarantined, not landed"),
                         ("refused", "refused, never read")):  # fmt: skip
        found = [(lake_path, reason) for kind, lake_path, reason in entries if kind == status]
        if found:
            print(f"[{tenant_id}] ksqldb: {len(found)} file(s) {what}:")
            for lake_path, reason in found:
                print(f"    {terminal_safe(lake_path)}: {terminal_safe(reason)}")
    if ignored:
        print(f"[{tenant_id}] ksqldb: {ignored} entr{'y' if ignored == 1 else 'ies'} ignored "
              f"({queries.LAKE_FILES}, status 'ignored', says why)")  # fmt: skip
    if conflicts:
        print(f"[{tenant_id}] ksqldb: {conflicts} event(s) delivered with conflicting content "
              f"({queries.EVENT_CONFLICTS}); the earliest export is kept")  # fmt: skip
    for status, path, reason in report.shop_files:
        print(f"[{tenant_id}] shop: {status} {terminal_safe(path)}: {terminal_safe(reason)}")
    if report.quarantined:
        total = sum(count for *_, count in report.quarantined)
        print(f"[{tenant_id}] shop: {total} line(s) quarantined ({queries.QUARANTINE}):")
        for entity, rule, count in report.quarantined:
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


def cmd_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    build_tenants(select_tenants([]), force_land=False, full_refresh=False)
    tenants = load_registry(registry_path())
    print(f"\nduckhouse demo: {len(tenants)} tenants built in {time.perf_counter() - started:.0f}s")
    for tenant in tenants:
        print(f"\n  {tenant.id} ({tenant.display_name}) -> {published_warehouse_path(tenant.id)}")
        for view, count in queries.view_counts(tenant.id, project_public_views()).items():
            print(f"    {view:<34} {'-' if count is None else f'{count:>8,}'} rows")
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


def register(verbs: argparse._SubParsersAction) -> None:
    land = verbs.add_parser("land", help="land every source of the given tenants")
    land.add_argument("tenants", nargs="*", type=tenant_arg, help="tenant ids (default: all)")
    land.add_argument("--force", action="store_true", help="land again even if current")
    land.set_defaults(run=cmd_land)

    build = verbs.add_parser("build", help="land, then dbt build, per tenant")
    build.add_argument("tenants", nargs="*", type=tenant_arg, help="tenant ids (default: all)")
    build.add_argument("--force-land", action="store_true", help="land again even if current")
    build.add_argument("--full-refresh", action="store_true", help="pass --full-refresh to dbt")
    build.set_defaults(run=cmd_build)

    demo = verbs.add_parser("demo", help="build every registered tenant, then say where to look")
    demo.set_defaults(run=cmd_demo)

    query = verbs.add_parser("query", help="run read-only SQL against a tenant's warehouse")
    query.add_argument("tenant", type=tenant_arg, help="tenant id")
    query.add_argument("sql", help="the SQL to run, e.g. 'select * from finance.revenue_monthly'")
    query.set_defaults(run=cmd_query)
