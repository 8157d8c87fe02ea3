{#
    The dashboard's copy of a tenant's gold (docs/dashboard.md). After every successful
    `dbt build` / `dbt run` of a tenant on DuckDB -- whoever started it -- the models
    marked `meta: {dashboard: true}` and the build log are written as Parquet files to

        <data>/<tenant>/dashboard/snapshot=<UTC start>_<invocation id>/<schema>.<name>.parquet

    (names from the `dashboard_snapshots` var, which duckhouse.dashboard.snapshots reads)
    and `_build.json` is written last, in the same folder: a snapshot without it is still
    being written (or was cut short) and readers ignore it. The dashboard reads the newest
    complete snapshot and never opens the warehouse, so it cannot hold the DuckDB file lock
    a build needs; a failed build writes no snapshot, so the dashboard keeps showing the
    last good one. Written from on-run-end inside the build's own connection: no second
    process ever opens the warehouse for it.
#}
{% macro publish_dashboard(results) -%}
    {%- set failed = results
        | selectattr('status', 'in', ['error', 'fail', 'runtime error'])
        | list | length -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('build', 'run')
        and not failed and not invocation_args_dict.get('empty') -%}
        {%- set folder = dashboard_dir() -%}
        {%- set protocol = var('dashboard_snapshots') -%}
        {%- set snapshot = protocol.prefix ~ run_started_at.strftime('%Y%m%dT%H%M%SZ')
            ~ '_' ~ invocation_id -%}
        {%- set stamp = snapshot[protocol.prefix | length:] -%}
        {%- set relations = dashboard_relations() -%}
        {#- DuckDB creates the folders a partitioned copy writes to: this opens the snapshot -#}
        copy (
            select
                '{{ stamp }}' as snapshot,
                '{{ invocation_id }}' as invocation_id
        ) to '{{ folder }}' (
            format parquet,
            partition_by (snapshot),
            filename_pattern '_started{i}',
            overwrite_or_ignore true
        );
        {%- for name, relation in relations %}
        copy (select * from {{ relation }}) to '{{ folder }}/{{ snapshot }}/{{ name }}.parquet'
            (format parquet, compression zstd);
        {%- endfor %}
        copy (
            select
                '{{ tenant_id() }}' as tenant_id,
                '{{ stamp }}' as snapshot,
                '{{ invocation_id }}' as invocation_id,
                '{{ flags.WHICH }}' as command,
                '{{ run_started_at.strftime("%Y-%m-%dT%H:%M:%SZ") }}' as started_at,
                strftime(now() at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ') as published_at,
                '{{ dbt_version }}' as dbt_version,
                {{ results | length }} as nodes,
                [{%- for name, _ in relations -%}
                    '{{ name }}'{{ ", " if not loop.last }}
                {%- endfor -%}]::varchar[] as relations
        ) to '{{ folder }}/{{ snapshot }}/{{ protocol.marker }}' (format json)
    {%- endif -%}
{%- endmacro %}

{#- <data>/<tenant>/dashboard: inside the folder the duckhouse.warehouse.sandbox plugin allows -#}
{% macro dashboard_dir() -%}
    {{- return(env_var('DUCKHOUSE_DATA_DIR', 'data') ~ '/' ~ tenant_id() ~ '/'
        ~ var('dashboard_snapshots').folder) -}}
{%- endmacro %}

{#-
    (file name, relation) of every model marked for the dashboard that exists in the
    warehouse (a partial first build may not have made all of them yet), and the build log.
-#}
{% macro dashboard_relations() -%}
    {%- set found = [] -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.config.meta.get('dashboard') -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is not none -%}
            {%- do found.append((node.schema ~ '.' ~ node.alias, relation)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in ['builds', 'build_sources'] -%}
        {%- set relation = adapter.get_relation(
            database=target.database, schema='duckhouse_meta', identifier=name) -%}
        {%- if relation is not none -%}
            {%- do found.append(('duckhouse_meta.' ~ name, relation)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(found | sort) -}}
{%- endmacro %}
