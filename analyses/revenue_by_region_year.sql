-- Ad-hoc: yearly revenue and margin rate per region from the finance view, the question
-- finance asks most often. `dbt compile --target <tenant>` renders it for a SQL client.
with monthly_revenue as (

    select * from {{ ref('finance_revenue_monthly') }}

),

final as (

    select
        region_name,
        {{ dbt.date_trunc('year', 'order_month') }} as order_year,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(gross_margin) / nullif(sum(net_revenue), 0) as gross_margin_rate
    from monthly_revenue
    group by 1, 2

)

select * from final
order by 1, 2
