-- Grain: one row per shop customer. A customer in several extract lines keeps the latest
-- one: the newest file (extracts are numbered), and within it the last line.
-- Incremental: the customer_ids of the lines loaded since its last run, from all their lines.
-- depends_on: {{ ref('landed_shop__customers') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_id',
        on_schema_change='append_new_columns',
        pre_hook="{{ shop_start_run(['customers']) }}",
        post_hook="{{ shop_finish_run(['customers']) }}",
    )
}}
{%- set watermark = shop_watermark(['customers']) %}

with customers as (

    select * from {{ ref('stg_shop__customers') }}
    {%- if watermark is not none %}
    where customer_id in (
        -- every new line, also one that breaks a rule (see fct_shop_orders)
        select changed.customer_id from {{ ref('landed_shop__customers') }} as changed
        where changed._loaded_at > {{ watermark }}
    )
    {%- endif %}

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
        _line,
        {{ shop_through(['customers']) }} as _landed_through
    from latest_first
    where recency = 1

)

select * from final
