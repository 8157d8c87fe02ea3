{#
    Sales per `period` ('week' or 'month', by its first day): orders, cancelled orders,
    units, revenue and customers, with growth against the previous period in the table.
    The weekly and monthly sales marts are this, per period; `average_order_value` adds
    revenue ÷ orders (orders not cancelled: a cancelled order is neither in the revenue nor
    in the count; null for a period with only cancelled orders).
    Incremental (the model configures it): the periods of the orders landed since its last
    run are aggregated again, the others' totals are its own; growth is computed over every
    period each run, so every row is written again.
#}
{% macro sales_per_period(period, average_order_value=false) -%}
    {%- set watermark = shop_watermark(['orders']) -%}
    {%- set period_start = "cast(" ~ dbt.date_trunc(period, 'orders.order_date') ~ " as date)" -%}
    {%- set totals = ['orders', 'cancelled_orders', 'units', 'revenue', 'customers'] -%}
    with orders as (

        {{ shop_orders_of_new_keys(period_start, watermark) }}

    ),

    per_period as (

        select
            {{ period_start }} as period_start,
            count(*) filter (where not orders.is_cancelled) as orders,
            count(*) filter (where orders.is_cancelled) as cancelled_orders,
            coalesce(sum(orders.quantity) filter (where not orders.is_cancelled), 0) as units,
            sum(orders.revenue) as revenue,
            count(distinct orders.customer_id) filter (where not orders.is_cancelled) as customers
        from orders
        group by {{ period_start }}
        {{ shop_kept_rows(
            period ~ '_start',
            ['kept.' ~ period ~ '_start as period_start'] + totals,
            'select ' ~ period_start ~ ' from orders',
            watermark,
        ) }}

    ),

    final as (

        select
            {{ tenant_id_literal() }} as tenant_id,
            period_start as {{ period }}_start,
            orders,
            cancelled_orders,
            units,
            {{ to_money('revenue') }} as revenue,
            customers,
            {%- if average_order_value %}
            {{ to_money('revenue / nullif(orders, 0)') }} as average_order_value,
            {%- endif %}
            {{ safe_ratio('revenue - lag(revenue) over (order by period_start)',
                          'lag(revenue) over (order by period_start)') }} as revenue_growth,
            {{ safe_ratio('orders - lag(orders) over (order by period_start)',
                          'lag(orders) over (order by period_start)') }} as orders_growth,
            {{ shop_through(['orders']) }} as _landed_through
        from per_period

    )

    select * from final
{%- endmacro %}
