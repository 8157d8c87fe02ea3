-- Grain: one row per cohort (the month of a customer's first order that was not
-- cancelled) and month since then: how many of the cohort ordered in that month. Counted
-- from silver's customer months (int_shop__customer_months, incremental by customer), so
-- a build reads two small columns per customer and month, not the orders.
with customer_months as (

    select * from {{ ref('int_shop__customer_months') }}

),

activity as (

    select
        cohort_month,
        months_since_first_order,
        count(*) as active_customers
    from customer_months
    group by cohort_month, months_since_first_order

),

-- every customer of a cohort was active in its first month: month 0 is the cohort's size
cohort_sizes as (

    select
        cohort_month,
        active_customers as cohort_customers
    from activity
    where months_since_first_order = 0

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        activity.cohort_month,
        activity.months_since_first_order,
        cohort_sizes.cohort_customers,
        activity.active_customers,
        {{ safe_ratio('activity.active_customers', 'cohort_sizes.cohort_customers') }}
            as retention_rate
    from activity
    -- one size per cohort
    inner join cohort_sizes
        on activity.cohort_month = cohort_sizes.cohort_month

)

select * from final
