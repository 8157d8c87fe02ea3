-- Grain: one row per tenant: the shop's headline numbers. Active customers ordered in the
-- last 90 days before the shop's last order date. Once a build has passed every test, its
-- row is also written as JSON to <data>/<tenant>/kpi_summary.json (duckhouse.warehouse.audit), for
-- people who want a file: a failed build never rewrites it.
with orders as (

    select * from {{ ref('fct_shop_orders') }}

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        {{ to_money('sum(revenue)') }} as revenue,
        count(*) filter (where not is_cancelled) as orders,
        count(*) filter (where is_cancelled) as cancelled_orders,
        {{ to_money('sum(revenue) / nullif(count(*) filter (where not is_cancelled), 0)') }}
            as average_order_value,
        count(distinct customer_id) filter (where not is_cancelled) as customers,
        count(distinct customer_id) filter (
            where not is_cancelled
            and order_date > {{ dbt.dateadd(
                'day', -90, '(select max(latest.order_date) as last_day from orders as latest)'
            ) }}
        ) as active_customers,
        max(order_date) as last_order_date
    from orders

)

select * from final
