{#
    Every `dbt build` / `dbt run` of a tenant leaves one row in its own warehouse,
    duckhouse_meta.builds: when it started and finished, how many nodes ran, how many
    errored or failed, and its status. Whoever ran it (the duckhouse CLI, a Dagster run,
    an engineer typing `dbt build --target <tenant>`), `duckhouse list` shows the last one.
    Called from on-run-end (dbt_project.yml), which dbt runs after failed builds too.
#}
{% macro record_build(results) -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run') -%}
        {%- set errors = results | selectattr('status', 'equalto', 'error') | list | length -%}
        {%- set failures = results | selectattr('status', 'equalto', 'fail') | list | length -%}
        create schema if not exists duckhouse_meta;
        create table if not exists duckhouse_meta.builds (
            invocation_id varchar primary key,
            command varchar,
            started_at timestamp,
            finished_at timestamp,
            nodes integer,
            errors integer,
            failures integer,
            status varchar
        );
        insert into duckhouse_meta.builds values (
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp),
            cast(current_timestamp at time zone 'UTC' as timestamp),
            {{ results | length }},
            {{ errors }},
            {{ failures }},
            '{{ "failed" if errors or failures else "ok" }}'
        )
    {%- endif -%}
{%- endmacro %}
