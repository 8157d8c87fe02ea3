-- Grain: one row per line of the shop's extracts that did not land: the file, the line,
-- the rule it broke, the offending column and the reason. A line either lands in
-- stg_shop__<entity> or is here (assert_shop_rows_conserved).

-- lines that do not fit the declared schema
with rejected as (

    select
        'customers' as entity,
        _source_file,
        _line,
        _reject_rule as rule_name,
        _reject_column as column_name,
        _reject_reason as reason,
        _raw_line as raw_line
    from {{ ref('landed_shop__customers') }}
    where _status = 'rejected'

    union all

    select
        'products' as entity,
        _source_file,
        _line,
        _reject_rule as rule_name,
        _reject_column as column_name,
        _reject_reason as reason,
        _raw_line as raw_line
    from {{ ref('landed_shop__products') }}
    where _status = 'rejected'

    union all

    select
        'orders' as entity,
        _source_file,
        _line,
        _reject_rule as rule_name,
        _reject_column as column_name,
        _reject_reason as reason,
        _raw_line as raw_line
    from {{ ref('landed_shop__orders') }}
    where _status = 'rejected'

),

-- well-typed lines that break a rule of macros/shop.sql
broken as (

    select
        'customers' as entity,
        _source_file,
        _line,
        rule_name,
        column_name,
        reason,
        raw_line
    from {{ ref('rule_failures_shop__customers') }}

    union all

    select
        'products' as entity,
        _source_file,
        _line,
        rule_name,
        column_name,
        reason,
        raw_line
    from {{ ref('rule_failures_shop__products') }}

    union all

    select
        'orders' as entity,
        _source_file,
        _line,
        rule_name,
        column_name,
        reason,
        raw_line
    from {{ ref('rule_failures_shop__orders') }}

),

final as (

    select * from rejected
    union all
    select * from broken

)

select * from final
