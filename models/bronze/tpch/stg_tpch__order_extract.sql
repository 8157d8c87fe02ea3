{#
    Orders and their lines, landed together by one statement so that they come from one
    snapshot of the source: DuckDB reads an attached PostgreSQL inside one REPEATABLE READ
    transaction per DuckDB transaction, so a refresh committed while the extract runs is
    either wholly in it or wholly out of it. stg_tpch__orders and stg_tpch__lineitem are
    views over this model; a build never pairs lines from one extract with orders from
    another.

    From PostgreSQL the model is incremental: a run reads the orders above the highest
    key landed so far with their lines (the refresh batch RF1 adds orders with new,
    higher keys), and any key at or below it that the source holds and the extract does
    not; orders the source no longer holds (RF2) stay as tombstones (`record_type =
    'deleted'`, the values as landed), so that the incremental models downstream know
    which months and customers they counted in. Which keys at or below the watermark
    changed is found by comparing fingerprints of buckets of keys, computed by PostgreSQL
    and DuckDB, and then the keys of the differing buckets only (tpch_changed_order_keys),
    before the extract's statement; when too many differ, the run reads every order and
    compares every key in the statement itself. An incremental run reads PostgreSQL by
    key through its indexes (tpch_key_reads), not in parallel ranges of pages: those
    read every page of lineitem to find the few rows above the watermark. Orders and lines are
    immutable once written, as in TPC-H; rows changed in place are picked up by
    `--full-refresh`. From landed files the model is rebuilt in full every time.
#}
{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='fail',
        pre_hook="{{ tpch_key_reads('start') }}",
        post_hook="{{ tpch_key_reads('finish') }}",
    )
}}

{%- set watermark = -1 -%}
{%- set changes = {'reread': [], 'deleted': []} -%}
{%- if execute and is_incremental() -%}
    {%- set watermark = run_query(
        "select coalesce(max(order_id), -1) from " ~ this
    ).columns[0].values()[0] -%}
    {%- set changes = tpch_changed_order_keys(this, watermark) -%}
{%- endif -%}
{%- set read_all = changes is none or not is_incremental() -%}
{%- set reread_keys = [] if read_all else changes['reread'] -%}
{%- set deleted_keys = [] if read_all else changes['deleted'] -%}

with

source_orders as (

    select * from {{ source('tpch', 'orders') }}
    {%- if not read_all %}
    where o_orderkey > {{ watermark }}
    {%- if reread_keys %}
    -- a separate branch: PostgreSQL gets each filter (an OR would not be pushed down)
    union all
    select * from {{ source('tpch', 'orders') }}
    where o_orderkey in ({{ reread_keys | join(', ') }})
    {%- endif %}
    {%- endif %}

),

source_lines as (

    select * from {{ source('tpch', 'lineitem') }}
    {%- if not read_all %}
    where l_orderkey > {{ watermark }}
    {%- if reread_keys %}
    -- a separate branch: PostgreSQL gets each filter (an OR would not be pushed down)
    union all
    select * from {{ source('tpch', 'lineitem') }}
    where l_orderkey in ({{ reread_keys | join(', ') }})
    {%- endif %}
    {%- endif %}

),

order_rows as (

    select
        'order' as record_type,
        cast(o_orderkey as bigint) as order_id,
        cast(o_custkey as bigint) as customer_id,
        cast(o_orderstatus as varchar) as order_status,
        cast(o_totalprice as decimal(15, 2)) as total_price,
        cast(o_orderdate as date) as order_date,
        cast(o_orderpriority as varchar) as order_priority,
        cast(o_clerk as varchar) as clerk_name,
        cast(o_shippriority as integer) as ship_priority,
        cast(o_comment as varchar) as order_comment,
        cast(null as integer) as line_number,
        cast(null as bigint) as part_id,
        cast(null as bigint) as supplier_id,
        cast(null as decimal(15, 2)) as quantity,
        cast(null as decimal(15, 2)) as extended_price,
        cast(null as decimal(15, 2)) as discount_rate,
        cast(null as decimal(15, 2)) as tax_rate,
        cast(null as varchar) as return_flag,
        cast(null as varchar) as line_status,
        cast(null as date) as ship_date,
        cast(null as date) as commit_date,
        cast(null as date) as receipt_date,
        cast(null as varchar) as ship_instructions,
        cast(null as varchar) as ship_mode,
        cast(null as varchar) as line_comment,
        {{ tpch_source_file('orders') }} as _source_file
    from source_orders

),

line_rows as (

    select
        'line' as record_type,
        cast(l_orderkey as bigint) as order_id,
        cast(null as bigint) as customer_id,
        cast(null as varchar) as order_status,
        cast(null as decimal(15, 2)) as total_price,
        cast(null as date) as order_date,
        cast(null as varchar) as order_priority,
        cast(null as varchar) as clerk_name,
        cast(null as integer) as ship_priority,
        cast(null as varchar) as order_comment,
        cast(l_linenumber as integer) as line_number,
        cast(l_partkey as bigint) as part_id,
        cast(l_suppkey as bigint) as supplier_id,
        cast(l_quantity as decimal(15, 2)) as quantity,
        cast(l_extendedprice as decimal(15, 2)) as extended_price,
        cast(l_discount as decimal(15, 2)) as discount_rate,
        cast(l_tax as decimal(15, 2)) as tax_rate,
        cast(l_returnflag as varchar) as return_flag,
        cast(l_linestatus as varchar) as line_status,
        cast(l_shipdate as date) as ship_date,
        cast(l_commitdate as date) as commit_date,
        cast(l_receiptdate as date) as receipt_date,
        cast(l_shipinstruct as varchar) as ship_instructions,
        cast(l_shipmode as varchar) as ship_mode,
        cast(l_comment as varchar) as line_comment,
        {{ tpch_source_file('lineitem') }} as _source_file
    from source_lines

),

{% if is_incremental() and (read_all or deleted_keys) -%}
{%- if read_all %}
-- orders landed before that the source no longer holds (RF2 deletes orders with their
-- lines): read in the same statement, hence the same snapshot, as the new rows
current_keys as (

    select o_orderkey as order_id
    from {{ source('tpch', 'orders') }}
    where o_orderkey <= {{ watermark }}

),

{% endif -%}
deleted_rows as (

    -- the order's rows as they were landed, marked deleted: downstream models recompute
    -- the months, customers and receipt months they counted in
    select
        'deleted' as record_type,
        landed.* exclude (record_type, _extracted_at, _extract_id)
    from {{ this }} as landed
    where
        landed.record_type in ('order', 'line')
        {%- if read_all %}
        and not exists (
            select 1 from current_keys
            where current_keys.order_id = landed.order_id
        )
        {%- else %}
        -- the deleted orders that tpch_changed_order_keys found
        and landed.order_id in ({{ deleted_keys | join(', ') }})
        {%- endif %}

),

{% endif -%}
extracted as (

    -- orders and lines have the same columns, in the same order
    select * from order_rows
    union all
    select * from line_rows
    {%- if is_incremental() and (read_all or deleted_keys) %}
    -- a deleted order's rows as landed, marked deleted (an incremental run: PostgreSQL)
    union all
    select * from deleted_rows
    {%- endif %}

)

select
    *,
    {{ dbt.current_timestamp() }} as _extracted_at,
    cast('{{ invocation_id }}' as varchar) as _extract_id
from extracted
