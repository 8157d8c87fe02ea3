-- Grain: one row per payment method: transactions and amount in EUR, exactly once.
-- Incremental: a run adds the events silver first landed since the last one.
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
        {{ tenant_id_literal() }} as tenant_id,
        payment_method,
        count(*) as transaction_count,
        sum(amount_eur) as total_amount_eur,
        sum(case when is_blacklisted_city then 1 else 0 end) as blacklisted_count,
        max(_first_landed_at) as _landed_through
    from new_events
    group by payment_method

),

merged as (

    {{ with_current_rows('batch', ['payment_method'], events) }}

),

final as (

    select
        tenant_id,
        payment_method,
        sum(transaction_count) as transaction_count,
        {{ to_money('sum(total_amount_eur)') }} as total_amount_eur,
        sum(blacklisted_count) as blacklisted_count,
        max(_landed_through) as _landed_through
    from merged
    group by tenant_id, payment_method

)

select * from final
