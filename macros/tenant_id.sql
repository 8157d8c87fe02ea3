{#
    The tenant a build is for. Each tenant has its own DuckDB target named after it and
    its own Trino target named `<tenant>_trino`, so the target name gives the tenant id;
    the optional `tenant_id` var exists for targets named otherwise. The id is validated
    here as everywhere else.
#}
{% macro tenant_id() -%}
    {%- set tenant = var('tenant_id', target_tenant()) -%}
    {%- if not modules.re.fullmatch(var('tenant_id_pattern'), tenant) -%}
        {{ exceptions.raise_compiler_error(
            "invalid tenant id '" ~ tenant ~ "': use 1-40 lowercase letters, digits or "
            ~ "underscores, starting with a letter"
        ) }}
    {%- endif -%}
    {{- return(tenant) -}}
{%- endmacro %}

{% macro tenant_id_literal() -%}
    cast('{{ tenant_id() }}' as varchar)
{%- endmacro %}

{#
    Run before every build (on-run-start): a tenant's DuckDB target builds that tenant
    only. The `tenant_id` var is for targets named otherwise; on a tenant's own target it
    must not point the sources at another tenant's landing zone (the duckhouse.warehouse.sandbox
    plugin would refuse the read anyway; this says why, before anything runs). The `lint`
    target builds nothing: it is sqlfluff's, in memory and confined to no folder at all.
#}
{% macro check_tenant() -%}
    {%- if execute and target.name == 'lint' and flags.WHICH in (
        'build', 'run', 'seed', 'snapshot', 'test'
    ) -%}
        {{ exceptions.raise_compiler_error(
            "target 'lint' compiles and lints only, it builds no tenant: "
            ~ "dbt " ~ flags.WHICH ~ " --target <tenant>"
        ) }}
    {%- endif -%}
    {%- if execute and target.name != 'lint' and tenant_id() != target_tenant() -%}
        {{ exceptions.raise_compiler_error(
            "target '" ~ target.name ~ "' builds tenant '" ~ target_tenant() ~ "' only, not '"
            ~ tenant_id() ~ "' (var tenant_id): every tenant has its own target"
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- The tenant a target is for: its name, less the `_trino` suffix of a scale-out target. -#}
{% macro target_tenant() -%}
    {%- if target.type == 'trino' and target.name.endswith('_trino') -%}
        {{- return(target.name[:-6]) -}}
    {%- endif -%}
    {{- return(target.name) -}}
{%- endmacro %}
