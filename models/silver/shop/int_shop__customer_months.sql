-- Grain: one row per shop customer and calendar month with an order that was not
-- cancelled, with the customer's cohort (the month of their first such order) and the
-- months since it: what the cohort retention mart counts, kept per customer so that a
-- day's orders touch only the customers who ordered.
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

active_months as (

    select
        customer_id,
        cast(date_trunc('month', order_date) as date) as activity_month
    from orders
    where not is_cancelled
    group by customer_id, cast(date_trunc('month', order_date) as date)

),

cohorts as (

    select
        customer_id,
        min(activity_month) as cohort_month
    from active_months
    group by customer_id

),

final as (

    select
        active_months.customer_id,
        cohorts.cohort_month,
        active_months.activity_month,
        date_diff('month', cohorts.cohort_month, active_months.activity_month)
            as months_since_first_order,
        {{ shop_through(['orders']) }} as _landed_through
    from active_months
    -- one cohort per customer
    inner join cohorts
        on active_months.customer_id = cohorts.customer_id

)

select * from final
