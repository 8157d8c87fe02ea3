-- Grain: one row per shop customer. A customer in several extract lines keeps the latest
-- one: the newest file (extracts are numbered), and within it the last line.
with customers as (

    select * from {{ ref('stg_shop__customers') }}

),

-- (a filter on a window in a subquery: QUALIFY is DuckDB's, not Trino's)
latest_first as (

    select
        *,
        row_number() over (
            partition by customer_id order by _file_sequence desc, _source_file desc, _line desc
        ) as recency
    from customers

),

final as (

    select
        customer_id,
        email,
        first_name,
        last_name,
        city,
        state,
        country,
        registration_date,
        segment,
        _source_file,
        _line
    from latest_first
    where recency = 1

)

select * from final
