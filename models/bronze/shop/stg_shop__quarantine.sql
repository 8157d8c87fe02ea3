-- Grain: one row per line of the shop's extracts that did not land: the file, the line,
-- the rule it broke, the offending column and the reason. A line either lands in
-- stg_shop__<entity> or is here (assert_shop_rows_conserved).

-- lines that do not fit the declared schema
with rejected as (

    select
        'customers' as entity,
        _source_file,
        _line,
        'contract' as rule_name,
        _reject_column as column_name,
        _reject_reason as reason,
        _raw_line as raw_line
    from {{ ref('stg_shop__customers_landed') }}
    where _status = 'rejected'

    union all

    select
        'products' as entity,
        _source_file,
        _line,
        'contract' as rule_name,
        _reject_column as column_name,
        _reject_reason as reason,
        _raw_line as raw_line
    from {{ ref('stg_shop__products_landed') }}
    where _status = 'rejected'

    union all

    select
        'orders' as entity,
        _source_file,
        _line,
        'contract' as rule_name,
        _reject_column as column_name,
        _reject_reason as reason,
        _raw_line as raw_line
    from {{ ref('stg_shop__orders_landed') }}
    where _status = 'rejected'

),

-- well-typed lines that break a rule of macros/shop.sql
broken as (

    select
        'customers' as entity,
        _source_file,
        _line,
        split_part(_rule_failure, ':', 1) as rule_name,
        _rule_column as column_name,
        _rule_failure as reason,
        {{ shop_raw_line('customers') }} as raw_line
    from ({{ shop_checked_rows('customers') }}) as checked_rows
    where _rule_failure is not null

    union all

    select
        'products' as entity,
        _source_file,
        _line,
        split_part(_rule_failure, ':', 1) as rule_name,
        _rule_column as column_name,
        _rule_failure as reason,
        {{ shop_raw_line('products') }} as raw_line
    from ({{ shop_checked_rows('products') }}) as checked_rows
    where _rule_failure is not null

    union all

    select
        'orders' as entity,
        _source_file,
        _line,
        split_part(_rule_failure, ':', 1) as rule_name,
        _rule_column as column_name,
        _rule_failure as reason,
        {{ shop_raw_line('orders') }} as raw_line
    from ({{ shop_checked_rows('orders') }}) as checked_rows
    where _rule_failure is not null

),

final as (

    select * from rejected
    union all
    select * from broken

)

select * from final
