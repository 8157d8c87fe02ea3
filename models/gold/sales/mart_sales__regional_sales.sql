-- Grain: one row per country and state of the customers who ordered (orders not
-- cancelled), where each customer lives now (dim_shop_customer). Added up from the
-- per-customer totals (int_shop__customer_orders: one row per customer with an order not
-- cancelled, where the customer lives now, its orders and revenue), not from every order:
-- the same sums, from a table a fifth of the fact's size.
with per_customer as (

    select * from {{ ref('int_shop__customer_orders') }}

),

per_region as (

    select
        country,
        state,
        cast(sum(orders) as bigint) as orders,
        sum(lifetime_value) as revenue,
        count(*) as customers
    from per_customer
    group by country, state

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        country,
        state,
        orders,
        {{ to_money('revenue') }} as revenue,
        customers,
        {{ to_money('revenue / orders') }} as average_basket,
        {{ safe_ratio('revenue', 'sum(revenue) over ()') }} as revenue_share
    from per_region

)

select * from final
