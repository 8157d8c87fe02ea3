-- The order rows of the extract (a view: orders and lines are landed together, once).
{{ config(materialized='view') }}

with extract_rows as (

    select * from {{ ref('stg_tpch__order_extract') }}

),

orders as (

    select
        order_id,
        customer_id,
        order_status,
        total_price,
        order_date,
        order_priority,
        clerk_name,
        ship_priority,
        order_comment,
        _source_file,
        _extracted_at as _loaded_at
    from extract_rows
    where record_type = 'order'

)

select * from orders
