{#
    The incremental TPC-H models of a PostgreSQL tenant (files are rebuilt whole: their
    extract is). Each row carries `_landed_through`: the newest landing time (of the order
    extract and of the dimensions the model reads) that its run had seen. A run recomputes
    what landed after the model's own watermark, the largest `_landed_through` in it: the
    orders the extract added or deleted since, or everything when a dimension it reads was
    landed again (a changed source table: tpch_table_unchanged).
#}

{#
    The order keys an incremental run recomputes, as a subquery: every order the extract
    landed or deleted after the model's watermark. None (recompute everything) on a full
    build, and when one of `dims` (relation, landing-time column) was landed after it.
#}
{% macro tpch_changed_orders(extract, dims) -%}
    {%- if not is_incremental() or tpch_dimensions_changed(dims) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set changed -%}
        select changed.order_id from {{ extract }} as changed
        where changed._extracted_at > {{ landed_watermark_literal('_landed_through') }}
    {%- endset -%}
    {{- return(changed) -}}
{%- endmacro %}

{#- True when one of `dims` (relation, landing-time column) landed after the watermark. -#}
{% macro tpch_dimensions_changed(dims) -%}
    {%- if not execute or not dims -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set query -%}
        select coalesce(
            {{ landed_through(dims) }} > {{ landed_watermark('_landed_through') }}, true
        )
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0]) -}}
{%- endmacro %}

{#
    Post-hook of the incremental order facts: the rows of orders the source deleted (the
    extract's tombstones). A delete+insert run removes and re-adds the changed orders it
    finds rows for; a deleted order has none, so it goes here.
#}
{% macro tpch_forget_deleted_orders(extract) -%}
    {%- if execute -%}
        delete from {{ this }}
        where order_id in (
            select deleted.order_id from {{ extract }} as deleted
            where deleted.record_type = 'deleted'
        )
    {%- endif -%}
{%- endmacro %}

{#- The month of a date column, as the marts group by it. -#}
{% macro tpch_month(date_column) -%}
    cast({{ dbt.date_trunc('month', date_column) }} as date)
{%- endmacro %}

{#
    The months (of `date_column`) an incremental mart recomputes, as a subquery: those of
    the facts' rows built after the mart's watermark (new and changed orders) and of the
    extract's tombstones landed after it (deleted orders; `tombstone_filter` picks the
    order or the line tombstones). None on a full build and when one of `dims` landed
    after the watermark.
#}
{% macro tpch_changed_months(date_column, facts, extract, tombstone_filter, dims) -%}
    {%- if not is_incremental() or tpch_dimensions_changed(dims) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set watermark = landed_watermark_literal('_landed_through') -%}
    {%- set changed -%}
        select {{ tpch_month(date_column) }} from {{ facts }}
        where _landed_through > {{ watermark }}
        union
        select {{ tpch_month(date_column) }} from {{ extract }}
        where
            record_type = 'deleted'
            and {{ tombstone_filter }}
            and _extracted_at > {{ watermark }}
    {%- endset -%}
    {{- return(changed) -}}
{%- endmacro %}

{#
    Post-hook of the incremental marts: the months no fact row (no shipped line, with
    `shipped_only`) falls in any more -- all their orders deleted -- which a delete+insert
    run cannot remove, as it finds no row for them.
#}
{% macro tpch_forget_empty_months(month_column, date_column, facts, shipped_only=false) -%}
    {%- if execute -%}
        delete from {{ this }}
        where {{ month_column }} not in (
            select distinct {{ tpch_month(date_column) }} from {{ facts }}
            where
                {{ date_column }} is not null
                {%- if shipped_only %}
                and line_status = 'F'
                {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}
