{#
    dbt's `relationships` test, with the whole child row in its failing rows: a stored
    failure (`--store-failures`, duckhouse.warehouse.audit) then names where the orphan came from
    (`_source_file`, `_line` of a shop order with an unknown customer), not only its key.
    The same rows fail as with dbt's own test.
#}
{% macro default__test_relationships(model, column_name, to, field) %}

with child as (
    select * from {{ model }}
    where {{ column_name }} is not null
),

parent as (
    select {{ field }} as to_field from {{ to }}
)

select child.*
from child
left join parent
    on child.{{ column_name }} = parent.to_field
where parent.to_field is null

{% endmacro %}
