-- Grain: one row per order. Line measures are aggregated to the order first, then
-- joined one-to-one, so nothing fans out.
with orders as (

    select * from {{ ref('stg_tpch__orders') }}

),

order_lines as (

    select * from {{ ref('fct_order_lines') }}

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
        coalesce(line_totals.late_line_count, 0) as late_line_count
    from orders
    -- one order to at most one line total (line_totals is grouped by order_id)
    left join line_totals
        on orders.order_id = line_totals.order_id

)

select * from final
