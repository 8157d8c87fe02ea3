{#
    Whether this target reads TPC-H from the tenant's PostgreSQL (attached read-only as
    `tpch_pg` by the tenant's profile) rather than from landed Parquet files.
#}
{% macro tpch_from_postgres() -%}
    {{- return('tpch_pg' in (target.attach or []) | map(attribute='alias') | list) -}}
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
        anti join (
            select order_id from {{ extract }} where record_type = 'order'
        ) as landed
            on source_orders.o_orderkey = landed.order_id
        where source_orders.o_orderkey <= {{ watermark }}
        order by source_orders.o_orderkey
        limit {{ limit + 1 }}
    {%- endset -%}
    {%- set keys = run_query(query).columns[0].values() | list -%}
    {{- return(none if keys | length > limit else keys) -}}
{%- endmacro %}
