{{ config(alias='top_brands') }}

with top_brands as (

    select * from {{ ref('mart_marketing__top_brands') }}

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(order_month as date) as order_month,
        cast(market_segment as varchar) as market_segment,
        cast(brand_rank as integer) as brand_rank,
        cast(brand as varchar) as brand,
        cast(order_count as bigint) as order_count,
        cast(quantity as decimal(18, 2)) as quantity,
        {{ to_money('net_revenue') }} as net_revenue,
        cast(share_of_segment_revenue as decimal(12, 4)) as share_of_segment_revenue
    from top_brands

)

select * from final
