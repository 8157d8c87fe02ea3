-- Grain: one row per shop product. A product in several extract lines keeps the latest
-- one: the newest file (extracts are numbered), and within it the last line.
-- Incremental: the product_ids of the lines loaded since its last run, from all their lines.
-- depends_on: {{ ref('landed_shop__products') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='product_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['products']) }}",
        post_hook="{{ shop_finish_run(['products']) }}",
    )
}}
{%- set watermark = shop_watermark(['products']) %}

with products as (

    select * from {{ ref('stg_shop__products') }}
    {%- if watermark is not none %}
    where product_id in (
        -- every new line, also one that breaks a rule (see fct_shop_orders)
        select changed.product_id from {{ ref('landed_shop__products') }} as changed
        where changed._loaded_at > {{ watermark }}
    )
    {%- endif %}

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
        _line,
        {{ shop_through(['products']) }} as _landed_through
    from latest_first
    where recency = 1

)

select * from final
