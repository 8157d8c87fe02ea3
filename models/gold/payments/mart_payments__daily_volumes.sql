-- Grain: one row per day, payment method and country. A late event counts on the day it
-- happened, not the day it was exported.
with events as (

    select * from {{ ref('fct_transaction_events') }}

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        event_date,
        payment_method,
        country,
        count(*) as transaction_count,
        {{ to_money('sum(amount_eur)') }} as total_amount_eur,
        sum(case when is_blacklisted_city then 1 else 0 end) as blacklisted_count,
        sum(case when is_late_delivery then 1 else 0 end) as late_delivery_count
    from events
    group by event_date, payment_method, country

)

select * from final
