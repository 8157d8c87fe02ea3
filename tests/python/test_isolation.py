"""Each tenant's warehouse holds only that tenant's data, read from its own files."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, TENANTS
from duckhouse.sqltext import sql_list, sql_string
from duckhouse.warehouse.dbt import load_manifest, public_views

PATH_COLUMNS = ("_source_file", "file_path")
"""Bronze columns that record the absolute path of the file a row was read from."""

# One fingerprint per public view: what it serves (left) and the same numbers computed
# straight from a landing zone's raw files (right), plain SQL with the files' own column
# names and no model or macro of the project. The two tenants' files differ (scale factor,
# shop seed), so a view built from the other tenant's files does not match.
FINGERPRINTS = {
    "finance.revenue_monthly": (
        "select sum(order_count), sum(line_count), sum(open_order_count), count(*),"
        " sum(net_revenue) from finance.revenue_monthly",
        """select (select count(*) from orders), (select count(*) from lineitem),
            (select count(*) from orders where o_orderstatus <> 'F'),
            (select count(distinct (date_trunc('month', o_orderdate), c_nationkey))
             from orders join customer on o_custkey = c_custkey),
            (select sum(l_extendedprice * (1 - l_discount)) from lineitem)""",
    ),
    "marketing.segment_performance": (
        "select sum(order_count), sum(active_customer_count), count(*)"
        " from marketing.segment_performance",
        """select sum(orders), sum(buyers), count(*) from (
            select count(*) as orders, count(distinct o_custkey) as buyers
            from orders join customer on o_custkey = c_custkey
            group by date_trunc('month', o_orderdate), c_mktsegment)""",
    ),
    "marketing.customer_value": (
        "select count(*), count(*) filter (where has_ordered), sum(order_count)"
        " from marketing.customer_value",
        """select (select count(*) from customer), (select count(distinct o_custkey) from orders),
            (select count(*) from orders)""",
    ),
    "marketing.delivery_performance": (
        "select sum(delivered_line_count), sum(late_line_count), count(*)"
        " from marketing.delivery_performance",
        """select count(*), count(*) filter (where l_receiptdate > l_commitdate),
            count(distinct (date_trunc('month', l_receiptdate), l_shipmode))
        from lineitem where l_linestatus = 'F'""",
    ),
    "marketing.top_brands": (
        "select order_month, market_segment, brand, net_revenue from marketing.top_brands"
        " where brand_rank = 1 order by all",
        """with brand_revenue as (
            select date_trunc('month', o_orderdate)::date as month, c_mktsegment, p_brand,
                sum(l_extendedprice * (1 - l_discount)) as revenue
            from lineitem
            join orders on l_orderkey = o_orderkey
            join customer on o_custkey = c_custkey
            join part on l_partkey = p_partkey
            group by all
        ),
        ranked as (
            select *, row_number() over (
                partition by month, c_mktsegment order by revenue desc, p_brand
            ) as brand_rank
            from brand_revenue
        )
        select month, c_mktsegment, p_brand, revenue from ranked
        where brand_rank = 1 order by all""",
    ),
    "marketing.campaign_segments": (
        "select sum(customer_count), sum(total_lifetime_value) from marketing.campaign_segments",
        "select count(distinct customer_id), sum(amount) from shop_orders"
        " where status <> 'cancelled'",
    ),
    "marketing.at_risk_customers": (
        "select customer_id, order_count, lifetime_value, last_order_date, recency_days"
        " from marketing.at_risk_customers order by customer_id",
        """with per_customer as (
            select customer_id, count(*) as orders, sum(amount) as lifetime_value,
                max(order_date) as last_order_date
            from shop_orders where status <> 'cancelled' group by customer_id
        ),
        aged as (
            select *,
                date_diff('day', last_order_date, max(last_order_date) over ()) as recency
            from per_customer
        ),
        scored as (
            select *,
                ntile(5) over (order by recency desc, customer_id) as recency_score,
                ntile(5) over (order by lifetime_value, customer_id) as monetary_score
            from aged
        )
        select customer_id, orders, lifetime_value, last_order_date, recency from scored
        where monetary_score >= 4 and recency_score <= 2 order by customer_id""",
    ),
}


def _raw_files(landing: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a landing zone's raw files as views, read directly."""
    connection = duckdb.connect()
    for table in ("customer", "orders", "lineitem", "part"):
        parquet = sql_string(landing / "tpch" / f"{table}.parquet")
        connection.execute(f"create view {table} as select * from read_parquet({parquet})")
    extracts = sql_string(landing / "shop" / "orders" / "*.csv")
    connection.execute(
        "create view shop_orders as select * from read_csv("
        f"{extracts}, header = true, types = {{'amount': 'decimal(18, 2)', 'order_date': 'date'}})"
    )
    return connection


def _same(served: list[tuple], computed: list[tuple], view_rows: int) -> bool:
    """Equal row by row; money to within a cent per row of the view (each view row is
    rounded to the cent on its own, the raw files' sums are not)."""

    def close(got: object, want: object) -> bool:
        if isinstance(want, Decimal | float) and got is not None:
            return abs(Decimal(str(got)) - Decimal(str(want))) <= Decimal("0.01") * view_rows
        return got == want

    return len(served) == len(computed) and all(
        len(left) == len(right) and all(map(close, left, right))
        for left, right in zip(served, computed, strict=True)
    )


def test_the_public_views_are_the_seven_the_project_declares(lakehouse) -> None:
    """The views are read from each tenant's own manifest (the models' `access: public`),
    and they are the models of models/views/ (the folder dbt_project.yml makes public)."""
    declared = sorted((PROJECT_DIR / "models" / "views").rglob("*.sql"))
    assert len(declared) == 7 == len(FINGERPRINTS)
    for tenant_id in TENANTS:
        manifest = load_manifest(lakehouse.target(tenant_id) / "manifest.json")
        views = public_views(manifest)
        assert sorted(views) == sorted(FINGERPRINTS), f"{tenant_id}: {views}"
        public_files = sorted(
            PROJECT_DIR / node["original_file_path"]
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node.get("access") == "public"
        )
        assert public_files == declared


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
@pytest.mark.parametrize("view", sorted(FINGERPRINTS))
def test_each_view_is_computed_from_its_own_tenants_files(
    lakehouse, tenant_id: str, view: str
) -> None:
    """A public view's numbers equal those computed from the tenant's own landing files,
    read here without dbt, and differ from those of the other tenant's files."""
    (other,) = set(TENANTS) - {tenant_id}
    served_sql, raw_sql = FINGERPRINTS[view]
    with lakehouse.connect(tenant_id) as connection:
        served = connection.execute(served_sql).fetchall()
        (rows,) = connection.execute(f"select count(*) from {view}").fetchone()
    own = _raw_files(lakehouse.landing(tenant_id)).execute(raw_sql).fetchall()
    others = _raw_files(lakehouse.landing(other)).execute(raw_sql).fetchall()
    assert rows and served[0][0] is not None, f"{view} is empty in {tenant_id}'s warehouse"
    assert not _same(own, others, rows), f"{view}: both tenants' files give the same numbers"
    assert _same(served, own, rows), f"{tenant_id} {view}: served {served[:3]}, files {own[:3]}"


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_bronze_reads_only_its_own_landing_zone(lakehouse, tenant_id: str) -> None:
    """Every file path recorded in the tenant's bronze is a file of its own landing zone,
    from every source; and every TPC-H row landed is read, none added."""
    landing = lakehouse.landing(tenant_id).resolve()
    with lakehouse.connect(tenant_id) as connection:
        columns = connection.execute(
            "select table_name, column_name from information_schema.columns where table_schema"
            f" = 'bronze' and list_contains({sql_list(PATH_COLUMNS)}, column_name)"
        ).fetchall()
        paths: set[str] = set()
        for table, column in columns:
            paths |= {
                path
                for (path,) in connection.execute(
                    f'select distinct "{column}" from bronze."{table}" where "{column}" is not null'
                ).fetchall()
            }
        manifest = json.loads((landing / "tpch" / "_manifest.json").read_text())
        for table, landed in manifest["row_counts"].items():
            (rows,) = connection.execute(
                f"select count(*) from bronze.stg_tpch__{table}"
            ).fetchone()
            assert rows == landed, f"{table}: rows lost or added"
    assert len(columns) >= 10, columns
    outside = sorted(
        path for path in paths if not Path(path).is_relative_to(landing) or ".." in Path(path).parts
    )
    assert not outside, f"{tenant_id}'s bronze read files outside {landing}: {outside[:5]}"
    read = {Path(path).relative_to(landing).parts[0] for path in paths}
    assert read == {"tpch", "ksqldb", "shop"}, read


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
         "--target-path", str(lakehouse.target("tiny_a"))],
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
