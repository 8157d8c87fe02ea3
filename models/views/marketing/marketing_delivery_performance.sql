{{ config(alias='delivery_performance') }}

with delivery_performance as (

    select * from {{ ref('mart_marketing__delivery_performance') }}

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(receipt_month as date) as receipt_month,
        cast(ship_mode as varchar) as ship_mode,
        cast(delivered_line_count as bigint) as delivered_line_count,
        cast(late_line_count as bigint) as late_line_count,
        cast(late_delivery_rate as decimal(12, 4)) as late_delivery_rate,
        cast(average_days_late as decimal(12, 2)) as average_days_late
    from delivery_performance

)

select * from final
