{#
    Every `dbt build` / `dbt run` of a tenant leaves one row in its own warehouse,
    duckhouse_meta.builds: when it started and finished, how many nodes ran, how many
    errored or failed, and its status -- and one row per source whose bronze models ran
    (duckhouse_meta.build_sources: the dashboard's "last successful build per source").
    Whoever ran it (the duckhouse CLI, a Dagster run,
    an engineer typing `dbt build --target <tenant>`), `duckhouse list` shows the last one.
    Called from on-run-end (dbt_project.yml), which dbt runs after failed builds too.
#}
{#
    From on-run-start: the build's row, `running`, committed before any node runs. A build
    that never reaches on-run-end (killed, the machine lost) leaves it so: `duckhouse list`
    then says `interrupted`, never the status of the build before.
#}
{% macro record_build_start() -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run') -%}
        {{ build_log_table() }}
        insert or replace into duckhouse_meta.builds values (
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp),
            null,
            null,
            null,
            null,
            'running'
        );
    {%- endif -%}
{%- endmacro %}

{% macro build_log_table() -%}
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
{%- endmacro %}

{% macro record_build(results) -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run') -%}
        {%- set errors = results | selectattr('status', 'equalto', 'error') | list | length -%}
        {%- set failures = results | selectattr('status', 'equalto', 'fail') | list | length -%}
        {{ build_log_table() }}
        insert or replace into duckhouse_meta.builds values (
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp),
            cast(current_timestamp at time zone 'UTC' as timestamp),
            {{ results | length }},
            {{ errors }},
            {{ failures }},
            '{{ "failed" if errors or failures else "ok" }}'
        );
        create table if not exists duckhouse_meta.build_sources (
            invocation_id varchar,
            source_name varchar,
            finished_at timestamp,
            nodes integer,
            errors integer,
            status varchar,
            primary key (invocation_id, source_name)
        );
        {%- set ran = [] -%}
        {%- for result in results
            if result.node.fqn | length > 3 and result.node.fqn[1] == 'bronze' -%}
            {%- do ran.append({
                'source_name': result.node.fqn[2],
                'failed': 1 if result.status in ('error', 'fail') else 0,
            }) -%}
        {%- endfor -%}
        {%- for source in ran | groupby('source_name') %}
            {%- set errors = source.list | sum(attribute='failed') %}
        insert into duckhouse_meta.build_sources values (
            '{{ invocation_id }}',
            '{{ source.grouper }}',
            cast(current_timestamp at time zone 'UTC' as timestamp),
            {{ source.list | length }},
            {{ errors }},
            '{{ "failed" if errors else "ok" }}'
        );
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
