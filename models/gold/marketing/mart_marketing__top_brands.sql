-- Grain: one row per order month, market segment and brand rank (the top N brands by
-- revenue; N is the var top_brands_per_segment_month).
-- Incremental from PostgreSQL (delete+insert by month: the months of the orders added
-- or deleted since the last run; every month when a dimension was landed again), rebuilt
-- whole from files; see macros/tpch_incremental.sql.
{%- set facts = ref('fct_order_lines') %}
{%- set extract = ref('stg_tpch__order_extract') %}
{%- set dims = [(ref('dim_customer'), '_loaded_at'), (ref('dim_part'), '_loaded_at')] %}
{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='delete+insert',
        unique_key='order_month',
        post_hook="{{ tpch_forget_empty_months('order_month', 'order_date', ref('fct_order_lines')) }}",
    )
}}
{%- set changed = tpch_changed_months('order_date', facts, extract, 'line_number is null', dims) %}

with order_lines as (

    select * from {{ facts }}
    {%- if changed %}
    where {{ tpch_month('order_date') }} in ({{ changed }})
    {%- endif %}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

parts as (

    select * from {{ ref('dim_part') }}

),

brand_revenue as (

    select
        cast({{ dbt.date_trunc('month', 'order_lines.order_date') }} as date)
            as order_month,
        customers.market_segment,
        parts.brand,
        count(distinct order_lines.order_id) as order_count,
        sum(order_lines.quantity) as quantity,
        sum(order_lines.net_revenue) as net_revenue
    from order_lines
    -- many lines to one customer (customer_id is unique in dim_customer)
    inner join customers
        on order_lines.customer_id = customers.customer_id
    -- many lines to one part (part_id is unique in dim_part)
    inner join parts
        on order_lines.part_id = parts.part_id
    group by 1, 2, 3

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_month, market_segment
            order by net_revenue desc, brand asc
        ) as brand_rank,
        sum(net_revenue) over (partition by order_month, market_segment)
            as segment_net_revenue
    from brand_revenue

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        order_month,
        market_segment,
        brand_rank,
        brand,
        order_count,
        quantity,
        net_revenue,
        {{ safe_ratio('net_revenue', 'segment_net_revenue') }} as share_of_segment_revenue,
        {{ landed_through([(facts, '_landed_through'), (extract, '_extracted_at')] + dims) }}
            as _landed_through
    from ranked
    where brand_rank <= {{ var('top_brands_per_segment_month') }}

)

select * from final
