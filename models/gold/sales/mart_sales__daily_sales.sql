-- Grain: one row per calendar day from the first to the last order (days without orders
-- included, so that the 7-day moving average spans seven days, not seven rows).
-- Cancelled orders count in cancelled_orders only.
-- Incremental: the days of the orders landed since its last run are aggregated again, the
-- other days' totals are its own; the moving averages and growth are computed over every
-- day each run (a few hundred rows), so every row is written again.
-- depends_on: {{ ref('landed_shop__orders') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_date',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['orders']) }}",
        post_hook="{{ shop_finish_run(['orders']) }}",
    )
}}
{%- set watermark = shop_watermark(['orders']) %}
{%- set totals = ['order_date', 'orders', 'cancelled_orders', 'units', 'revenue', 'customers'] %}

with orders as (

    {{ shop_orders_of_new_keys('orders.order_date', watermark) }}

),

per_day as (

    select
        order_date,
        count(*) filter (where not is_cancelled) as orders,
        count(*) filter (where is_cancelled) as cancelled_orders,
        coalesce(sum(quantity) filter (where not is_cancelled), 0) as units,
        sum(revenue) as revenue,
        count(distinct customer_id) filter (where not is_cancelled) as customers
    from orders
    group by order_date
    {{ shop_kept_rows('order_date', totals, 'select orders.order_date from orders', watermark) }}

),

bounds as (

    select
        min(order_date) as first_day,
        max(order_date) as last_day
    from per_day

),

days as (

    {{ days_between('bounds', 'bounds.first_day', 'bounds.last_day', 'order_date') }}

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        days.order_date,
        coalesce(per_day.orders, 0) as orders,
        coalesce(per_day.cancelled_orders, 0) as cancelled_orders,
        coalesce(per_day.units, 0) as units,
        {{ to_money('coalesce(per_day.revenue, 0)') }} as revenue,
        coalesce(per_day.customers, 0) as customers,
        {{ to_money(
            'avg(coalesce(per_day.revenue, 0)) over (order by days.order_date '
            ~ 'rows between 6 preceding and current row)'
        ) }} as revenue_7d_moving_avg,
        {{ safe_ratio(
            'coalesce(per_day.revenue, 0) - lag(coalesce(per_day.revenue, 0)) '
            ~ 'over (order by days.order_date)',
            'lag(coalesce(per_day.revenue, 0)) over (order by days.order_date)'
        ) }} as revenue_growth,
        {{ shop_through(['orders']) }} as _landed_through
    from days
    left join per_day
        on days.order_date = per_day.order_date

)

select * from final
