"""What every Dagster piece needs to know about tenants: the tag and pool that keep one
run at a time per tenant (a dbt node's layer is duckhouse.warehouse.dbt.layer_of)."""

from __future__ import annotations

TENANT_TAG = "duckhouse/tenant"


def tenant_pool(tenant_id: str) -> str:
    """The concurrency pool of a tenant: one slot (dagster.yaml), DuckDB has one writer."""
    return f"tenant_{tenant_id}"


def tenant_tags(tenant_id: str) -> dict[str, str]:
    return {TENANT_TAG: tenant_id}
