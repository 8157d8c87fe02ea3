-- TPC-H Q5, local supplier volume: revenue per nation of a region in one year, from
-- lines where customer and supplier are in the same nation.
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

suppliers as (

    select * from {{ ref('dim_supplier') }}

),

local_lines as (

    select
        customers.nation_name,
        order_lines.net_revenue
    from order_lines
    -- many lines to one customer (customer_id is unique in dim_customer)
    inner join customers
        on order_lines.customer_id = customers.customer_id
    -- many lines to one supplier (supplier_id is unique in dim_supplier)
    inner join suppliers
        on order_lines.supplier_id = suppliers.supplier_id
    where
        customers.nation_id = suppliers.nation_id
        and customers.region_name = '{{ var("tpch_q5_region") }}'
        and order_lines.order_date >= cast('{{ var("tpch_q5_date") }}' as date)
        and order_lines.order_date
        < {{ dbt.dateadd('year', 1, "cast('" ~ var('tpch_q5_date') ~ "' as date)") }}

),

final as (

    select
        nation_name,
        sum(net_revenue) as revenue
    from local_lines
    group by nation_name

)

select * from final
order by revenue desc
