-- A landed snapshot is consistent: every order has at least one line (TPC-H orders have
-- one to seven) and every line has its order. An order without lines, or lines without
-- their order, means orders and lines came from different snapshots of the source.
with extract_rows as (

    select * from {{ ref('stg_tpch__order_extract') }}

),

orders as (

    select order_id
    from extract_rows
    where record_type = 'order'

),

lines as (

    select distinct order_id
    from extract_rows
    where record_type = 'line'

),

orders_without_lines as (

    select
        orders.order_id,
        'order without lines' as problem
    from orders
    left join lines on orders.order_id = lines.order_id
    where lines.order_id is null

),

lines_without_order as (

    select
        lines.order_id,
        'lines without their order' as problem
    from lines
    left join orders on lines.order_id = orders.order_id
    where orders.order_id is null

)

select * from orders_without_lines
union all
select * from lines_without_order
