-- Grain: one row per user: transactions rebuilt from the streams (exactly once), in EUR.
-- No PII: user_id only.
with events as (

    select * from {{ ref('fct_transaction_events') }}

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        user_id,
        count(*) as transaction_count,
        {{ to_money('sum(amount_eur)') }} as total_amount_eur,
        count(distinct currency) as currency_count,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at
    from events
    group by user_id

)

select * from final
