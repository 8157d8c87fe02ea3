-- Grain: one row per order month, market segment and brand rank (the top N brands by
-- revenue; N is the var top_brands_per_segment_month).
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

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
        {{ safe_ratio('net_revenue', 'segment_net_revenue') }} as share_of_segment_revenue
    from ranked
    where brand_rank <= {{ var('top_brands_per_segment_month') }}

)

select * from final
