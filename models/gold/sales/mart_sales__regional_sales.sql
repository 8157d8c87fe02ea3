-- Grain: one row per country and state of the customers who ordered (orders not
-- cancelled), where each customer lives now (dim_shop_customer).
with orders as (

    select * from {{ ref('fct_shop_orders') }}
    where not is_cancelled

),

customers as (

    select * from {{ ref('dim_shop_customer') }}

),

per_region as (

    select
        customers.country,
        customers.state,
        count(*) as orders,
        sum(orders.revenue) as revenue,
        count(distinct orders.customer_id) as customers
    from orders
    -- customer_id is the dimension's key: no fan-out
    left join customers
        on orders.customer_id = customers.customer_id
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
