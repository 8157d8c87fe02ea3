with source as (

    select * from {{ source('tpch', 'partsupp') }}

),

renamed as (

    select
        cast(ps_partkey as bigint) as part_id,
        cast(ps_suppkey as bigint) as supplier_id,
        cast(ps_availqty as integer) as available_quantity,
        cast(ps_supplycost as decimal(15, 2)) as supply_cost,
        cast(ps_comment as varchar) as part_supplier_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at
    from source

)

select * from renamed
