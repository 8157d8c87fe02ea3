{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='append',
        post_hook="{{ keep_latest_landing() }}",
    )
}}
{%- set fingerprint = tpch_source_fingerprint('part') %}

with source as (

    select * from {{ source('tpch', 'part') }}
    -- unchanged at the source since it was landed: nothing to land (tpch_table_unchanged)
    {%- if tpch_table_unchanged(fingerprint) %}
    where false
    {%- endif %}

),

renamed as (

    select
        cast(p_partkey as bigint) as part_id,
        cast(p_name as varchar) as part_name,
        cast(p_mfgr as varchar) as manufacturer,
        cast(p_brand as varchar) as brand,
        cast(p_type as varchar) as part_type,
        cast(p_size as integer) as part_size,
        cast(p_container as varchar) as container,
        cast(p_retailprice as decimal(15, 2)) as retail_price,
        cast(p_comment as varchar) as part_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at,
        cast({{ sql_strings([fingerprint]) if fingerprint else 'null' }} as varchar)
            as _source_fingerprint
    from source

)

select * from renamed
