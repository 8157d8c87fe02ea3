{#
    Use a model's custom schema as the schema name (bronze, silver, finance, ...), not
    dbt's default <target_schema>_<custom_schema>: each tenant has its own warehouse
    file, so schemas never collide across tenants and people query `finance.revenue_monthly`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
