"""A job and a schedule per tenant, from the registry's cron and timezone."""

from __future__ import annotations

import dagster as dg

from duckhouse.orchestration.tenancy import tenant_tags
from duckhouse.tenants import Tenant


def tenant_job_name(tenant_id: str) -> str:
    return f"{tenant_id}_build"


def build_tenant_job(tenant: Tenant) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=tenant_job_name(tenant.id),
        selection=dg.AssetSelection.key_prefixes([tenant.id]),
        tags=tenant_tags(tenant.id),
        description=f"Land and build every asset of {tenant.display_name} ({tenant.id}).",
    )


def build_tenant_schedule(
    tenant: Tenant, job: dg.UnresolvedAssetJobDefinition
) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{tenant.id}_schedule",
        job=job,
        cron_schedule=tenant.schedule.cron,
        execution_timezone=tenant.schedule.timezone,
        tags=tenant_tags(tenant.id),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"{tenant.schedule.cron} ({tenant.schedule.timezone}), from tenants.yml",
    )
