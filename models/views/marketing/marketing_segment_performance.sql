{{ config(alias='segment_performance') }}

with segment_monthly as (

    select * from {{ ref('mart_marketing__segment_monthly') }}

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(order_month as date) as order_month,
        cast(market_segment as varchar) as market_segment,
        cast(active_customer_count as bigint) as active_customer_count,
        cast(order_count as bigint) as order_count,
        {{ to_money('net_revenue') }} as net_revenue,
        {{ to_money('gross_margin') }} as gross_margin,
        {{ to_money('average_order_value') }} as average_order_value,
        {{ to_money('revenue_per_customer') }} as revenue_per_customer
    from segment_monthly

)

select * from final
