{#
    The incremental models of the shop's path follow the landing by `_loaded_at`
    (landed_shop__<entity>): a day's new extract files add lines with a newer load time and
    leave every line landed before as it was. Each model's rows carry `_landed_through`, the
    newest load time of the entities it reads when its run ran; its next run recomputes the
    keys of the lines loaded after that watermark (delete+insert by the model's key).
    When the history changed (a file removed or corrected in place, or a new one delivered
    before a landed one: duckhouse.ingest.shop.land_extract) every landed line has a new
    load time: the run recomputes everything, and forget_stale_rows removes the rows of keys
    no line holds any more.
#}

{#
    The watermark of an incremental run over the shop's `entities`, as a timestamp literal:
    its lines loaded after it are the day's changes. None (recompute everything) on a full
    build, in a unit test, on the first run of a table built before it kept a watermark,
    and when the history of one of the entities changed since the watermark (every line of
    it was loaded after the watermark).
#}
{% macro shop_watermark(entities) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- a table built before the model kept a watermark: recomputed whole once -#}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_landed_through' not in columns -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set watermark = shop_model_watermark() -%}
    {%- set query -%}
        select coalesce(bool_and(oldest <= {{ watermark }}), false) as history_kept from (
            {%- for entity in entities %}
            select min(_loaded_at) as oldest from {{ ref('landed_shop__' ~ entity) }}
            {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as landings
    {%- endset -%}
    {%- if run_query(query).columns[0].values()[0] -%}
        {{- return(watermark) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}

{#
    The model's watermark as a timestamp literal: its largest `_landed_through`, or the one
    remembered for it (remember_watermark) when that is newer -- a model that is empty
    after its run (no line broke a rule) has no row to hold one. Before every landing
    when neither exists.
#}
{% macro shop_model_watermark() -%}
    {%- set remembered = adapter.get_relation(this.database, 'duckhouse_meta', 'watermarks') -%}
    {%- set query -%}
        select cast(coalesce(greatest(
            (select max(current_rows._landed_through) from {{ this }} as current_rows),
            {%- if remembered %}
            (
                select max(remembered.landed_through) from {{ remembered }} as remembered
                where remembered.model = {{ sql_strings([this | string]) }}
            )
            {%- else %}
            null
            {%- endif %}
        ), {{ earliest_timestamp() }}) as varchar) as watermark
    {%- endset -%}
    {%- set watermark = run_query(query).columns[0].values()[0] -%}
    {{- return("cast('" ~ watermark ~ "' as timestamp with time zone)") -}}
{%- endmacro %}

{#
    A post-hook: the run's `_landed_through` remembered for the model (DuckDB's
    duckhouse_meta.watermarks, in the run's transaction), for a model that may be empty
    after a run (shop_model_watermark). On Trino nothing is remembered: an empty model
    is recomputed whole, which is correct, only slower.
#}
{% macro remember_watermark(landed_through_sql) -%}
    {%- if execute and target.type == 'duckdb' -%}
        {{ watermarks_table() }}
        insert or replace into duckhouse_meta.watermarks
        select {{ sql_strings([this | string]) }}, {{ landed_through_sql }};
    {%- endif -%}
{%- endmacro %}

{#
    The table of remembered watermarks; created from on-run-start too, before any model
    runs (two models creating it at once in parallel threads would conflict).
#}
{% macro watermarks_table() -%}
    {%- if execute and target.type == 'duckdb' -%}
        create schema if not exists duckhouse_meta;
        create table if not exists duckhouse_meta.watermarks (
            model varchar primary key,
            landed_through timestamp with time zone
        );
    {%- endif -%}
{%- endmacro %}

{#- The run's `_landed_through`: the newest load time of the shop's `entities`. -#}
{% macro shop_landed_through(entities) -%}
    {%- set upstreams = [] -%}
    {%- for entity in entities -%}
        {%- do upstreams.append((ref('landed_shop__' ~ entity), '_loaded_at')) -%}
    {%- endfor -%}
    {{- landed_through(upstreams) -}}
{%- endmacro %}

{#
    The post-hook of the shop's incremental models: forget_stale_rows over the landing of
    `entity`, the one whose lines the model's rows are.
#}
{% macro shop_forget_stale_rows(entity) -%}
    {{- forget_stale_rows(ref('landed_shop__' ~ entity), '_loaded_at', '_landed_through') -}}
{%- endmacro %}

{#
    The orders an incremental gold mart of the shop aggregates: those whose `key_sql` (over
    `orders`: a day, a period, a customer) is the key of an order landed after `watermark`,
    the keys the run recomputes; every order when the watermark is none. The fact's rows
    only change their enrichment between two landings that keep the history (an order's
    day, amount and customer are its first line's), so no other key moved.
#}
{% macro shop_orders_of_new_keys(key_sql, watermark) -%}
    select * from {{ ref('fct_shop_orders') }} as orders
    {%- if watermark is not none %}
    where {{ key_sql }} in (
        select {{ key_sql }} from {{ ref('fct_shop_orders') }} as orders
        where orders._loaded_at > {{ watermark }}
    )
    {%- endif %}
{%- endmacro %}

{#
    The rest of an incremental mart's rows, after the rows it recomputed: its current
    `columns` (expressions over `kept`, in the order of the recomputed rows) of the keys
    (`key`, its column) not among `recomputed_keys` (a subquery), unioned in; nothing when
    the watermark is none.
#}
{% macro shop_kept_rows(key, columns, recomputed_keys, watermark) -%}
    {%- if watermark is not none %}
    {{ union_all_by_name() }}
    select {{ columns | join(', ') }} from {{ this }} as kept
    where kept.{{ key }} not in ({{ recomputed_keys }})
    {%- endif %}
{%- endmacro %}
