with source as (

    select * from {{ source('tpch', 'nation') }}

),

renamed as (

    select
        cast(n_nationkey as integer) as nation_id,
        cast(n_name as varchar) as nation_name,
        cast(n_regionkey as integer) as region_id,
        cast(n_comment as varchar) as nation_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at
    from source

)

select * from renamed
