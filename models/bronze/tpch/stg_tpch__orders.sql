with source as (

    select * from {{ source('tpch', 'orders') }}

),

renamed as (

    select
        cast(o_orderkey as bigint) as order_id,
        cast(o_custkey as bigint) as customer_id,
        cast(o_orderstatus as varchar) as order_status,
        cast(o_totalprice as decimal(15, 2)) as total_price,
        cast(o_orderdate as date) as order_date,
        cast(o_orderpriority as varchar) as order_priority,
        cast(o_clerk as varchar) as clerk_name,
        cast(o_shippriority as integer) as ship_priority,
        cast(o_comment as varchar) as order_comment,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at
    from source

)

select * from renamed
