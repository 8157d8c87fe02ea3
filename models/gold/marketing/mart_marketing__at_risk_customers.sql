-- Grain: one row per shop customer worth winning back: high value (monetary quintile 4-5)
-- but inactive (recency quintile 1-2, measured to the shop's last order date).
with rfm as (

    select * from {{ ref('mart_sales__rfm_segments') }}

),

metrics as (

    select * from {{ ref('mart_sales__customer_metrics') }}

),

final as (

    select
        rfm.tenant_id,
        rfm.customer_id,
        metrics.segment as customer_segment,
        metrics.country,
        rfm.orders as order_count,
        {{ to_money('rfm.lifetime_value') }} as lifetime_value,
        metrics.last_order_date,
        rfm.recency_days,
        rfm.monetary_score,
        rfm.recency_score
    from rfm
    -- one metrics row per customer
    inner join metrics
        on rfm.customer_id = metrics.customer_id
    where rfm.monetary_score >= 4 and rfm.recency_score <= 2

)

select * from final
