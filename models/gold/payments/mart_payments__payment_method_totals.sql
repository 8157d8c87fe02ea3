-- Grain: one row per payment method: transactions and amount in EUR, exactly once.
with events as (

    select * from {{ ref('fct_transaction_events') }}

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        payment_method,
        count(*) as transaction_count,
        {{ to_money('sum(amount_eur)') }} as total_amount_eur,
        sum(case when is_blacklisted_city then 1 else 0 end) as blacklisted_count
    from events
    group by payment_method

)

select * from final
