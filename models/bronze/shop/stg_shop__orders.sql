-- depends_on: {{ source('shop', 'orders') }}
-- Grain: one row per line of the shop's orders extracts that fits the contract and passes
-- the rules (macros/shop.sql); every other line is in quarantine_shop__lines. A view: the
-- landed lines without a rule failure (writing every line a second time costs more than
-- the anti-join).
with landed as (

    select * from {{ ref('landed_shop__orders') }}
    where _status = 'landed'

),

rule_failures as (

    select * from {{ ref('rule_failures_shop__orders') }}

),

final as (

    select
        landed.{{ shop_columns('orders') | join(', landed.') }},
        landed._source_file,
        landed._file_sequence,
        landed._line,
        landed._loaded_at
    from landed
    left join rule_failures
        on
            landed._source_file = rule_failures._source_file
            and landed._line = rule_failures._line
    where rule_failures._line is null

)

select * from final
