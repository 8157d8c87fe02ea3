with source as (

    select * from {{ source('tpch', 'part') }}

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
        {{ dbt.current_timestamp() }} as _loaded_at
    from source

)

select * from renamed
