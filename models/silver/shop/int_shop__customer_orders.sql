-- Grain: one row per shop customer with at least one order that was not cancelled: the
-- customer's orders, lifetime value, first and last order date and days with an order.
-- What the customer marts and the KPI summary aggregate, kept per customer so that a day's
-- orders touch only the customers who ordered.
-- Incremental: the customers of the orders landed since its last run, from all their
-- orders; everything when the history changed (macros/shop_incremental.sql).
-- depends_on: {{ ref('landed_shop__orders') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['orders']) }}",
        post_hook="{{ shop_finish_run(['orders']) }}",
    )
}}
{%- set watermark = shop_watermark(['orders']) %}

with orders as (

    {{ shop_orders_of_new_keys('orders.customer_id', watermark) }}

),

final as (

    select
        customer_id,
        count(*) as orders,
        sum(revenue) as lifetime_value,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct order_date) as days_active,
        {{ shop_through(['orders']) }} as _landed_through
    from orders
    where not is_cancelled
    group by customer_id

)

select * from final
