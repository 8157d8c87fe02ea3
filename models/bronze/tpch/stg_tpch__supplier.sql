{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='append',
        post_hook="{{ keep_latest_landing() }}",
    )
}}
{%- set fingerprint = tpch_source_fingerprint('supplier') %}

with source as (

    select * from {{ source('tpch', 'supplier') }}
    -- unchanged at the source since it was landed: nothing to land (tpch_table_unchanged)
    {%- if tpch_table_unchanged(fingerprint) %}
    where false
    {%- endif %}

),

renamed as (

    select
        cast(s_suppkey as bigint) as supplier_id,
        cast(s_name as varchar) as supplier_name,
        cast(s_address as varchar) as supplier_address,
        cast(s_nationkey as integer) as nation_id,
        cast(s_phone as varchar) as phone_number,
        cast(s_acctbal as decimal(15, 2)) as account_balance,
        cast(s_comment as varchar) as supplier_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at,
        cast({{ sql_strings([fingerprint]) if fingerprint else 'null' }} as varchar)
            as _source_fingerprint
    from source

)

select * from renamed
