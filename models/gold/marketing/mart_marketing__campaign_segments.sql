-- Grain: one row per (rfm_segment, customer_segment) of the shop's customers with orders:
-- how many customers, their value and recency, and the campaign the RFM segment calls for.
with rfm as (

    select * from {{ ref('mart_sales__rfm_segments') }}

),

metrics as (

    select * from {{ ref('mart_sales__customer_metrics') }}

),

final as (

    select
        rfm.tenant_id,
        rfm.rfm_segment,
        metrics.segment as customer_segment,
        case rfm.rfm_segment
            when 'Champions' then 'reward and referral'
            when 'Loyal' then 'loyalty programme'
            when 'Recent' then 'onboarding'
            when 'At risk' then 'win-back offer'
            when 'Lost' then 'reactivation'
            else 'nurture'
        end as campaign,
        count(*) as customer_count,
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
