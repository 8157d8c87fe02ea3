-- Grain: one row per order month and customer nation.
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

orders_with_nation as (

    select
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month,
        customers.nation_id,
        customers.nation_name,
        customers.region_id,
        customers.region_name,
        orders.order_id,
        orders.is_open,
        orders.total_price,
        orders.line_count,
        orders.gross_sales,
        orders.discount_amount,
        orders.net_revenue,
        orders.tax_amount,
        orders.supply_cost_amount,
        orders.gross_margin
    from orders
    -- many orders to one customer (customer_id is unique in dim_customer)
    inner join customers
        on orders.customer_id = customers.customer_id

),

aggregated as (

    select
        order_month,
        nation_id,
        nation_name,
        region_id,
        region_name,
        count(*) as order_count,
        sum(line_count) as line_count,
        sum(gross_sales) as gross_sales,
        sum(discount_amount) as discount_amount,
        sum(net_revenue) as net_revenue,
        sum(tax_amount) as tax_amount,
        sum(supply_cost_amount) as supply_cost_amount,
        sum(gross_margin) as gross_margin,
        sum(case when is_open then 1 else 0 end) as open_order_count,
        sum(case when is_open then total_price else 0 end) as receivables
    from orders_with_nation
    group by order_month, nation_id, nation_name, region_id, region_name

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        order_month,
        nation_id,
        nation_name,
        region_id,
        region_name,
        order_count,
        line_count,
        gross_sales,
        discount_amount,
        net_revenue,
        tax_amount,
        supply_cost_amount,
        gross_margin,
        {{ safe_ratio('gross_margin', 'net_revenue') }} as gross_margin_rate,
        net_revenue / nullif(order_count, 0) as average_order_value,
        open_order_count,
        receivables,
        {{ landed_through([(facts, '_landed_through'), (extract, '_extracted_at')] + dims) }}
            as _landed_through
    from aggregated

)

select * from final
