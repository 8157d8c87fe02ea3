-- Grain: one row per day, payment method and country. A late event counts on the day it
-- happened, not the day it was exported.
-- Incremental: a run recomputes the days that silver changed since the last one (a new
-- day, and the old days late events or duplicates belong to).
{%- set events = ref('fct_transaction_events') %}
{{
    config(
        materialized='incremental',
        unique_key=['event_date', 'payment_method', 'country'],
        incremental_strategy='delete+insert',
        post_hook="{{ forget_stale_rows(ref('fct_transaction_events'), '_last_landed_at', '_landed_through') }}",
    )
}}

with events as (

    select * from {{ events }}
    {%- if is_incremental() %}
        where event_date in (
            select changed.event_date from {{ events }} as changed
            where changed._last_landed_at > {{ landed_watermark('_landed_through') }}
        )
    {%- endif %}

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
        sum(case when is_late_delivery then 1 else 0 end) as late_delivery_count,
        max(_last_landed_at) as _landed_through
    from events
    group by event_date, payment_method, country

)

select * from final
