{{ config(alias='customer_value') }}

with customer_value as (

    select * from {{ ref('mart_marketing__customer_value') }}

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(customer_id as bigint) as customer_id,
        cast(customer_name as varchar) as customer_name,
        cast(market_segment as varchar) as market_segment,
        cast(nation_name as varchar) as nation_name,
        cast(region_name as varchar) as region_name,
        cast(has_ordered as boolean) as has_ordered,
        cast(first_order_date as date) as first_order_date,
        cast(last_order_date as date) as last_order_date,
        cast(recency_days as integer) as recency_days,
        cast(order_count as bigint) as order_count,
        {{ to_money('net_revenue') }} as net_revenue,
        cast(recency_score as integer) as recency_score,
        cast(frequency_score as integer) as frequency_score,
        cast(monetary_score as integer) as monetary_score,
        cast(frequency_monetary_score as integer) as frequency_monetary_score,
        cast(rfm_segment as varchar) as rfm_segment
    from customer_value

)

select * from final
