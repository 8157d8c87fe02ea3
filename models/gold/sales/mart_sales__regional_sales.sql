-- Grain: one row per country and state of the customers who ordered (orders not
-- cancelled).
with orders as (

    select * from {{ ref('fct_shop_orders') }}
    where not is_cancelled

),

per_region as (

    select
        customer_country as country,
        customer_state as state,
        count(*) as orders,
        sum(revenue) as revenue,
        count(distinct customer_id) as customers
    from orders
    group by customer_country, customer_state

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
