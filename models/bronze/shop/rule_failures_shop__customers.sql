-- Grain: one row per line of the shop's customers extracts that fits the contract but breaks a
-- rule of macros/shop.sql: the first rule it breaks, the column and the reason. The rules
-- are evaluated here, once per build; only the lines that break one are written
-- (stg_shop__customers is the landed lines that are not here, quarantine_shop__lines shows these).
with checked as (

    {{ shop_checked_rows('customers') }}

),

final as (

    select
        _source_file,
        _line,
        split_part(_rule_failure, ':', 1) as rule_name,
        _rule_column as column_name,
        _rule_failure as reason,
        {{ shop_raw_line('customers') }} as raw_line
    from checked
    where _rule_failure is not null

)

select * from final
