{{ config(alias='campaign_segments') }}

with campaign_segments as (

    select * from {{ ref('mart_marketing__campaign_segments') }}

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(rfm_segment as varchar) as rfm_segment,
        cast(customer_segment as varchar) as customer_segment,
        cast(campaign as varchar) as campaign,
        cast(customer_count as bigint) as customer_count,
        {{ to_money('total_lifetime_value') }} as total_lifetime_value,
        {{ to_money('average_lifetime_value') }} as average_lifetime_value,
        cast(average_recency_days as decimal(10, 1)) as average_recency_days
    from campaign_segments

)

select * from final
