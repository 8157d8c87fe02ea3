-- Grain: one row per shop product. A product in several extract lines keeps the latest
-- one: the newest file (extracts are numbered), and within it the last line.
with products as (

    select * from {{ ref('stg_shop__products') }}

),

-- (a filter on a window in a subquery: QUALIFY is DuckDB's, not Trino's)
latest_first as (

    select
        *,
        row_number() over (
            partition by product_id order by _file_sequence desc, _source_file desc, _line desc
        ) as recency
    from products

),

final as (

    select
        product_id,
        product_name,
        category,
        price,
        stock,
        _source_file,
        _line
    from latest_first
    where recency = 1

)

select * from final
