{{ config(alias='at_risk_customers') }}

with at_risk_customers as (

    select * from {{ ref('mart_marketing__at_risk_customers') }}

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(customer_id as bigint) as customer_id,
        cast(customer_segment as varchar) as customer_segment,
        cast(country as varchar) as country,
        cast(order_count as bigint) as order_count,
        {{ to_money('lifetime_value') }} as lifetime_value,
        cast(last_order_date as date) as last_order_date,
        cast(recency_days as integer) as recency_days,
        cast(monetary_score as integer) as monetary_score,
        cast(recency_score as integer) as recency_score
    from at_risk_customers

)

select * from final
