-- Grain: one row per product with orders that were not cancelled, with its current name
-- and category (dim_shop_product).
with orders as (

    select * from {{ ref('fct_shop_orders') }}
    where not is_cancelled

),

products as (

    select * from {{ ref('dim_shop_product') }}

),

per_product as (

    select
        product_id,
        count(*) as orders,
        sum(quantity) as units,
        sum(revenue) as revenue,
        min(unit_price) as min_unit_price,
        max(unit_price) as max_unit_price,
        count(distinct customer_id) as unique_customers
    from orders
    group by product_id

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        per_product.product_id,
        products.product_name,
        products.category as product_category,
        per_product.orders,
        per_product.units,
        {{ to_money('per_product.revenue') }} as revenue,
        per_product.min_unit_price,
        per_product.max_unit_price,
        per_product.unique_customers,
        {{ safe_ratio('per_product.revenue', 'sum(per_product.revenue) over ()') }}
            as revenue_share
    from per_product
    -- product_id is the dimension's key: no fan-out
    left join products
        on per_product.product_id = products.product_id

)

select * from final
