-- Grain: one row per product with orders that were not cancelled.
with orders as (

    select * from {{ ref('fct_shop_orders') }}
    where not is_cancelled

),

per_product as (

    select
        product_id,
        -- one name and category per product (silver): min() picks it on every engine
        min(product_name) as product_name,
        min(product_category) as product_category,
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
        product_id,
        product_name,
        product_category,
        orders,
        units,
        {{ to_money('revenue') }} as revenue,
        min_unit_price,
        max_unit_price,
        unique_customers,
        {{ safe_ratio('revenue', 'sum(revenue) over ()') }} as revenue_share
    from per_product

)

select * from final
