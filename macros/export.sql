{#
    Write a relation as a JSON array to `path` (in a folder that exists: the tenant's
    folder, next to its warehouse).
#}
{% macro export_json(relation, path) -%}
    copy (select * from {{ relation }}) to '{{ path }}' (format json, array true)
{%- endmacro %}
