-- Grain: one row per week (its first day) with orders: revenue, orders, units,
-- customers, and the growth of revenue and orders against the previous week.
-- depends_on: {{ ref('landed_shop__orders') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='week_start',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['orders']) }}",
        post_hook="{{ shop_finish_run(['orders']) }}",
    )
}}
{{ sales_per_period('week') }}
