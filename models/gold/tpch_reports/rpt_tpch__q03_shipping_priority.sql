-- TPC-H Q3, shipping priority: the 10 unshipped orders of a segment with most revenue.
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

unshipped_lines as (

    select
        order_lines.order_id,
        orders.order_date,
        orders.ship_priority,
        order_lines.net_revenue
    from order_lines
    -- many lines to one order (order_id is unique in fct_orders)
    inner join orders
        on order_lines.order_id = orders.order_id
    -- many orders to one customer (customer_id is unique in dim_customer)
    inner join customers
        on orders.customer_id = customers.customer_id
    where
        customers.market_segment = '{{ var("tpch_q3_segment") }}'
        and orders.order_date < cast('{{ var("tpch_q3_date") }}' as date)
        and order_lines.ship_date > cast('{{ var("tpch_q3_date") }}' as date)

),

final as (

    select
        order_id,
        sum(net_revenue) as revenue,
        order_date,
        ship_priority
    from unshipped_lines
    group by order_id, order_date, ship_priority

)

select * from final
order by revenue desc, order_date asc
limit 10
