-- Grain: one row per cohort (the month of a customer's first order that was not
-- cancelled) and month since then: how many of the cohort ordered in that month.
with orders as (

    select * from {{ ref('fct_shop_orders') }}
    where not is_cancelled

),

-- the month of each customer's first order not cancelled (silver keeps it per customer)
first_orders as (

    select
        customer_id,
        cast(date_trunc('month', first_order_date) as date) as cohort_month
    from {{ ref('int_shop__customer_orders') }}

),

activity as (

    select distinct
        orders.customer_id,
        first_orders.cohort_month,
        date_diff(
            'month', first_orders.cohort_month, cast(date_trunc('month', orders.order_date) as date)
        ) as months_since_first_order
    from orders
    -- one first order month per customer
    inner join first_orders
        on orders.customer_id = first_orders.customer_id

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_customers
    from first_orders
    group by cohort_month

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        activity.cohort_month,
        activity.months_since_first_order,
        cohort_sizes.cohort_customers,
        count(*) as active_customers,
        {{ safe_ratio('count(*)', 'cohort_sizes.cohort_customers') }} as retention_rate
    from activity
    -- one size per cohort
    inner join cohort_sizes
        on activity.cohort_month = cohort_sizes.cohort_month
    group by
        activity.cohort_month, activity.months_since_first_order, cohort_sizes.cohort_customers

)

select * from final
