-- Grain: one row per shop order (order_id), enriched with its customer and product.
-- Cancelled orders are kept and flagged; their revenue is zero.
-- Incremental: the orders of the lines loaded since its last run, and the orders of the
-- customers and products that run changed (their enrichment); everything when the history
-- changed (macros/shop_incremental.sql).
-- depends_on: {{ ref('landed_shop__orders') }}
-- depends_on: {{ ref('landed_shop__customers') }}
-- depends_on: {{ ref('landed_shop__products') }}
{%- set entities = ['orders', 'customers', 'products'] %}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['orders', 'customers', 'products']) }}",
        post_hook="{{ shop_finish_run(['orders', 'customers', 'products']) }}",
    )
}}
{%- set watermark = shop_watermark(entities) %}

with orders as (

    select * from {{ ref('stg_shop__orders') }}
    {%- if watermark is not none %}
    where
        order_id in (
            -- every new line, also one that breaks a rule: a run that took it in before
            -- the rules had checked it (a partial selection) is mended
            select new_lines.order_id from {{ ref('landed_shop__orders') }} as new_lines
            where new_lines._loaded_at > {{ watermark }}
        )
        or customer_id in (
            select changed.customer_id from {{ ref('dim_shop_customer') }} as changed
            where changed._landed_through > {{ watermark }}
        )
        or product_id in (
            select changed.product_id from {{ ref('dim_shop_product') }} as changed
            where changed._landed_through > {{ watermark }}
        )
    {%- endif %}

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
        orders._line,
        orders._loaded_at,
        {{ shop_through(entities) }} as _landed_through
    from orders
    -- customer_id and product_id are the dimensions' keys: no fan-out
    left join customers
        on orders.customer_id = customers.customer_id
    left join products
        on orders.product_id = products.product_id

)

select * from final
