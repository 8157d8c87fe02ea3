-- Grain: one row per shop customer with at least one order that was not cancelled: where
-- the customer is now (segment, country, state: dim_shop_customer) and the customer's
-- orders, lifetime value, first and last order date and days with an order. What the
-- customer marts, the regions and the KPI summary aggregate, kept per customer so that a
-- day's orders and customer records touch only the customers they name.
-- Incremental: the customers of the orders and customer lines landed since its last run,
-- from all their orders; everything when the history changed (macros/shop_incremental.sql).
-- depends_on: {{ ref('landed_shop__orders') }}
-- depends_on: {{ ref('landed_shop__customers') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['orders', 'customers']) }}",
        post_hook="{{ shop_finish_run(['orders', 'customers']) }}",
    )
}}
{%- set watermark = shop_watermark(['orders', 'customers']) %}

with orders as (

    select * from {{ ref('fct_shop_orders') }}
    {%- if watermark is not none %}
    where customer_id in (
        -- the customers of the new order lines and of the new customer lines (a customer
        -- who moved): also lines the rules refused, as shop_orders_of_new_keys does
        select new_orders.customer_id from {{ ref('landed_shop__orders') }} as new_orders
        where new_orders._loaded_at > {{ watermark }}
        union all
        select new_customers.customer_id
        from {{ ref('landed_shop__customers') }} as new_customers
        where new_customers._loaded_at > {{ watermark }}
    )
    {%- endif %}

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
    where not is_cancelled
    group by customer_id

),

final as (

    select
        per_customer.customer_id,
        customers.segment,
        customers.country,
        customers.state,
        per_customer.orders,
        per_customer.lifetime_value,
        per_customer.first_order_date,
        per_customer.last_order_date,
        per_customer.days_active,
        {{ shop_through(['orders', 'customers']) }} as _landed_through
    from per_customer
    -- customer_id is the dimension's key: one customer row per customer
    left join customers
        on per_customer.customer_id = customers.customer_id

)

select * from final
