{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='append',
        post_hook="{{ keep_latest_landing() }}",
    )
}}
{%- set fingerprint = tpch_source_fingerprint('customer') %}

with source as (

    select * from {{ source('tpch', 'customer') }}
    -- unchanged at the source since it was landed: nothing to land (tpch_table_unchanged)
    {%- if tpch_table_unchanged(fingerprint) %}
    where false
    {%- endif %}

),

renamed as (

    select
        cast(c_custkey as bigint) as customer_id,
        cast(c_name as varchar) as customer_name,
        cast(c_address as varchar) as customer_address,
        cast(c_nationkey as integer) as nation_id,
        cast(c_phone as varchar) as phone_number,
        cast(c_acctbal as decimal(15, 2)) as account_balance,
        cast(c_mktsegment as varchar) as market_segment,
        cast(c_comment as varchar) as customer_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at,
        cast({{ sql_strings([fingerprint]) if fingerprint else 'null' }} as varchar)
            as _source_fingerprint
    from source

)

select * from renamed
