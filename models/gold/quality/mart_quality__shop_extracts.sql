-- Grain: one row per extract file and rule: how many lines the rule checked and how many
-- broke it. `contract` checks every line of the file against the declared schema; each
-- business rule checks the lines that fit it (a line is counted against the first rule
-- it breaks, and not checked by the later ones).

with lines as (

    select
        'customers' as entity,
        _source_file,
        count(*) as lines_read,
        count(*) filter (where _status = 'landed') as lines_typed
    from {{ ref('landed_shop__customers') }}
    group by _source_file

    union all

    select
        'products' as entity,
        _source_file,
        count(*) as lines_read,
        count(*) filter (where _status = 'landed') as lines_typed
    from {{ ref('landed_shop__products') }}
    group by _source_file

    union all

    select
        'orders' as entity,
        _source_file,
        count(*) as lines_read,
        count(*) filter (where _status = 'landed') as lines_typed
    from {{ ref('landed_shop__orders') }}
    group by _source_file

),

rules as (

    select
        rule_list.entity,
        rule_list.rule_name,
        rule_list.rule_order
    from {{ shop_rule_list() }} as rule_list (entity, rule_name, rule_order)

),

failures as (

    select
        entity,
        _source_file,
        rule_name,
        count(*) as lines_failed
    from {{ ref('quarantine_shop__lines') }}
    group by entity, _source_file, rule_name

),

per_rule as (

    select
        lines.entity,
        lines._source_file,
        lines.lines_read,
        lines.lines_typed,
        rules.rule_name,
        rules.rule_order,
        coalesce(failures.lines_failed, 0) as lines_failed
    from lines
    -- every rule of the file's entity: one row per file and rule
    inner join rules
        on lines.entity = rules.entity
    left join failures
        on
            lines.entity = failures.entity
            and lines._source_file = failures._source_file
            and rules.rule_name = failures.rule_name

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        entity,
        _source_file as source_file,
        rule_name,
        rule_order,
        case
            when rule_name = 'contract' then lines_read
            -- the lines a rule sees: typed lines minus those an earlier rule took
            else lines_typed - coalesce(sum(
                case when rule_order >= 1 then lines_failed else 0 end
            ) over (
                partition by _source_file
                order by rule_order
                rows between unbounded preceding and 1 preceding
            ), 0)
        end as lines_checked,
        lines_failed
    from per_rule

)

select * from final
