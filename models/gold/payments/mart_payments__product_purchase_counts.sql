-- Grain: one row per product: how many times it was bought, exactly once per event.
with events as (

    select * from {{ ref('fct_transaction_events') }}

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        product_id,
        count(*) as purchase_count,
        {{ to_money('sum(amount_eur)') }} as total_amount_eur
    from events
    group by product_id

)

select * from final
