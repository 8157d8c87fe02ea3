-- Grain: one row per calendar day from the first to the last order (days without orders
-- included, so that the 7-day moving average spans seven days, not seven rows).
-- Cancelled orders count in cancelled_orders only.
with orders as (

    select * from {{ ref('fct_shop_orders') }}

),

bounds as (

    select
        min(order_date) as first_day,
        max(order_date) as last_day
    from orders

),

days as (

    {{ days_between('bounds', 'bounds.first_day', 'bounds.last_day', 'order_date') }}

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
        ) }} as revenue_growth
    from days
    left join per_day
        on days.order_date = per_day.order_date

)

select * from final
