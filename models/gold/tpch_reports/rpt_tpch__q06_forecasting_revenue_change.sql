-- TPC-H Q6, forecasting revenue change: revenue gained by removing a band of discounts.
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

{% set discount = var('tpch_q6_discount') %}
qualifying as (

    select discount_amount from order_lines
    where
        ship_date >= cast('{{ var("tpch_q6_date") }}' as date)
        and ship_date
        < {{ dbt.dateadd('year', 1, "cast('" ~ var('tpch_q6_date') ~ "' as date)") }}
        -- rounded: Jinja float arithmetic renders 0.06 + 0.01 as 0.06999999999999999
        and discount_rate
        between {{ (discount - 0.01) | round(2) }} and {{ (discount + 0.01) | round(2) }}
        and quantity < {{ var('tpch_q6_quantity') }}

),

final as (

    select sum(discount_amount) as revenue
    from qualifying

)

select * from final
