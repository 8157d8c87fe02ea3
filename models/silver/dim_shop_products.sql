-- Grain: one row per shop product. A product in several extract lines keeps the latest
-- one: the newest file (extracts are numbered), and within it the last line.
with products as (

    select * from {{ ref('stg_shop__products') }}

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
    from products
    qualify row_number() over (
        partition by product_id order by _source_file desc, _line desc
    ) = 1

)

select * from final
