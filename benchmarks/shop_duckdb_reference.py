"""The shop's sales gold as one plain DuckDB script: the engine's limit on this machine, the
third side of benchmarks/shop_vs_pandas.py.

The same rules and marts as benchmarks/shop_pandas_reference.py (positive quantity, known
status, the first line of each order id; the latest line of each customer and product;
daily, weekly and monthly sales, customer metrics, RFM quintiles, cohort retention,
product performance, regional sales, the KPI summary), written the straightforward way in
SQL and computed in memory: no line numbers, no quarantine, no data tests, nothing
persisted. What duckhouse adds on top of this is the price of a build that keeps and
proves its layers. It prints the same JSON as the pandas reference, so that the benchmark
can check all three sides computed the same numbers.

    uv run --group bench python benchmarks/shop_duckdb_reference.py <shop landing dir>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

from duckhouse.ingest.shop import CONTRACT  # the extracts' declared names and types
from duckhouse.sqltext import sql_string


def _read(root: Path, entity: str) -> str:
    # the files in name order, each in line order (insertion order is kept): rowid ranks lines
    columns = ", ".join(
        f"{sql_string(name)}: {sql_string(kind)}" for name, kind in CONTRACT[entity].items()
    )
    files = sql_string(f"{root / entity}/*.csv")
    return (
        f"select * from read_csv({files}, columns = {{{columns}}}, header = true, "
        "auto_detect = false)"
    )


def main(root: Path) -> dict:
    connection = duckdb.connect()
    connection.execute("set enable_progress_bar = false")
    for entity in CONTRACT:
        connection.execute(f"create table {entity}_read as {_read(root, entity)}")
    # customers and products: the latest line of each id wins
    for entity, key, columns in (("customers", "customer_id", "segment, country, state"),
                                 ("products", "product_id", "product_name, category")):  # fmt: skip
        connection.execute(f"""
            create table {entity} as
            select {key}, {columns}
            from {entity}_read
            qualify row_number() over (partition by {key} order by rowid desc) = 1
        """)
    connection.execute("""
        create table facts as
        with orders as (
            select *
            from orders_read
            where quantity > 0 and status in ('completed', 'pending', 'cancelled')
            qualify row_number() over (partition by order_id order by rowid) = 1
        )
        select
            orders.order_id, orders.customer_id, orders.product_id, orders.order_date,
            orders.quantity, orders.amount,
            orders.status = 'cancelled' as is_cancelled,
            case when orders.status = 'cancelled' then 0 else orders.amount end as revenue,
            orders.amount / orders.quantity as unit_price,
            customers.segment, customers.country, customers.state,
            products.product_name, products.category
        from orders
        left join customers using (customer_id)
        left join products using (product_id)
    """)
    connection.execute("create view kept as select * from facts where not is_cancelled")
    connection.execute("""
        create table daily as
        with calendar as (
            select cast(unnest(generate_series(min(order_date), max(order_date),
                interval 1 day)) as date) as order_date
            from facts
        ),
        days as (
            select order_date, count(*) as orders, sum(quantity) as units,
                sum(revenue) as revenue, count(distinct customer_id) as customers
            from kept group by order_date
        )
        select calendar.order_date, coalesce(days.revenue, 0) as revenue,
            avg(coalesce(days.revenue, 0)) over (order by calendar.order_date
                rows between 6 preceding and current row) as revenue_7d_moving_avg,
            coalesce(days.revenue, 0) / lag(coalesce(days.revenue, 0))
                over (order by calendar.order_date) - 1 as revenue_growth
        from calendar left join days using (order_date)
    """)
    for name, unit in (("weekly", "week"), ("monthly", "month")):
        connection.execute(f"""
            create table {name} as
            select period, orders, revenue, customers,
                revenue / lag(revenue) over (order by period) - 1 as revenue_growth,
                orders / lag(orders) over (order by period) - 1 as orders_growth
            from (
                select date_trunc({sql_string(unit)}, order_date) as period, count(*) as orders,
                    sum(revenue) as revenue, count(distinct customer_id) as customers
                from kept group by period
            )
        """)
    connection.execute("""
        create table customer_metrics as
        select *,
            ntile(5) over (order by recency_days desc, customer_id) as recency_score,
            ntile(5) over (order by orders, customer_id) as frequency_score,
            ntile(5) over (order by lifetime_value, customer_id) as monetary_score
        from (
            select customer_id, count(*) as orders, sum(revenue) as lifetime_value,
                sum(revenue) / count(*) as average_order_value,
                min(order_date) as first_order_date, max(order_date) as last_order_date,
                count(distinct order_date) as days_active,
                (select max(order_date) from facts) - max(order_date) as recency_days
            from kept group by customer_id
        )
    """)
    connection.execute("""
        create table cohorts as
        with activity as (
            select distinct customer_id, date_trunc('month', order_date) as month from kept
        ),
        firsts as (select customer_id, min(month) as cohort from activity group by customer_id),
        sizes as (select cohort, count(*) as size from firsts group by cohort)
        select cohort, datediff('month', cohort, month) as months_since, count(*) as active,
            count(*) / any_value(size) as retention_rate
        from activity join firsts using (customer_id) join sizes using (cohort)
        group by all
    """)
    connection.execute("""
        create table product as
        select product_id, count(*) as orders, sum(quantity) as units, sum(revenue) as revenue,
            min(unit_price) as min_unit_price, max(unit_price) as max_unit_price,
            count(distinct customer_id) as unique_customers,
            sum(revenue) / sum(sum(revenue)) over () as revenue_share
        from kept group by product_id
    """)
    connection.execute("""
        create table regional as
        select country, state, count(*) as orders, sum(revenue) as revenue,
            count(distinct customer_id) as customers, sum(revenue) / count(*) as average_basket,
            sum(revenue) / sum(sum(revenue)) over () as revenue_share
        from kept where country is not null and state is not null group by country, state
    """)
    revenue, orders, customers, active = connection.execute("""
        select sum(revenue), count(*), count(distinct customer_id),
            count(distinct customer_id) filter (
                where order_date > (select max(order_date) from facts) - 90)
        from kept
    """).fetchone()
    counts = connection.execute("""
        select (select count(*) filter (where is_cancelled) from facts),
            (select count(*) from daily), (select count(*) from cohorts),
            (select count(*) from product), (select count(*) from regional)
    """).fetchone()
    cancelled, days, cohort_rows, products, regions = counts
    return {
        "revenue": round(float(revenue), 2),
        "orders": orders,
        "cancelled_orders": cancelled,
        "average_order_value": round(float(revenue) / orders, 2),
        "customers": customers,
        "active_customers": active,
        "days": days,
        "cohort_rows": cohort_rows,
        "products": products,
        "regions": regions,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
