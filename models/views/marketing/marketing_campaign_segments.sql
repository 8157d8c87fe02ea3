{{ config(alias='campaign_segments') }}

-- Shop customers grouped for campaigns: per RFM segment and customer segment, how many
-- customers, their value, and the campaign the RFM segment calls for.
with rfm as (

    select * from {{ ref('mart_sales__rfm_segments') }}

),

metrics as (

    select * from {{ ref('mart_sales__customer_metrics') }}

),

final as (

    select
        cast(rfm.tenant_id as varchar) as tenant_id,
        cast(rfm.rfm_segment as varchar) as rfm_segment,
        cast(metrics.segment as varchar) as customer_segment,
        cast(
            case rfm.rfm_segment
                when 'Champions' then 'reward and referral'
                when 'Loyal' then 'loyalty programme'
                when 'Recent' then 'onboarding'
                when 'At risk' then 'win-back offer'
                when 'Lost' then 'reactivation'
                else 'nurture'
            end as varchar
        ) as campaign,
        cast(count(*) as bigint) as customer_count,
        {{ to_money('sum(rfm.lifetime_value)') }} as total_lifetime_value,
        {{ to_money('avg(rfm.lifetime_value)') }} as average_lifetime_value,
        cast(round(avg(rfm.recency_days), 1) as decimal(10, 1)) as average_recency_days
    from rfm
    -- one metrics row per customer
    inner join metrics
        on rfm.customer_id = metrics.customer_id
    group by rfm.tenant_id, rfm.rfm_segment, metrics.segment

)

select * from final
