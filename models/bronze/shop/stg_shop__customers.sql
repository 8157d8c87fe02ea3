-- depends_on: {{ source('shop', 'customers') }}
-- Grain: one row per line of the shop's customers extracts that fits the contract and passes
-- the rules (macros/shop.sql); every other line is in stg_shop__quarantine.
with checked as (

    {{ shop_checked_rows('customers') }}

),

final as (

    select
        {{ shop_columns('customers') | join(', ') }},
        _source_file,
        _line,
        {{ dbt.current_timestamp() }} as _loaded_at
    from checked
    where _rule_failure is null

)

select * from final
