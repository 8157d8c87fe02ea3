-- Grain: one row per country and state of the customers who ordered (orders not
-- cancelled), where each customer lives now (dim_shop_customer). Added up from the
-- per-customer totals (int_shop__customer_orders: one row per customer with an order not
-- cancelled, its orders and revenue), not from every order: the same sums, from a table
-- a fifth of the fact's size.
with per_customer as (

    select * from {{ ref('int_shop__customer_orders') }}

),

customers as (

    select * from {{ ref('dim_shop_customer') }}

),

per_region as (

    select
        customers.country,
        customers.state,
        cast(sum(per_customer.orders) as bigint) as orders,
        sum(per_customer.lifetime_value) as revenue,
        count(*) as customers
    from per_customer
    -- customer_id is the key of both: one row per customer
    left join customers
        on per_customer.customer_id = customers.customer_id
    group by customers.country, customers.state

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
