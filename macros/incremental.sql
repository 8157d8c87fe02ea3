{#
    Incremental models over an append-only upstream keep a watermark: a column holding the
    landing time of the newest upstream row each row reflects. A run reads only the
    upstream rows landed after the model's watermark.
#}
{% macro landed_watermark(column) -%}
    (select coalesce(max({{ column }}), {{ earliest_timestamp() }}) from {{ this }})
{%- endmacro %}

{#
    The model's watermark (landed_watermark) as a literal, read once when the model
    compiles: a filter on a literal reaches through a view's joins and windows down to the
    upstream's scan (when it is on a column the windows partition by), where a filter on a
    subquery makes the engine compute the whole view first. The subquery itself where
    nothing can be read (parse time) or `this` is a unit test's fixture.
#}
{% macro landed_watermark_literal(column) -%}
    {#- at parse time, and in a unit test (whose `this` is a fixture in the model's SQL) -#}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{- return(landed_watermark(column)) -}}
    {%- endif -%}
    {%- set query -%}
        select cast({{ landed_watermark(column) }} as varchar) as watermark
    {%- endset -%}
    {%- set watermark = run_query(query).columns[0].values()[0] -%}
    cast('{{ watermark }}' as timestamp with time zone)
{%- endmacro %}

{#
    True while the upstream still holds rows the model has already seen. False after the
    upstream was rebuilt (a --full-refresh of it alone lands every row again, with a new
    landing time): merging its rows into the current ones would then count them twice, so
    the models that merge drop their current rows and recompute from the upstream alone.
#}
{% macro upstream_kept(upstream, upstream_column, column) -%}
    exists (
        select 1 from {{ upstream }} as upstream_rows
        where upstream_rows.{{ upstream_column }} <= {{ landed_watermark(column) }}
    )
{%- endmacro %}

{#
    A post-hook of the incremental models that merge: the rows of keys the upstream no
    longer has, after it was rebuilt. A rebuilt upstream (see upstream_kept; a ksqlDB stream
    also gives every row a new landing time when files were removed or replaced:
    ksqldb_forget_files) makes the run recompute every key still there, so every row kept
    is at least as new as the upstream's oldest row; a row older than that (the events of a
    removed file, the day or method only they made) is stale and goes, as on a full build.
    On any other run every row is at least that new: nothing is deleted. A row without a
    watermark was built before the model kept one (a table before it was incremental):
    the first incremental run, its watermark before every landing, recomputes every key.
#}
{% macro forget_stale_rows(upstream, upstream_column, column) -%}
    {%- if execute -%}
        delete from {{ this }}
        where
            not exists (select 1 from {{ upstream }} as upstream_rows)
            or {{ column }} is null
            or {{ column }} < (
                select min(oldest.{{ upstream_column }}) from {{ upstream }} as oldest
            )
    {%- endif -%}
{%- endmacro %}

{#- The run's `_landed_through`: a scalar subquery over the upstreams' landing times. -#}
{% macro landed_through(upstreams) -%}
    (
        select max(landed.landed_at) from (
            {%- for relation, column in upstreams %}
            select max({{ column }}) as landed_at from {{ relation }}
            {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as landed
    )
{%- endmacro %}

{#
    The filter of an incremental run: only upstream rows landed after the model's
    watermark (`_landed_through`); nothing on a full build.
#}
{% macro landed_since_last_run(column) -%}
    {%- if is_incremental() -%}
        where {{ column }} > {{ landed_watermark('_landed_through') }}
    {%- endif -%}
{%- endmacro %}

{#
    Additive incremental marts: the aggregates of the new rows (`batch`, with the same
    columns as the model) plus the model's current rows for the same keys, to be summed
    again per key. The current rows are left out when the upstream was rebuilt (see
    upstream_kept): then the batch is the whole upstream.
#}
{% macro with_current_rows(batch, keys, upstream, upstream_column='_first_landed_at') -%}
    select * from {{ batch }}
    {%- if is_incremental() %}
    {{ union_all_by_name() }}
    select * from {{ this }} as current_rows
    where
        exists (
            select 1 from {{ batch }} as batch_keys
            where
                {%- for key in keys %}
                {{ "and " if not loop.first }}current_rows.{{ key }} = batch_keys.{{ key }}
                {%- endfor %}
        )
        and {{ upstream_kept(upstream, upstream_column, '_landed_through') }}
    {%- endif %}
{%- endmacro %}

{#- Before every landing time: DuckDB's -infinity; Trino's timestamps have no infinity. -#}
{% macro earliest_timestamp() -%}
    {{- return(adapter.dispatch('earliest_timestamp', 'duckhouse')()) -}}
{%- endmacro %}

{% macro default__earliest_timestamp() -%}
    {{- unsupported_adapter('earliest_timestamp') -}}
{%- endmacro %}

{% macro duckdb__earliest_timestamp() -%}
    cast('-infinity' as timestamp with time zone)
{%- endmacro %}

{% macro trino__earliest_timestamp() -%}
    timestamp '0001-01-01 00:00:00 UTC'
{%- endmacro %}

{#
    A union of two selects of the same columns: matched by name on DuckDB (a column added
    later by on_schema_change sits at the end of the built table); by position on Trino,
    whose tables keep the model's column order (Trino has no `union ... by name`).
#}
{% macro union_all_by_name() -%}
    {{- return(adapter.dispatch('union_all_by_name', 'duckhouse')()) -}}
{%- endmacro %}

{% macro default__union_all_by_name() -%}
    {{- unsupported_adapter('union_all_by_name') -}}
{%- endmacro %}

{% macro duckdb__union_all_by_name() -%}
    union all by name
{%- endmacro %}

{% macro trino__union_all_by_name() -%}
    union all
{%- endmacro %}

{#
    The post-hook of a table landed whole but only when it changed (append strategy): the
    rows of earlier landings go once a newer one is in; when nothing was landed every row
    has the same load time and nothing is deleted.
#}
{% macro keep_latest_landing() -%}
    {%- if execute -%}
        delete from {{ this }}
        where _loaded_at < (select max(newest._loaded_at) from {{ this }} as newest)
    {%- endif -%}
{%- endmacro %}
