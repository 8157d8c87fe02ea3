{#
    The incremental models of the shop's path follow the landing by `_loaded_at`
    (landed_shop__<entity>): a day's new extract files add lines with a newer load time and
    leave every line landed before as it was. Each model's rows carry `_landed_through`, what
    its run had seen of the landings (shop_through); its next run recomputes the keys of the
    lines loaded after that watermark (delete+insert by the model's key).
    When the history changed (a file removed or corrected in place, or a new one delivered
    before a landed one: duckhouse.ingest.shop.land_extract) every landed line has a new
    load time: the run recomputes everything, from an empty table (shop_start_run).
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
    The model's watermark as a timestamp literal: the one it remembered after its last run
    (shop_finish_run), or its largest `_landed_through` when that is newer or nothing was
    remembered (a table built before it remembered one; on Trino). Before every landing when
    neither exists.
#}
{% macro shop_model_watermark() -%}
    {%- set remembered = adapter.get_relation(this.database, 'duckhouse_meta', 'watermarks') -%}
    {%- set query -%}
        select cast(coalesce(greatest(
            (select max(current_rows._landed_through) from {{ this }} as current_rows),
            {%- if remembered %}
            (
                select max(remembered.landed_through) from {{ remembered }} as remembered
                where remembered.model = {{ sql_strings([model.unique_id]) }}
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
    What a run of the model has seen of the shop's landings, its `_landed_through`: the
    oldest of the watermarks remembered by the tables it reads (through views: the staging
    views read a landing and its rule failures), each of which is the build time of the
    landing it saw. A parent left behind by a partial selection (`dbt build -s` a landing and
    a model below it, not the rules between) holds the watermark back, so that the next run
    recomputes what the parent had not yet seen instead of taking it as done. In a build of
    the whole path every table has seen the same landing build, so the watermark is that
    build's time. The newest load time of the `entities`' landings instead (what each table
    holds, not what it saw) on Trino, where nothing is remembered, and when a parent has not
    remembered one yet (a warehouse built before it did); none in a unit test.
#}
{% macro shop_through(entities) -%}
    {%- set landed = shop_landed_through(entities) -%}
    {%- if not execute or model.resource_type == 'unit_test' -%}
        {{- return('cast(null as timestamp with time zone)') -}}
    {%- endif -%}
    {%- if target.type != 'duckdb' -%}
        {{- return(landed) -}}
    {%- endif -%}
    (
        select
            case
                when count(remembered.landed_through) = count(*)
                    then min(remembered.landed_through)
                else {{ landed }}
            end
        from (
            values {% for parent in shop_upstream_tables(model.unique_id) -%}
                ({{ sql_strings([parent]) }}){{ ', ' if not loop.last }}
            {%- endfor %}
        ) as parents (model)
        left join duckhouse_meta.watermarks as remembered
            on parents.model = remembered.model
    )
{%- endmacro %}

{#-
    The unique ids of the models materialised as tables that the node reads, directly or
    through views.
-#}
{% macro shop_upstream_tables(node_id, found=none) -%}
    {%- set found = [] if found is none else found -%}
    {%- for parent_id in graph.nodes[node_id].depends_on.nodes if parent_id in graph.nodes -%}
        {%- set parent = graph.nodes[parent_id] -%}
        {%- if parent.resource_type != 'model' or parent_id in found -%}
        {%- elif parent.config.materialized == 'view' -%}
            {%- do shop_upstream_tables(parent_id, found) -%}
        {%- else -%}
            {%- do found.append(parent_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(found) -}}
{%- endmacro %}

{#
    The pre-hook of the shop's incremental models (in the run's transaction): a run that
    recomputes everything on an incremental build (shop_watermark is none: the history of
    its entities changed, or the table predates its watermark) starts from an empty table,
    so that it holds what a full build would -- no row of a key no line holds any more.
#}
{% macro shop_start_run(entities) -%}
    {%- if execute and is_incremental() and shop_watermark(entities) is none -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#
    The post-hook of the shop's incremental models (in the run's transaction): the run's
    watermark (shop_through over `entities`) remembered for the model -- a model that is
    empty after its run (no line broke a rule) has no row to hold one.
#}
{% macro shop_finish_run(entities) -%}
    {{- remember_watermark(shop_through(entities)) -}}
{%- endmacro %}

{#
    Remembers `landed_through_sql` as the model's watermark (DuckDB's
    duckhouse_meta.watermarks, by the model's unique id). On Trino nothing is remembered:
    an empty model is recomputed whole, which is correct, only slower.
#}
{% macro remember_watermark(landed_through_sql) -%}
    {%- if execute and target.type == 'duckdb' -%}
        insert or replace into duckhouse_meta.watermarks
        select {{ sql_strings([model.unique_id]) }}, {{ landed_through_sql }}
    {%- endif -%}
{%- endmacro %}

{#
    On-run-start (DuckDB): the table of remembered watermarks, created before any model runs
    (two models creating it at once in parallel threads would conflict), and the build's
    time (dbt's run_started_at) in duckhouse_meta.build_clock: the load time of every line
    the shop's landings land in this build (duckhouse.ingest.shop.land_extract), the same
    for the three entities.
#}
{% macro watermarks_table() -%}
    {%- if execute and target.type == 'duckdb' -%}
        create schema if not exists duckhouse_meta;
        create table if not exists duckhouse_meta.watermarks (
            model varchar primary key,
            landed_through timestamp with time zone
        );
        {#- after every watermark remembered, should the machine's clock have gone back -#}
        create or replace table duckhouse_meta.build_clock as
        select greatest(
            cast('{{ run_started_at }}' as timestamp with time zone),
            (select max(landed_through) from duckhouse_meta.watermarks) + interval 1 microsecond
        ) as loaded_at;
    {%- endif -%}
{%- endmacro %}

{#
    The post-hook of the landings landed_shop__<entity> (DuckDB), in the build's
    transaction with the lines the landing wrote: duckhouse.ingest.shop.land_extract marks
    its run with a `build` row (or `rewrite` when the history changed) and each removed file
    with a `removed` row (their lines are gone by the model's delete+insert on
    `_source_file`), all with the build's load time. A rewrite gives every line that time
    (the models below recompute everything); the build's time is remembered as the
    landing's watermark (shop_through); the marks go. A build that fails or is killed before
    its commit leaves the landing as it was.
#}
{% macro shop_finish_landing() -%}
    {%- if execute -%}
        update {{ this }} set _loaded_at = (
            select max(marks._loaded_at) from {{ this }} as marks where marks._status = 'rewrite'
        )
        where exists (select 1 from {{ this }} as marks where marks._status = 'rewrite');
        {{ remember_watermark(
            "(select max(marks._loaded_at) from " ~ this ~ " as marks"
            ~ " where marks._status in ('build', 'rewrite'))"
        ) }};
        delete from {{ this }} where _status in ('build', 'rewrite', 'removed')
    {%- endif -%}
{%- endmacro %}

{#- The newest load time of the shop's `entities`' landings, as a scalar subquery. -#}
{% macro shop_landed_through(entities) -%}
    {%- set upstreams = [] -%}
    {%- for entity in entities -%}
        {%- do upstreams.append((ref('landed_shop__' ~ entity), '_loaded_at')) -%}
    {%- endfor -%}
    {{- landed_through(upstreams) -}}
{%- endmacro %}

{#
    The orders an incremental gold mart of the shop aggregates: those whose `key_sql` (over
    `orders`: a day, a period, a customer) is the key of a line of orders landed after
    `watermark` (the fact's and the landing's columns have the same names), the keys the
    run recomputes; every order when the watermark is none. The fact's rows do not change
    between two landings that keep the history (an order's day, amount and customer are
    its first line's), so no other key moved.
#}
{% macro shop_orders_of_new_keys(key_sql, watermark) -%}
    select * from {{ ref('fct_shop_orders') }} as orders
    {%- if watermark is not none %}
    where {{ key_sql }} in (
        -- from the landed lines, also those the fact refused or no longer holds (a line a
        -- run took in before the rules had checked it: a partial selection)
        select {{ key_sql }} from {{ ref('landed_shop__orders') }} as orders
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
