{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='append',
        post_hook="{{ keep_latest_landing() }}",
    )
}}
{%- set fingerprint = tpch_source_fingerprint('nation') %}

with source as (

    select * from {{ source('tpch', 'nation') }}
    -- unchanged at the source since it was landed: nothing to land (tpch_table_unchanged)
    {%- if tpch_table_unchanged(fingerprint) %}
    where false
    {%- endif %}

),

renamed as (

    select
        cast(n_nationkey as integer) as nation_id,
        cast(n_name as varchar) as nation_name,
        cast(n_regionkey as integer) as region_id,
        cast(n_comment as varchar) as nation_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at,
        cast({{ sql_strings([fingerprint]) if fingerprint else 'null' }} as varchar)
            as _source_fingerprint
    from source

)

select * from renamed
