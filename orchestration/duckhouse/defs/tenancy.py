"""What every Dagster piece needs to know about tenants: the tag and pool that keep one
run at a time per tenant, and the layer of a dbt node."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TENANT_TAG = "duckhouse/tenant"
LAYERS = ("bronze", "silver", "gold", "views")


def tenant_pool(tenant_id: str) -> str:
    """The concurrency pool of a tenant: one slot (dagster.yaml), DuckDB has one writer."""
    return f"tenant_{tenant_id}"


def tenant_tags(tenant_id: str) -> dict[str, str]:
    return {TENANT_TAG: tenant_id}


def layer_of(dbt_resource_props: Mapping[str, Any]) -> str:
    """bronze, silver, gold or views from a model's folder; seeds and snapshots apart."""
    resource_type = dbt_resource_props["resource_type"]
    if resource_type == "source":
        return "landing"
    if resource_type == "seed":
        return "seeds"
    if resource_type == "snapshot":
        return "snapshots"
    fqn = dbt_resource_props.get("fqn", [])
    return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else "other"
