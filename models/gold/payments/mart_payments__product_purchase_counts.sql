-- Grain: one row per product: how many times it was bought, exactly once per event.
-- Incremental: a run adds the events silver first landed since the last one.
{%- set events = ref('fct_transaction_events') %}
{{
    config(
        materialized='incremental',
        unique_key='product_id',
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
        product_id,
        count(*) as purchase_count,
        sum(amount_eur) as total_amount_eur,
        max(_first_landed_at) as _landed_through
    from new_events
    group by product_id

),

merged as (

    {{ with_current_rows('batch', ['product_id'], events) }}

),

final as (

    select
        tenant_id,
        product_id,
        sum(purchase_count) as purchase_count,
        {{ to_money('sum(total_amount_eur)') }} as total_amount_eur,
        max(_landed_through) as _landed_through
    from merged
    group by tenant_id, product_id

)

select * from final
