{{ config(alias='revenue_monthly') }}

with monthly_revenue as (

    select * from {{ ref('mart_finance__monthly_revenue') }}

),

final as (

    select
        cast(tenant_id as varchar) as tenant_id,
        cast(order_month as date) as order_month,
        cast(nation_id as integer) as nation_id,
        cast(nation_name as varchar) as nation_name,
        cast(region_id as integer) as region_id,
        cast(region_name as varchar) as region_name,
        cast(order_count as bigint) as order_count,
        cast(line_count as bigint) as line_count,
        {{ to_money('gross_sales') }} as gross_sales,
        {{ to_money('discount_amount') }} as discount_amount,
        {{ to_money('net_revenue') }} as net_revenue,
        {{ to_money('tax_amount') }} as tax_amount,
        {{ to_money('supply_cost_amount') }} as supply_cost_amount,
        {{ to_money('gross_margin') }} as gross_margin,
        cast(gross_margin_rate as decimal(12, 4)) as gross_margin_rate,
        {{ to_money('average_order_value') }} as average_order_value,
        cast(open_order_count as bigint) as open_order_count,
        {{ to_money('receivables') }} as receivables
    from monthly_revenue

)

select * from final
