-- Grain: one row per receipt month and ship mode. Only shipped lines (line status F)
-- count: an open line's receipt date is a plan, not a delivery.
-- Incremental from PostgreSQL (delete+insert by receipt month: those of the lines of the
-- orders added or deleted since the last run), rebuilt whole from files; see
-- macros/tpch_incremental.sql.
{%- set facts = ref('fct_order_lines') %}
{%- set extract = ref('stg_tpch__order_extract') %}
{%- set dims = [] %}
{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='delete+insert',
        unique_key='receipt_month',
        post_hook="{{ tpch_forget_empty_months('receipt_month', 'receipt_date', ref('fct_order_lines'), shipped_only=true) }}",
    )
}}
{%- set shipped_tombstones = "line_number is not null and line_status = 'F'" %}
{%- set changed = tpch_changed_months('receipt_date', facts, extract, shipped_tombstones, dims) %}

with order_lines as (

    select * from {{ facts }}
    {%- if changed %}
    where {{ tpch_month('receipt_date') }} in ({{ changed }})
    {%- endif %}

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
        average_days_late,
        {{ landed_through([(facts, '_landed_through'), (extract, '_extracted_at')] + dims) }}
            as _landed_through
    from aggregated

)

select * from final
