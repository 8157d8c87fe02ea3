-- Grain: one row per order month and market segment.
-- Incremental from PostgreSQL (delete+insert by month: the months of the orders added
-- or deleted since the last run; every month when a dimension was landed again), rebuilt
-- whole from files; see macros/tpch_incremental.sql.
{%- set facts = ref('fct_orders') %}
{%- set extract = ref('stg_tpch__order_extract') %}
{%- set dims = [(ref('dim_customer'), '_loaded_at')] %}
{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='delete+insert',
        unique_key='order_month',
        post_hook="{{ tpch_forget_empty_months('order_month', 'order_date', ref('fct_orders')) }}",
    )
}}
{%- set changed = tpch_changed_months('order_date', facts, extract, 'line_number is null', dims) %}

with orders as (

    select * from {{ facts }}
    {%- if changed %}
    where {{ tpch_month('order_date') }} in ({{ changed }})
    {%- endif %}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

orders_with_segment as (

    select
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,
        customers.market_segment,
        orders.order_id,
        orders.customer_id,
        orders.net_revenue,
        orders.gross_margin
    from orders
    -- many orders to one customer (customer_id is unique in dim_customer)
    inner join customers
        on orders.customer_id = customers.customer_id

),

aggregated as (

    select
        order_month,
        market_segment,
        count(distinct customer_id) as active_customer_count,
        count(*) as order_count,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin
    from orders_with_segment
    group by order_month, market_segment

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        order_month,
        market_segment,
        active_customer_count,
        order_count,
        net_revenue,
        gross_margin,
        net_revenue / nullif(order_count, 0) as average_order_value,
        net_revenue / nullif(active_customer_count, 0) as revenue_per_customer,
        {{ landed_through([(facts, '_landed_through'), (extract, '_extracted_at')] + dims) }}
            as _landed_through
    from aggregated

)

select * from final
