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

{#
    A fingerprint of a TPC-H table at the source: its row count and the sum of a hash of
    every row's text, computed by PostgreSQL itself (postgres_query), so an unchanged table
    is known without reading it into DuckDB. Read before the rows are: a change committed
    in between lands with the older fingerprint, and the next run lands it again. None at
    parse time and when the tenant reads landed files.
#}
{% macro tpch_source_fingerprint(table) -%}
    {%- if not execute or not tpch_from_postgres() -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- the tenant's database holds the tables under their TPC-H names, in public (the
        source's external_location) -#}
    {%- set relation = source('tpch', table) -%}
    {%- set query -%}
        select fingerprint from postgres_query(
            'tpch_pg',
            'select count(*)::text || '':'' || coalesce(sum(hashtext(t::text)::bigint), 0)::text
                as fingerprint
             from public."{{ relation.identifier }}" as t'
        )
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0]) -}}
{%- endmacro %}

{#
    True when an incremental run finds the source table as it was landed (the fingerprint
    stored with the landed rows): the model then lands nothing, and the rows, their load
    time and everything downstream that checks it stay as they are.
#}
{% macro tpch_table_unchanged(fingerprint) -%}
    {%- if fingerprint is none or not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set landed = run_query(
        "select max(_source_fingerprint) from " ~ this
    ).columns[0].values()[0] -%}
    {{- return(landed == fingerprint) -}}
{%- endmacro %}
