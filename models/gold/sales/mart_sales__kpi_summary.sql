-- Grain: one row per tenant: the shop's headline numbers. Active customers ordered in the
-- last 90 days before the shop's last order date. Once a build has passed every test, its
-- row is also written as JSON to <data>/<tenant>/kpi_summary.json (duckhouse.warehouse.audit), for
-- people who want a file: a failed build never rewrites it.
-- From the daily totals (every day from the first order to the last) and the per-customer
-- totals, both incremental: a table of one row that reads a few thousand and one per
-- customer, never the orders.
with days as (

    select * from {{ ref('mart_sales__daily_sales') }}

),

customers as (

    select * from {{ ref('int_shop__customer_orders') }}

),

totals as (

    select
        sum(revenue) as revenue,
        cast(coalesce(sum(orders), 0) as bigint) as orders,
        cast(coalesce(sum(cancelled_orders), 0) as bigint) as cancelled_orders,
        max(order_date) as last_order_date
    from days

),

customer_counts as (

    select
        count(*) as customers,
        count(*) filter (
            where customers.last_order_date > {{ dbt.dateadd(
                'day', -90, '(select totals.last_order_date from totals)'
            ) }}
        ) as active_customers
    from customers

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        {{ to_money('totals.revenue') }} as revenue,
        totals.orders,
        totals.cancelled_orders,
        {{ to_money('totals.revenue / nullif(totals.orders, 0)') }} as average_order_value,
        customer_counts.customers,
        customer_counts.active_customers,
        totals.last_order_date
    from totals
    -- one row each
    cross join customer_counts

)

select * from final
