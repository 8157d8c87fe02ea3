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
    {%- set watermark = landed_watermark_literal('_landed_through') -%}
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
