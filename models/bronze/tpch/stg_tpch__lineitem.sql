-- The line rows of the extract (a view: orders and lines are landed together, once).
{{ config(materialized='view') }}

with extract_rows as (

    select * from {{ ref('stg_tpch__order_extract') }}

),

lines as (

    select
        order_id,
        line_number,
        part_id,
        supplier_id,
        quantity,
        extended_price,
        discount_rate,
        tax_rate,
        return_flag,
        line_status,
        ship_date,
        commit_date,
        receipt_date,
        ship_instructions,
        ship_mode,
        line_comment,
        _source_file,
        _extracted_at as _loaded_at
    from extract_rows
    where record_type = 'line'

)

select * from lines
