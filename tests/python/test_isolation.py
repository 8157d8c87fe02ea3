"""Each tenant's warehouse holds only that tenant's data, read from its own files."""

from __future__ import annotations

import json

import pytest

from conftest import TENANTS

PUBLIC_VIEWS = (
    "finance.revenue_monthly",
    "marketing.segment_performance",
    "marketing.customer_value",
    "marketing.top_brands",
    "marketing.delivery_performance",
    "marketing.at_risk_customers",
    "marketing.campaign_segments",
)
BRONZE = ("region", "nation", "customer", "supplier", "part", "partsupp", "orders", "lineitem")


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_views_carry_only_their_tenant(lakehouse, tenant_id: str) -> None:
    with lakehouse.connect(tenant_id) as connection:
        for view in PUBLIC_VIEWS:
            tenants = connection.execute(f"select distinct tenant_id from {view}").fetchall()
            assert tenants == [(tenant_id,)], f"{view} in {tenant_id}'s warehouse: {tenants}"


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_bronze_reads_only_its_own_landing_zone(lakehouse, tenant_id: str) -> None:
    landing = lakehouse.landing(tenant_id) / "tpch"
    manifest = json.loads((landing / "_manifest.json").read_text())
    with lakehouse.connect(tenant_id) as connection:
        for table in BRONZE:
            files = connection.execute(
                f"select distinct _source_file from bronze.stg_tpch__{table}"
            ).fetchall()
            assert files == [(str(landing / f"{table}.parquet"),)], (table, files)
            (rows,) = connection.execute(
                f"select count(*) from bronze.stg_tpch__{table}"
            ).fetchone()
            assert rows == manifest["row_counts"][table], f"{table}: rows lost or added"


def test_tenants_numbers_differ(lakehouse) -> None:
    totals = {}
    for tenant_id in TENANTS:
        with lakehouse.connect(tenant_id) as connection:
            totals[tenant_id] = connection.execute(
                "select sum(order_count), sum(net_revenue) from finance.revenue_monthly"
            ).fetchone()
    assert len(set(totals.values())) == len(TENANTS), totals
    # sf 0.02 has twice the orders of sf 0.01
    assert totals["tiny_b"][0] == 2 * totals["tiny_a"][0]


def test_build_one_tenant_touches_no_other(lakehouse) -> None:
    """`duckhouse build tiny_a` rebuilds tiny_a only: tiny_b's warehouse is unchanged."""
    other = lakehouse.warehouse("tiny_b")
    before = other.stat().st_mtime_ns
    result = lakehouse.cli("build", "tiny_a")
    assert "[tiny_a] built" in result.stdout
    assert "tiny_b" not in result.stdout
    assert other.stat().st_mtime_ns == before
