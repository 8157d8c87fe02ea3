"""Gold numbers equal an independent computation straight from the landed Parquet files.

The expected values are computed here with plain SQL over the raw TPC-H files (raw
column names, different join path, no duckhouse model or macro involved) and compared
with what the finance and marketing views serve.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from conftest import TENANTS

CENT = Decimal("0.01")


def _raw(lakehouse, tenant_id: str) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the tenant's landed files as views (raw names)."""
    connection = duckdb.connect()
    landing = lakehouse.landing(tenant_id) / "tpch"
    for table in ("customer", "orders", "lineitem", "partsupp", "nation", "part"):
        connection.execute(
            f"create view {table} as select * from read_parquet('{landing / table}.parquet')"
        )
    return connection


EXPECTED_FINANCE = """
with line_money as (
    select
        o.o_orderkey,
        date_trunc('month', o.o_orderdate)::date as month,
        c.c_nationkey as nation,
        l.l_extendedprice as gross,
        l.l_extendedprice * l.l_discount as discount,
        l.l_extendedprice * (1 - l.l_discount) as revenue,
        l.l_extendedprice * (1 - l.l_discount) * l.l_tax as tax,
        ps.ps_supplycost * l.l_quantity as cost
    from lineitem l, orders o, customer c, partsupp ps
    where l.l_orderkey = o.o_orderkey
      and o.o_custkey = c.c_custkey
      and ps.ps_partkey = l.l_partkey and ps.ps_suppkey = l.l_suppkey
),
per_month as (
    select month, nation, count(distinct o_orderkey) as orders, sum(gross) as gross,
           sum(discount) as discount, sum(revenue) as revenue, sum(tax) as tax,
           sum(cost) as cost
    from line_money group by all
),
receivables as (
    select date_trunc('month', o_orderdate)::date as month, c_nationkey as nation,
           count(*) as open_orders, sum(o_totalprice) as receivables
    from orders, customer
    where o_custkey = c_custkey and o_orderstatus <> 'F'
    group by all
)
select p.month, p.nation, p.orders, p.gross, p.discount, p.revenue, p.tax, p.cost,
       p.revenue - p.cost as margin, p.revenue / p.orders as aov,
       coalesce(r.open_orders, 0), coalesce(r.receivables, 0)
from per_month p left join receivables r using (month, nation)
order by 1, 2
"""

SERVED_FINANCE = """
select order_month, nation_id, order_count, gross_sales, discount_amount, net_revenue,
       tax_amount, supply_cost_amount, gross_margin, average_order_value, open_order_count,
       receivables
from finance.revenue_monthly
order by 1, 2
"""


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_finance_view_equals_independent_computation(lakehouse, tenant_id: str) -> None:
    expected = _raw(lakehouse, tenant_id).execute(EXPECTED_FINANCE).fetchall()
    with lakehouse.connect(tenant_id) as connection:
        served = connection.execute(SERVED_FINANCE).fetchall()

    assert len(served) == len(expected) > 0
    columns = SERVED_FINANCE.split("from")[0].replace("select", "").replace("\n", "")
    names = [name.strip() for name in columns.split(",")]
    for expected_row, served_row in zip(expected, served, strict=True):
        assert served_row[:3] == tuple(expected_row[:3]), (expected_row, served_row)
        for name, want, got in zip(names[3:], expected_row[3:], served_row[3:], strict=True):
            want = Decimal(str(want)).quantize(CENT)
            assert abs(Decimal(str(got)) - want) <= CENT, (
                f"{tenant_id} {served_row[0]} nation {served_row[1]} {name}: "
                f"expected {want}, served {got}"
            )


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_finance_grand_totals(lakehouse, tenant_id: str) -> None:
    raw = _raw(lakehouse, tenant_id)
    (revenue,) = raw.execute(
        "select sum(l_extendedprice * (1 - l_discount)) from lineitem"
    ).fetchone()
    (orders,) = raw.execute("select count(*) from orders").fetchone()
    with lakehouse.connect(tenant_id) as connection:
        served_revenue, served_orders = connection.execute(
            "select sum(net_revenue), sum(order_count) from finance.revenue_monthly"
        ).fetchone()
    (rows,) = raw.execute(
        "select count(distinct (date_trunc('month', o_orderdate), c_nationkey)) "
        "from orders join customer on o_custkey = c_custkey"
    ).fetchone()
    assert served_orders == orders
    # each month-nation row is rounded to the cent on its own: allow a cent per row
    assert abs(Decimal(str(served_revenue)) - Decimal(str(revenue))) <= CENT * rows


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_delivery_performance_equals_independent_computation(lakehouse, tenant_id) -> None:
    expected = (
        _raw(lakehouse, tenant_id)
        .execute(
            """
        select date_trunc('month', l_receiptdate)::date, l_shipmode, count(*),
               count(*) filter (where l_receiptdate > l_commitdate),
               round(count(*) filter (where l_receiptdate > l_commitdate) / count(*), 4)
        from lineitem where l_linestatus = 'F'
        group by all order by 1, 2
        """
        )
        .fetchall()
    )
    with lakehouse.connect(tenant_id) as connection:
        served = connection.execute(
            """
            select receipt_month, ship_mode, delivered_line_count, late_line_count,
                   late_delivery_rate
            from marketing.delivery_performance order by 1, 2
            """
        ).fetchall()
    assert [row[:4] for row in served] == [tuple(row[:4]) for row in expected]
    for want, got in zip(expected, served, strict=True):
        assert abs(Decimal(str(got[4])) - Decimal(str(want[4]))) <= Decimal("0.0001")


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_segment_performance_equals_independent_computation(lakehouse, tenant_id) -> None:
    expected = (
        _raw(lakehouse, tenant_id)
        .execute(
            """
        select date_trunc('month', o_orderdate)::date, c_mktsegment,
               count(distinct o_custkey), count(*)
        from orders join customer on o_custkey = c_custkey
        group by all order by 1, 2
        """
        )
        .fetchall()
    )
    with lakehouse.connect(tenant_id) as connection:
        served = connection.execute(
            """
            select order_month, market_segment, active_customer_count, order_count
            from marketing.segment_performance order by 1, 2
            """
        ).fetchall()
    assert served == [tuple(row) for row in expected]


@pytest.mark.parametrize("tenant_id", sorted(TENANTS))
def test_customer_value_covers_every_customer_once(lakehouse, tenant_id) -> None:
    raw = _raw(lakehouse, tenant_id)
    (customers,) = raw.execute("select count(*) from customer").fetchone()
    (buyers,) = raw.execute("select count(distinct o_custkey) from orders").fetchone()
    with lakehouse.connect(tenant_id) as connection:
        total, ordered, scored = connection.execute(
            """
            select count(*), count(*) filter (where has_ordered),
                   count(*) filter (where rfm_segment <> 'No purchases')
            from marketing.customer_value
            """
        ).fetchone()
        quintiles = connection.execute(
            "select recency_score, count(*) from marketing.customer_value "
            "where has_ordered group by 1 order by 1"
        ).fetchall()
    assert (total, ordered, scored) == (customers, buyers, buyers)
    sizes = [count for _, count in quintiles]
    assert [score for score, _ in quintiles] == [1, 2, 3, 4, 5]
    assert max(sizes) - min(sizes) <= 1, "ntile(5) quintiles must be of equal size"
