-- Grain: one row per order. Line measures are aggregated to the order first, then
-- joined one-to-one, so nothing fans out.
-- Incremental from PostgreSQL like fct_order_lines (the orders whose lines it rebuilt),
-- rebuilt whole from files.
{%- set extract = ref('stg_tpch__order_extract') %}
{%- set dims = [(ref('dim_part_supplier'), '_loaded_at')] %}
{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='fail',
        post_hook=[
            "{{ tpch_forget_deleted_orders(ref('stg_tpch__order_extract')) }}",
            "{{ forget_stale_rows(ref('stg_tpch__order_extract'), '_extracted_at', '_landed_through') }}",
        ],
    )
}}
{%- set changed = tpch_changed_orders(extract, dims) %}

with orders as (

    select * from {{ ref('stg_tpch__orders') }}
    {%- if changed %}
    where order_id in ({{ changed }})
    {%- endif %}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}
    {%- if changed %}
    where order_id in ({{ changed }})
    {%- endif %}

),

line_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(extended_price) as gross_sales,
        sum(discount_amount) as discount_amount,
        sum(net_revenue) as net_revenue,
        sum(tax_amount) as tax_amount,
        sum(supply_cost_amount) as supply_cost_amount,
        sum(gross_margin) as gross_margin,
        sum(case when is_late_delivery then 1 else 0 end) as late_line_count
    from order_lines
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.order_date,
        orders.order_status,
        orders.order_priority,
        orders.clerk_name,
        orders.ship_priority,
        orders.total_price,
        orders.order_status != 'F' as is_open,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.gross_sales, 0) as gross_sales,
        coalesce(line_totals.discount_amount, 0) as discount_amount,
        coalesce(line_totals.net_revenue, 0) as net_revenue,
        coalesce(line_totals.tax_amount, 0) as tax_amount,
        coalesce(line_totals.supply_cost_amount, 0) as supply_cost_amount,
        coalesce(line_totals.gross_margin, 0) as gross_margin,
        coalesce(line_totals.late_line_count, 0) as late_line_count,
        {{ landed_through([(extract, '_extracted_at')] + dims) }} as _landed_through
    from orders
    -- one order to at most one line total (line_totals is grouped by order_id)
    left join line_totals
        on orders.order_id = line_totals.order_id

)

select * from final
