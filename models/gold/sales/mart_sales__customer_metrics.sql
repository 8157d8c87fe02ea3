-- Grain: one row per customer with at least one order that was not cancelled. Recency is
-- measured against the shop's last order date (not today), so a replayed history scores
-- the same every day.
with orders as (

    select * from {{ ref('fct_shop_orders') }}
    where not is_cancelled

),

customers as (

    select * from {{ ref('dim_shop_customer') }}

),

per_customer as (

    select
        customer_id,
        count(*) as orders,
        sum(revenue) as lifetime_value,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct order_date) as days_active
    from orders
    group by customer_id

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        per_customer.customer_id,
        customers.segment,
        customers.country,
        customers.state,
        per_customer.orders,
        {{ to_money('per_customer.lifetime_value') }} as lifetime_value,
        {{ to_money('per_customer.lifetime_value / per_customer.orders') }}
            as average_order_value,
        per_customer.first_order_date,
        per_customer.last_order_date,
        per_customer.days_active,
        date_diff(
            'day',
            per_customer.last_order_date,
            (select max(orders.order_date) as shop_last_order_date from orders)
        ) as recency_days
    from per_customer
    -- customer_id is the dimension's key: one customer row per metrics row
    left join customers
        on per_customer.customer_id = customers.customer_id

)

select * from final
