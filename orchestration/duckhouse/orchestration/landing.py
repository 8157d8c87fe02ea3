"""Landing steps as assets upstream of bronze: lineage runs from source files to views."""

from collections.abc import Callable

import dagster as dg

from duckhouse.ingest.ksqldb import landed_feeds
from duckhouse.ingest.shop import scan_zone
from duckhouse.locks import tenant_lock
from duckhouse.orchestration.sensors import NEWEST_FILE_KEY, newest_file_ns
from duckhouse.orchestration.tenancy import tenant_pool, tenant_tags
from duckhouse.paths import check_tenant_folders
from duckhouse.pipeline import prepare_ksqldb, prepare_shop, prepare_tpch
from duckhouse.tenants import Tenant


def build_landing_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    lake, shop = _ksqldb_lake_asset(tenant), _shop_extracts_asset(tenant)
    if tenant.tpch.mode == "postgres":
        return [_postgres_source_asset(tenant), lake, shop]
    return [_tpch_files_asset(tenant), lake, shop]


def _landing_asset(
    tenant: Tenant, source: str, kinds: set[str], description: str
) -> Callable[..., dg.AssetsDefinition]:
    """The decorator of a tenant's landing asset for `source`: keyed and grouped as the dbt
    sources map to it, tagged and pooled like the tenant's other steps."""
    return dg.asset(
        key=[tenant.id, "landing", source],
        group_name=f"{tenant.id}_landing",
        kinds=kinds,
        tags=tenant_tags(tenant.id),
        pool=tenant_pool(tenant.id),
        description=description,
    )


def _ksqldb_lake_asset(tenant: Tenant) -> dg.AssetsDefinition:
    @_landing_asset(
        tenant,
        "ksqldb",
        {"parquet", "python"},
        (
            f"The ksqlDB export lake of {tenant.display_name}: date-partitioned stream files "
            f"and versioned table snapshots in the tenant's landing zone ({tenant.ksqldb.mode}: "
            "a delivered lake is only read; a generated one is written from the registry's "
            "seed when absent, its feeds synced with the registry)."
        ),
    )
    def ksqldb_landing(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with tenant_lock(tenant.id, "dagster landing ksqldb"):
            check_tenant_folders(tenant)
            report = prepare_ksqldb(tenant)
        context.log.info(f"ksqldb for {tenant.id}: {report.message}")
        newest = newest_file_ns(report.path)
        return dg.MaterializeResult(
            metadata={
                "mode": report.mode,
                "active_feeds": dg.MetadataValue.json(
                    landed_feeds(report.path) if report.path.is_dir() else []
                ),
                "landing_zone": dg.MetadataValue.path(str(report.path)),
                "generated": report.generated,
                NEWEST_FILE_KEY: dg.MetadataValue.text(str(newest)),
            }
        )

    return ksqldb_landing


def _shop_extracts_asset(tenant: Tenant) -> dg.AssetsDefinition:
    @_landing_asset(
        tenant,
        "shop",
        {"csv", "python"},
        (
            f"The e-commerce shop's CSV extracts of {tenant.display_name} (customers, "
            f"products, orders) in the tenant's landing zone ({tenant.shop.mode}: delivered "
            "extracts are only read; generated ones are written from the registry's seed when "
            "absent)."
        ),
    )
    def shop_landing(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with tenant_lock(tenant.id, "dagster landing shop"):
            check_tenant_folders(tenant)
            report = prepare_shop(tenant)
        context.log.info(f"shop for {tenant.id}: {report.message}")
        files = scan_zone(report.path)
        return dg.MaterializeResult(
            metadata={
                "mode": report.mode,
                "files": dg.MetadataValue.int(sum(f.status == "extract" for f in files)),
                "ignored_or_refused": dg.MetadataValue.int(
                    sum(f.status != "extract" for f in files)
                ),
                "landing_zone": dg.MetadataValue.path(str(report.path)),
                "generated": report.generated,
                NEWEST_FILE_KEY: dg.MetadataValue.text(str(newest_file_ns(report.path))),
            }
        )

    return shop_landing


def _tpch_files_asset(tenant: Tenant) -> dg.AssetsDefinition:

    @_landing_asset(
        tenant,
        "tpch",
        {"parquet", "python"},
        (
            f"TPC-H for {tenant.display_name} at scale factor {tenant.tpch.scale_factor}, "
            "generated as Parquet into the tenant's landing zone (kept if already current)."
        ),
    )
    def tpch_landing(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with tenant_lock(tenant.id, "dagster landing tpch"):
            check_tenant_folders(tenant)
            report = prepare_tpch(tenant)
        context.log.info(f"tpch for {tenant.id}: {report.message}")
        newest = newest_file_ns(report.path)
        return dg.MaterializeResult(
            metadata={
                "scale_factor": tenant.tpch.scale_factor,
                "rows": dg.MetadataValue.int(sum(report.rows.values())),
                "rows_per_table": dg.MetadataValue.json(report.rows),
                "landing_zone": dg.MetadataValue.path(str(report.path)),
                "regenerated": report.generated,
                "newest file": dg.MetadataValue.timestamp(newest / 1e9),
                # what the landing sensor compares dropped files against (text: ns overflow
                # the UI's 32-bit integers)
                NEWEST_FILE_KEY: dg.MetadataValue.text(str(newest)),
            }
        )

    return tpch_landing


def _postgres_source_asset(tenant: Tenant) -> dg.AssetsDefinition:
    source = tenant.tpch.postgres
    assert source is not None

    @_landing_asset(
        tenant,
        "tpch",
        {"postgres"},
        (
            f"TPC-H of {tenant.display_name} in PostgreSQL {source.host}:{source.port}/"
            f"{source.database}, read by dbt through a read-only attach. This step checks "
            "that the eight tables are there with TPC-H's column types and counts their rows."
        ),
    )
    def tpch_postgres(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        counts = prepare_tpch(tenant).rows  # the pre-flight: tables, types, row counts
        context.log.info(f"tpch for {tenant.id}: PostgreSQL checked, {sum(counts.values())} rows")
        return dg.MaterializeResult(
            metadata={
                "rows": dg.MetadataValue.int(sum(counts.values())),
                "rows_per_table": dg.MetadataValue.json(counts),
                # where, never with whom: no password or user in the metadata
                "source": f"postgresql://{source.host}:{source.port}/{source.database}",
            }
        )

    return tpch_postgres
