-- TPC-H Q12, shipping modes and order priority: late lines of two ship modes received in
-- one year, split by high and low order priority.
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

late_lines as (

    select
        ship_mode,
        order_priority
    from order_lines
    where
        ship_mode in ('{{ var("tpch_q12_ship_mode_1") }}', '{{ var("tpch_q12_ship_mode_2") }}')
        and commit_date < receipt_date
        and ship_date < commit_date
        and receipt_date >= cast('{{ var("tpch_q12_date") }}' as date)
        and receipt_date
        < {{ dbt.dateadd('year', 1, "cast('" ~ var('tpch_q12_date') ~ "' as date)") }}

),

final as (

    select
        ship_mode,
        cast(sum(
            case when order_priority in ('1-URGENT', '2-HIGH') then 1 else 0 end
        ) as bigint) as high_line_count,
        cast(sum(
            case when order_priority not in ('1-URGENT', '2-HIGH') then 1 else 0 end
        ) as bigint) as low_line_count
    from late_lines
    group by ship_mode

)

select * from final
order by ship_mode
