{#
    The business rules of the shop's extracts: the landed (well-typed) rows of an entity
    with `_rule_failure`, the first rule the row breaks as '<rule>: <what>' (null when it
    passes). rule_failures_shop__<entity> evaluates them once per build and keeps the
    rows that break one; stg_shop__<entity> is the other rows, quarantine_shop__lines shows
    the failures: each rule is written once, here.
#}
{#
    The contract's columns of an entity, in file order: the `shop_contract` var of
    dbt_project.yml, which duckhouse.ingest.shop reads the files by.
#}
{% macro shop_columns(entity) -%}
    {{- return(var('shop_contract')[entity].keys() | list) -}}
{%- endmacro %}

{#
    The rules of each entity, in the order they are checked: (rule, column, broken when,
    what to say). A row breaks at most one: the first.
#}
{% macro shop_rules() -%}
    {{- return({
        'orders': [
            ('order_id_present', 'order_id', 'order_id is null', "'order_id is empty'"),
            ('customer_id_present', 'customer_id', 'customer_id is null', "'customer_id is empty'"),
            ('product_id_present', 'product_id', 'product_id is null', "'product_id is empty'"),
            ('order_date_present', 'order_date', 'order_date is null', "'order_date is empty'"),
            ('quantity_positive', 'quantity', 'coalesce(quantity, 0) <= 0',
                "'quantity must be positive, got ' || coalesce(cast(quantity as varchar), 'nothing')"),
            ('amount_not_negative', 'amount', 'coalesce(amount, -1) < 0',
                "'amount must be zero or more, got ' || coalesce(cast(amount as varchar), 'nothing')"),
            ('status_known', 'status',
                "coalesce(status, '') not in (" ~ sql_strings(var('shop_order_statuses')) ~ ")",
                "'unknown status ''' || coalesce(status, '') || ''''"),
            ('order_id_unique', 'order_id', '_repeats_earlier_line',
                "'order_id ' || order_id || ' already on ' || _first_file || ':' || _first_line"),
        ],
        'customers': [
            ('customer_id_present', 'customer_id', 'customer_id is null', "'customer_id is empty'"),
            ('email_valid', 'email', "coalesce(email, '') not like '%_@_%'",
                "'not an e-mail address: ''' || coalesce(email, '') || ''''"),
            ('segment_known', 'segment',
                "coalesce(segment, '') not in (" ~ sql_strings(var('shop_customer_segments')) ~ ")",
                "'unknown segment ''' || coalesce(segment, '') || ''''"),
        ],
        'products': [
            ('product_id_present', 'product_id', 'product_id is null', "'product_id is empty'"),
            ('price_not_negative', 'price', 'coalesce(price, -1) < 0',
                "'price must be zero or more, got ' || coalesce(cast(price as varchar), 'nothing')"),
            ('stock_not_negative', 'stock', 'coalesce(stock, 0) < 0',
                "'stock must be zero or more, got ' || cast(stock as varchar)"),
        ],
    }) -}}
{%- endmacro %}

{#
    The entities whose id must be unique across all their extract lines: a later line
    with an id already seen breaks the rule (`_repeats_earlier_line`, with the first
    line's `_first_file` and `_first_line`; a null id breaks the `_present` rule first).
    Customers and products may repeat: silver keeps the latest line.
#}
{% macro shop_unique_keys() -%}
    {{- return({'orders': 'order_id'}) -}}
{%- endmacro %}

{#
    `watermark` (shop_watermark): only the lines loaded after it, and for an entity with a
    unique id every line holding an id of theirs (whether a line repeats an earlier one is
    decided among all the lines of its id); every line when none.
#}
{% macro shop_checked_rows(entity, watermark=none) -%}
    {%- set rules = shop_rules() -%}
    {%- set key = shop_unique_keys().get(entity) -%}
    {%- set landed -%}
        (
            select * from {{ ref('landed_shop__' ~ entity) }} as lines
            where
                _status = 'landed'
                {%- if watermark is not none %}
                and (
                    _loaded_at > {{ watermark }}
                    {%- if key %}
                    or {{ key }} in (
                        select new_lines.{{ key }} from {{ ref('landed_shop__' ~ entity) }} as new_lines
                        where new_lines._status = 'landed' and new_lines._loaded_at > {{ watermark }}
                    )
                    {%- endif %}
                )
                {%- endif %}
        )
    {%- endset -%}
    select
        *,
        case
            {%- for rule, column, broken, what in rules[entity] %}
            when {{ broken }} then '{{ rule }}: ' || {{ what }}
            {%- endfor %}
        end as _rule_failure,
        case
            {%- for rule, column, broken, what in rules[entity] %}
            when {{ broken }} then '{{ column }}'
            {%- endfor %}
        end as _rule_column
    from
    {%- if key %} (
        {#
            A line whose id is on an earlier line (file, then line). Only the ids on more
            than one line (usually none) are ranked: a window over every line would sort
            them all, a grouping finds the repeats in a fraction of the time.
        #}
        select
            landed.*,
            coalesce(repeats._rank > 1, false) as _repeats_earlier_line,
            repeats._first_file,
            repeats._first_line
        from {{ landed }} as landed
        left join (
            select
                _source_file,
                _line,
                row_number() over first_line_first as _rank,
                first_value(_source_file) over first_line_first as _first_file,
                first_value(_line) over first_line_first as _first_line
            from {{ landed }} as lines
            where {{ key }} in (
                select {{ key }} from {{ landed }} as ids
                group by {{ key }}
                having count(*) > 1
            )
            window first_line_first as (
                partition by {{ key }} order by _file_sequence, _source_file, _line
            )
        ) as repeats
            on landed._source_file = repeats._source_file and landed._line = repeats._line
    ) as landed
    {%- else %} {{ landed }} as landed
    {%- endif %}
{%- endmacro %}

{#
    The body of rule_failures_shop__<entity>: the checked lines that break a rule, with the
    rule, the column, the reason and the line as CSV text; incremental (shop_watermark).
#}
{% macro shop_rule_failures(entity) -%}
    {%- set watermark = shop_watermark([entity]) -%}
with checked as (

    {{ shop_checked_rows(entity, watermark) }}

),

final as (

    select
        _source_file,
        _line,
        split_part(_rule_failure, ':', 1) as rule_name,
        _rule_column as column_name,
        _rule_failure as reason,
        {{ shop_raw_line(entity) }} as raw_line,
        {{ shop_through([entity]) }} as _landed_through
    from checked
    where _rule_failure is not null

)

select * from final
{%- endmacro %}

{#
    A well-typed line of an entity written back as CSV text (for the quarantine).
#}
{% macro shop_raw_line(entity) -%}
    concat_ws(','
    {%- for column in shop_columns(entity) -%}
        , coalesce(cast({{ column }} as varchar), '')
    {%- endfor -%}
    )
{%- endmacro %}

{#
    The rules as a relation (entity, rule_name, rule_order): `contract` (order 0), then
    each entity's rules in the order they are checked.
#}
{% macro shop_rule_list() -%}
    {%- set rows = [] -%}
    {%- for entity, rules in shop_rules().items() -%}
        {%- do rows.append("('" ~ entity ~ "', 'contract', 0)") -%}
        {%- for rule in rules -%}
            {%- do rows.append("('" ~ entity ~ "', '" ~ rule[0] ~ "', " ~ loop.index ~ ")") -%}
        {%- endfor -%}
    {%- endfor -%}
    (values {{ rows | join(', ') }})
{%- endmacro %}

{#- `'a', 'b'`: string literals of the values, quotes doubled (for `in (...)` lists). -#}
{% macro sql_strings(values) -%}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append("'" ~ (value | string).replace("'", "''") ~ "'") -%}
    {%- endfor -%}
    {{- return(literals | join(', ')) -}}
{%- endmacro %}
