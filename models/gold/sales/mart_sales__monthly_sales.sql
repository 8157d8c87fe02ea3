-- Grain: one row per month (its first day) with orders: revenue, orders, units,
-- customers, the average order value, and the growth of revenue and orders against the
-- previous month.
-- depends_on: {{ ref('landed_shop__orders') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='month_start',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['orders']) }}",
        post_hook="{{ shop_finish_run(['orders']) }}",
    )
}}
{{ sales_per_period('month', average_order_value=true) }}
