with source as (

    select * from {{ source('tpch', 'region') }}

),

renamed as (

    select
        cast(r_regionkey as integer) as region_id,
        cast(r_name as varchar) as region_name,
        cast(r_comment as varchar) as region_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at
    from source

)

select * from renamed
