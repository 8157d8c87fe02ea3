{{ config(alias='at_risk_customers') }}

-- Shop customers worth winning back: high value (monetary quintile 4-5) but inactive
-- (recency quintile 1-2).
with rfm as (

    select * from {{ ref('mart_sales__rfm_segments') }}

),

metrics as (

    select * from {{ ref('mart_sales__customer_metrics') }}

),

final as (

    select
        cast(rfm.tenant_id as varchar) as tenant_id,
        cast(rfm.customer_id as bigint) as customer_id,
        cast(metrics.segment as varchar) as customer_segment,
        cast(metrics.country as varchar) as country,
        cast(rfm.orders as bigint) as order_count,
        {{ to_money('rfm.lifetime_value') }} as lifetime_value,
        cast(metrics.last_order_date as date) as last_order_date,
        cast(rfm.recency_days as integer) as recency_days,
        cast(rfm.monetary_score as integer) as monetary_score,
        cast(rfm.recency_score as integer) as recency_score
    from rfm
    -- one metrics row per customer
    inner join metrics
        on rfm.customer_id = metrics.customer_id
    where rfm.monetary_score >= 4 and rfm.recency_score <= 2

)

select * from final
