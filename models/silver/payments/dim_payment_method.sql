-- Grain: one row per payment method seen in the payment streams.
-- Incremental: a run adds the events first landed since the last one.
{%- set events = ref('fct_transaction_events') %}
{{
    config(
        materialized='incremental',
        unique_key='payment_method',
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
        payment_method,
        count(*) as transaction_count,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at,
        max(_first_landed_at) as _landed_through
    from new_events
    group by payment_method

),

merged as (

    {{ with_current_rows('batch', ['payment_method'], events) }}

),

final as (

    select
        payment_method,
        sum(transaction_count) as transaction_count,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        max(_landed_through) as _landed_through
    from merged
    group by payment_method

)

select * from final
