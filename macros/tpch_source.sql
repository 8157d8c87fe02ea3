{#
    Whether this target reads TPC-H from the tenant's PostgreSQL (attached read-only as
    `tpch_pg` by the tenant's profile) rather than from landed Parquet files.
#}
{% macro tpch_from_postgres() -%}
    {{- return(target.type == 'duckdb'
        and 'tpch_pg' in (target.attach or []) | map(attribute='alias') | list) -}}
{%- endmacro %}

{#
    Where a TPC-H row came from: the landed file (DuckDB adds `filename` to the source);
    on Trino, the table of the tenant's catalog.
#}
{% macro tpch_source_file(table) -%}
    {{- return(adapter.dispatch('tpch_source_file', 'duckhouse')(table)) -}}
{%- endmacro %}

{% macro default__tpch_source_file(table) -%}
    {{- unsupported_adapter('tpch_source_file') -}}
{%- endmacro %}

{% macro duckdb__tpch_source_file(table) -%}
    cast(filename as varchar)
{%- endmacro %}

{% macro trino__tpch_source_file(table) -%}
    cast('{{ source("tpch", table) }}' as varchar)
{%- endmacro %}

{#
    Order keys at or below the extract's watermark that the source holds and the extract
    does not: orders inserted out of key order, or deleted and inserted again. They are
    read by key in the next extract (None when there are too many to list: the extract
    then reads the orders in full). Only meaningful in an incremental run.
#}
{% macro tpch_unlanded_order_keys(extract, watermark, limit=10000) -%}
    {%- set query -%}
        select source_orders.o_orderkey
        from {{ source('tpch', 'orders') }} as source_orders
        where
            source_orders.o_orderkey <= {{ watermark }}
            and not exists (
                select 1 from {{ extract }} as landed
                where landed.record_type = 'order' and landed.order_id = source_orders.o_orderkey
            )
        order by source_orders.o_orderkey
        limit {{ limit + 1 }}
    {%- endset -%}
    {%- set keys = run_query(query).columns[0].values() | list -%}
    {{- return(none if keys | length > limit else keys) -}}
{%- endmacro %}
