{#
    Sales per `period` ('week' or 'month', by its first day): orders, cancelled orders,
    units, revenue and customers, with growth against the previous period in the table.
    The weekly and monthly sales marts are this, per period; `average_order_value` adds
    revenue ÷ orders (orders not cancelled: a cancelled order is neither in the revenue nor
    in the count; null for a period with only cancelled orders).
#}
{% macro sales_per_period(period, average_order_value=false) -%}
    with orders as (

        select * from {{ ref('fct_shop_orders') }}

    ),

    per_period as (

        select
            cast(date_trunc('{{ period }}', order_date) as date) as period_start,
            count(*) filter (where not is_cancelled) as orders,
            count(*) filter (where is_cancelled) as cancelled_orders,
            coalesce(sum(quantity) filter (where not is_cancelled), 0) as units,
            sum(revenue) as revenue,
            count(distinct customer_id) filter (where not is_cancelled) as customers
        from orders
        group by cast(date_trunc('{{ period }}', order_date) as date)

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
                          'lag(orders) over (order by period_start)') }} as orders_growth
        from per_period

    )

    select * from final
{%- endmacro %}
