-- TPC-H Q1, pricing summary report: shipped lines up to `delta` days before 1998-12-01.
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

shipped as (

    select * from order_lines
    where
        ship_date
        <= {{ dbt.dateadd('day', -var('tpch_q1_delta_days'), "cast('1998-12-01' as date)") }}

),

final as (

    select
        return_flag,
        line_status,
        sum(quantity) as sum_quantity,
        sum(extended_price) as sum_base_price,
        sum(net_revenue) as sum_discounted_price,
        sum(charge_amount) as sum_charge,
        avg(quantity) as average_quantity,
        avg(extended_price) as average_price,
        avg(discount_rate) as average_discount,
        count(*) as order_line_count
    from shipped
    group by return_flag, line_status

)

select * from final
order by return_flag, line_status
