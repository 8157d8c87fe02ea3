-- Grain: one row per user and currency: transactions exactly once, in the currency paid
-- and in EUR. ksqlDB's user_transaction_summary table has the same grain.
-- Incremental: a run adds the events silver first landed since the last one.
{%- set events = ref('fct_transaction_events') %}
{{
    config(
        materialized='incremental',
        unique_key=['user_id', 'currency'],
        incremental_strategy='delete+insert',
        post_hook="{{ forget_stale_rows(ref('fct_transaction_events'), '_first_landed_at', '_landed_through') }}",
    )
}}

with new_events as (

    select * from {{ events }}
    {{ landed_since_last_run('_first_landed_at') }}

),

batch as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        user_id,
        currency,
        count(*) as transaction_count,
        sum(amount) as total_amount,
        sum(amount_eur) as total_amount_eur,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at,
        max(_first_landed_at) as _landed_through
    from new_events
    group by user_id, currency

),

merged as (

    {{ with_current_rows('batch', ['user_id', 'currency'], events) }}

),

final as (

    select
        tenant_id,
        user_id,
        currency,
        sum(transaction_count) as transaction_count,
        {{ to_money('sum(total_amount)') }} as total_amount,
        {{ to_money('sum(total_amount_eur)') }} as total_amount_eur,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        max(_landed_through) as _landed_through
    from merged
    group by tenant_id, user_id, currency

)

select * from final
