-- TPC-H Q10, returned item reporting: the 20 customers who lost most revenue to returns
-- in one quarter.
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

customer_comments as (

    -- the comment is not part of the silver customer; Q10 reports it
    select
        customer_id,
        customer_comment
    from {{ ref('stg_tpch__customer') }}

),

returned_lines as (

    select
        customer_id,
        net_revenue
    from order_lines
    where
        is_returned
        and order_date >= cast('{{ var("tpch_q10_date") }}' as date)
        and order_date
        < {{ dbt.dateadd('month', 3, "cast('" ~ var('tpch_q10_date') ~ "' as date)") }}

),

revenue_per_customer as (

    select
        customer_id,
        sum(net_revenue) as revenue
    from returned_lines
    group by customer_id

),

final as (

    select
        customers.customer_id,
        customers.customer_name,
        revenue_per_customer.revenue,
        customers.account_balance,
        customers.nation_name,
        customers.customer_address,
        customers.phone_number,
        customer_comments.customer_comment
    from revenue_per_customer
    -- one customer per row on each side (customer_id is unique in both)
    inner join customers
        on revenue_per_customer.customer_id = customers.customer_id
    inner join customer_comments
        on revenue_per_customer.customer_id = customer_comments.customer_id

)

select * from final
order by revenue desc, customer_id asc
limit 20
