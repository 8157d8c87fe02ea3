{#
    The leftovers of dbt-duckdb's Python incremental models, dropped after every build
    (on-run-end, dbt_project.yml). An incremental run builds a model's new rows in a
    relation it believes temporary, `<model>__dbt_tmp<timestamp>`, and so never drops it;
    but a Python model writes it with a plain `create table` (dbt-duckdb's py_write_table
    ignores `temporary`: the model runs on a cursor of its own, and a temporary table there
    would be invisible to the statements that merge it), unqualified, so in the
    connection's schema, `main`. Each incremental build of a Python model left one table. Every such table of the tenant's warehouse goes, whether this
    build left it or an earlier one that was interrupted.
#}
{% macro drop_dbt_tmp_relations() -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run', 'retry') -%}
        {%- set query -%}
            select table_schema, table_name, table_type
            from information_schema.tables
            where
                table_catalog = '{{ target.database }}'
                and table_schema = '{{ target.schema }}'
                and contains(table_name, '__dbt_tmp')
        {%- endset -%}
        {%- for schema, name, kind in run_query(query).rows %}
        drop {{ 'view' if kind == 'VIEW' else 'table' }} if exists
            {{ adapter.quote(target.database) }}.{{ adapter.quote(schema) }}.{{ adapter.quote(name) }};
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
