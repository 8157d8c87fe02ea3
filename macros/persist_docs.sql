{#
    dbt's check of the documented columns when it persists their docs (persist_docs in
    dbt_project.yml), less one false alarm: a column that later exports of a source add
    (schema drift, marked `meta: {schema_drift: true}` in the model's YAML) is documented
    before it arrives, and until it does its absence is expected, not worth a warning. Any
    other documented column missing from the relation still warns, as dbt's own check does.
#}
{% macro validate_doc_columns(relation, column_dict, existing_column_names) -%}
    {%- set existing = existing_column_names | map('lower') | list -%}
    {%- set expected = {} -%}
    {%- for name, column in column_dict.items() -%}
        {%- set meta = column.get('meta') or (column.get('config') or {}).get('meta') or {} -%}
        {%- if not (meta.get('schema_drift') and name | lower not in existing) -%}
            {%- do expected.update({name: column}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(dbt.validate_doc_columns(relation, expected, existing_column_names)) -}}
{%- endmacro %}
