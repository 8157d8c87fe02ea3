-- Grain: one row per shop order (order_id): its keys, measures and lineage. Cancelled
-- orders are kept and flagged; their revenue is zero. A star schema's fact: the customer's
-- and product's attributes are the dimensions' (dim_shop_customer, dim_shop_product), joined
-- by the marts that report by them, so they are always the current ones and a customer who
-- moves rewrites no order (writing six text columns for every order was two thirds of the
-- fact's cost).
-- Incremental: the orders of the lines loaded since its last run; everything when the
-- history changed (macros/shop_incremental.sql).
-- depends_on: {{ ref('landed_shop__orders') }}
{%- set entities = ['orders'] %}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['orders']) }}",
        post_hook="{{ shop_finish_run(['orders']) }}",
    )
}}
{%- set watermark = shop_watermark(entities) %}

with orders as (

    select * from {{ ref('stg_shop__orders') }}
    {%- if watermark is not none %}
    where order_id in (
        -- every new line, also one that breaks a rule: a run that took it in before the
        -- rules had checked it (a partial selection) is mended
        select new_lines.order_id from {{ ref('landed_shop__orders') }} as new_lines
        where new_lines._loaded_at > {{ watermark }}
    )
    {%- endif %}

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
        orders._source_file,
        orders._line,
        orders._loaded_at,
        {{ shop_through(entities) }} as _landed_through
    from orders

)

select * from final
