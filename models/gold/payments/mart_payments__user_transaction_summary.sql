-- Grain: one row per user: transactions rebuilt from the streams (exactly once), in EUR.
-- No PII: user_id only. Summed from the per-currency totals, so a build reads a row per
-- user and currency, not the events.
with user_currencies as (

    select * from {{ ref('mart_payments__user_currency_totals') }}

),

final as (

    select
        tenant_id,
        user_id,
        sum(transaction_count) as transaction_count,
        {{ to_money('sum(total_amount_eur)') }} as total_amount_eur,
        count(*) as currency_count,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at
    from user_currencies
    group by tenant_id, user_id

)

select * from final
