-- Grain: one row per receipt month and ship mode. Only shipped lines (line status F)
-- count: an open line's receipt date is a plan, not a delivery.
with order_lines as (

    select * from {{ ref('fct_order_lines') }}

),

delivered as (

    select
        cast({{ dbt.date_trunc('month', 'receipt_date') }} as date) as receipt_month,
        ship_mode,
        is_late_delivery,
        {{ dbt.datediff('commit_date', 'receipt_date', 'day') }}
            as days_after_commit
    from order_lines
    where line_status = 'F'

),

aggregated as (

    select
        receipt_month,
        ship_mode,
        count(*) as delivered_line_count,
        sum(case when is_late_delivery then 1 else 0 end) as late_line_count,
        avg(case when is_late_delivery then days_after_commit end) as average_days_late
    from delivered
    group by receipt_month, ship_mode

),

final as (

    select
        {{ tenant_id_literal() }} as tenant_id,
        receipt_month,
        ship_mode,
        delivered_line_count,
        late_line_count,
        {{ safe_ratio('late_line_count', 'delivered_line_count') }} as late_delivery_rate,
        average_days_late
    from aggregated

)

select * from final
