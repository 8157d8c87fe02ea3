-- Grain: one row per customer with orders: recency, frequency and monetary quintiles
-- (5 = best; ties broken by customer_id) and the segment they put the customer in.
with metrics as (

    select * from {{ ref('mart_sales__customer_metrics') }}

),

scored as (

    select
        *,
        ntile(5) over (order by recency_days desc, customer_id asc) as recency_score,
        ntile(5) over (order by orders asc, customer_id asc) as frequency_score,
        ntile(5) over (order by lifetime_value asc, customer_id asc) as monetary_score
    from metrics

),

final as (

    select
        tenant_id,
        customer_id,
        recency_days,
        orders,
        lifetime_value,
        recency_score,
        frequency_score,
        monetary_score,
        case
            when recency_score >= 4 and frequency_score >= 4 and monetary_score >= 4
                then 'Champions'
            when recency_score >= 3 and frequency_score >= 3 then 'Loyal'
            when recency_score >= 4 then 'Recent'
            when recency_score <= 2 and monetary_score >= 4 then 'At risk'
            when recency_score <= 2 and frequency_score <= 2 then 'Lost'
            else 'Needs attention'
        end as rfm_segment
    from scored

)

select * from final
