{#
    Write a relation as a JSON array to `path` (in a folder that exists: the tenant's
    folder, next to its warehouse).
#}
{% macro export_json(relation, path) -%}
    {{- return(adapter.dispatch('export_json', 'duckhouse')(relation, path)) -}}
{%- endmacro %}

{% macro duckdb__export_json(relation, path) -%}
    copy (select * from {{ relation }}) to '{{ path }}' (format json, array true)
{%- endmacro %}

{#- Trino writes no local files: the relation is the export (docs/trino.md) -#}
{% macro trino__export_json(relation, path) -%}
    select 1
{%- endmacro %}
