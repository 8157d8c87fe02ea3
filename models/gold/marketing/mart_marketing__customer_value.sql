-- Grain: one row per customer (customers who never ordered included, without scores).
with customers as (

    select * from {{ ref('dim_customer') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

rfm_segments as (

    select * from {{ ref('rfm_segments') }}

),

as_of as (

    -- recency is measured against the tenant's last order date, not the wall clock:
    -- TPC-H history ends in 1998, and a replayed history must score the same every day
    select max(order_date) as as_of_date from orders

),

customer_orders as (

    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as order_count,
        sum(net_revenue) as net_revenue
    from orders
    group by customer_id

),

scored as (

    select
        customer_orders.customer_id,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        customer_orders.order_count,
        customer_orders.net_revenue,
        {{ dbt.datediff('customer_orders.last_order_date', 'as_of.as_of_date', 'day') }}
            as recency_days,
        ntile(5) over (
            order by customer_orders.last_order_date asc, customer_orders.customer_id asc
        ) as recency_score,
        ntile(5) over (
            order by customer_orders.order_count asc, customer_orders.customer_id asc
        ) as frequency_score,
        ntile(5) over (
            order by customer_orders.net_revenue asc, customer_orders.customer_id asc
        ) as monetary_score
    from customer_orders
    cross join as_of

),

with_frequency_monetary as (

    select
        *,
        cast(floor((frequency_score + monetary_score + 1) / 2.0) as integer)
            as frequency_monetary_score
    from scored

),

segmented as (

    select
        with_frequency_monetary.*,
        rfm_segments.rfm_segment
    from with_frequency_monetary
    -- each score pair falls in exactly one segment (assert_rfm_segments_cover_the_grid)
    left join rfm_segments
        on
            with_frequency_monetary.recency_score
            between rfm_segments.recency_score_min and rfm_segments.recency_score_max
            and with_frequency_monetary.frequency_monetary_score
            between rfm_segments.frequency_monetary_score_min
            and rfm_segments.frequency_monetary_score_max

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        customers.customer_id,
        customers.customer_name,
        customers.market_segment,
        customers.nation_name,
        customers.region_name,
        segmented.customer_id is not null as has_ordered,
        segmented.first_order_date,
        segmented.last_order_date,
        segmented.recency_days,
        coalesce(segmented.order_count, 0) as order_count,
        coalesce(segmented.net_revenue, 0) as net_revenue,
        segmented.recency_score,
        segmented.frequency_score,
        segmented.monetary_score,
        segmented.frequency_monetary_score,
        coalesce(segmented.rfm_segment, 'No purchases') as rfm_segment
    from customers
    -- one customer to at most one scored row (segmented is one row per customer)
    left join segmented
        on customers.customer_id = segmented.customer_id

)

select * from final
