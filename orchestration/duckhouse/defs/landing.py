"""Landing steps as assets upstream of bronze: lineage runs from source files to views."""

import dagster as dg

from duckhouse.defs.sensors import NEWEST_FILE_KEY, newest_file_ns
from duckhouse.defs.tenancy import tenant_pool, tenant_tags
from duckhouse.landing.tpch import land_tpch
from duckhouse.pgserver import check_source
from duckhouse.tenants import Tenant


def build_landing_assets(tenant: Tenant) -> list[dg.AssetsDefinition]:
    if tenant.tpch.mode == "postgres":
        return [_postgres_source_asset(tenant)]

    @dg.asset(
        key=[tenant.id, "landing", "tpch"],
        group_name=f"{tenant.id}_landing",
        kinds={"parquet", "python"},
        tags=tenant_tags(tenant.id),
        pool=tenant_pool(tenant.id),
        description=(
            f"TPC-H for {tenant.display_name} at scale factor {tenant.tpch.scale_factor}, "
            "generated as Parquet into the tenant's landing zone (kept if already current)."
        ),
    )
    def tpch_landing(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        result = land_tpch(tenant)
        context.log.info(
            f"tpch for {tenant.id}: {'kept current landing' if result.skipped else 'landed'}"
        )
        newest = newest_file_ns(result.path)
        return dg.MaterializeResult(
            metadata={
                "scale_factor": tenant.tpch.scale_factor,
                "rows": dg.MetadataValue.int(sum(result.row_counts.values())),
                "rows_per_table": dg.MetadataValue.json(result.row_counts),
                "landing_zone": dg.MetadataValue.path(str(result.path)),
                "regenerated": not result.skipped,
                "newest file": dg.MetadataValue.timestamp(newest / 1e9),
                # what the landing sensor compares dropped files against (text: ns overflow
                # the UI's 32-bit integers)
                NEWEST_FILE_KEY: dg.MetadataValue.text(str(newest)),
            }
        )

    return [tpch_landing]


def _postgres_source_asset(tenant: Tenant) -> dg.AssetsDefinition:
    source = tenant.tpch.postgres
    assert source is not None

    @dg.asset(
        key=[tenant.id, "landing", "tpch"],
        group_name=f"{tenant.id}_landing",
        kinds={"postgres"},
        tags=tenant_tags(tenant.id),
        pool=tenant_pool(tenant.id),
        description=(
            f"TPC-H of {tenant.display_name} in PostgreSQL {source.host}:{source.port}/"
            f"{source.database}, read by dbt through a read-only attach. This step checks "
            "that the eight tables are there with TPC-H's column types and counts their rows."
        ),
    )
    def tpch_postgres(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        counts = check_source(tenant)
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
