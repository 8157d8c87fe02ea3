-- Grain: one row per payment method seen in the payment streams.
with events as (

    select * from {{ ref('fct_transaction_events') }}

),

final as (

    select
        payment_method,
        count(*) as transaction_count,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at
    from events
    group by payment_method

)

select * from final
