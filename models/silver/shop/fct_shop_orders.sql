-- Grain: one row per shop order (order_id), enriched with its customer and product.
-- Cancelled orders are kept and flagged; their revenue is zero.
with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

customers as (

    select * from {{ ref('dim_shop_customer') }}

),

products as (

    select * from {{ ref('dim_shop_product') }}

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.product_id,
        orders.order_date,
        orders.quantity,
        orders.amount,
        orders.status,
        orders.payment_method,
        orders.status = 'cancelled' as is_cancelled,
        {{ to_money("case when orders.status = 'cancelled' then 0 else orders.amount end") }}
            as revenue,
        {{ to_money('orders.amount / orders.quantity') }} as unit_price,
        customers.segment as customer_segment,
        customers.city as customer_city,
        customers.state as customer_state,
        customers.country as customer_country,
        products.product_name,
        products.category as product_category,
        orders._source_file,
        orders._line
    from orders
    -- customer_id and product_id are the dimensions' keys: no fan-out
    left join customers
        on orders.customer_id = customers.customer_id
    left join products
        on orders.product_id = products.product_id

)

select * from final
