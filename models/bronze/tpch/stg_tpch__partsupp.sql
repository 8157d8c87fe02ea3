{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='append',
        post_hook="{{ keep_latest_landing() }}",
    )
}}
{%- set fingerprint = tpch_source_fingerprint('partsupp') %}

with source as (

    select * from {{ source('tpch', 'partsupp') }}
    -- unchanged at the source since it was landed: nothing to land (tpch_table_unchanged)
    {%- if tpch_table_unchanged(fingerprint) %}
    where false
    {%- endif %}

),

renamed as (

    select
        cast(ps_partkey as bigint) as part_id,
        cast(ps_suppkey as bigint) as supplier_id,
        cast(ps_availqty as integer) as available_quantity,
        cast(ps_supplycost as decimal(15, 2)) as supply_cost,
        cast(ps_comment as varchar) as part_supplier_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at,
        cast({{ sql_strings([fingerprint]) if fingerprint else 'null' }} as varchar)
            as _source_fingerprint
    from source

)

select * from renamed
