"""Each tenant's warehouse holds only that tenant's data, read from its own files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, TENANTS

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


def _dbt(lakehouse, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *args, "--target", "tiny_a",
         "--target-path", "target/tiny_a"],
        cwd=PROJECT_DIR, env=lakehouse.env, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_model_cannot_reach_another_tenants_files(lakehouse) -> None:
    """tiny_a's target reads its own landing zone, and DuckDB refuses tiny_b's: a path
    typed into SQL, or the project's own source() pointed at tiny_b by the tenant_id var."""
    own = _dbt(
        lakehouse, "show", "--inline", "select count(*) as n from {{ source('tpch', 'orders') }}"
    )
    assert own.returncode == 0, own.stdout
    other = lakehouse.landing("tiny_b") / "tpch" / "orders.parquet"
    assert other.is_file()
    typed = _dbt(
        lakehouse, "show", "--inline", f"select count(*) as n from read_parquet('{other}')"
    )
    through_source = _dbt(
        lakehouse, "show", "--vars", "{tenant_id: tiny_b}",
        "--inline", "select count(*) as n from {{ source('tpch', 'orders') }}",
    )  # fmt: skip
    for refused in (typed, through_source):
        assert refused.returncode != 0
        assert "Permission Error" in refused.stdout, refused.stdout
        assert "tiny_b" in refused.stdout  # the refused path is named

    # a build is stopped before it runs anything, saying why
    before = lakehouse.warehouse("tiny_a").stat().st_mtime_ns
    build = _dbt(lakehouse, "build", "--vars", "{tenant_id: tiny_b}", "-s", "stg_tpch__orders")
    assert build.returncode != 0
    assert "target 'tiny_a' builds tenant 'tiny_a' only, not 'tiny_b'" in build.stdout
    assert lakehouse.warehouse("tiny_a").stat().st_mtime_ns == before
