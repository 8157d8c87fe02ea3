-- Grain: one row per order line (order_id, line_number).
-- Incremental from PostgreSQL (delete+insert by order: the lines of every order the
-- extract added or deleted since the last run; everything when the supply costs were
-- landed again), rebuilt whole from files; see macros/tpch_incremental.sql.
{%- set extract = ref('stg_tpch__order_extract') %}
{%- set dims = [(ref('dim_part_supplier'), '_loaded_at')] %}
{{
    config(
        materialized=('incremental' if tpch_from_postgres() else 'table'),
        incremental_strategy='delete+insert',
        unique_key='order_id',
        on_schema_change='fail',
        post_hook=[
            "{{ tpch_forget_deleted_orders(ref('stg_tpch__order_extract')) }}",
            "{{ forget_stale_rows(ref('stg_tpch__order_extract'), '_extracted_at', '_landed_through') }}",
        ],
    )
}}
{%- set changed = tpch_changed_orders(extract, dims) %}

with order_lines as (

    select * from {{ ref('stg_tpch__lineitem') }}
    {%- if changed %}
    where order_id in ({{ changed }})
    {%- endif %}

),

orders as (

    select * from {{ ref('stg_tpch__orders') }}
    {%- if changed %}
    where order_id in ({{ changed }})
    {%- endif %}

),

part_suppliers as (

    select * from {{ ref('dim_part_supplier') }}

),

lines_with_context as (

    select
        order_lines.order_id,
        order_lines.line_number,
        orders.customer_id,
        orders.order_date,
        orders.order_status,
        orders.order_priority,
        order_lines.part_id,
        order_lines.supplier_id,
        order_lines.quantity,
        order_lines.extended_price,
        order_lines.discount_rate,
        order_lines.tax_rate,
        order_lines.return_flag,
        order_lines.line_status,
        order_lines.ship_date,
        order_lines.commit_date,
        order_lines.receipt_date,
        order_lines.ship_mode,
        order_lines.ship_instructions,
        part_suppliers.supply_cost
    from order_lines
    -- many lines to one order (order_id is unique in stg_tpch__orders)
    inner join orders
        on order_lines.order_id = orders.order_id
    -- many lines to one part-supplier pair: the supply cost of the supplier that shipped
    -- the line, never of another supplier of the same part ((part_id, supplier_id) is
    -- unique in dim_part_supplier; a left join so that a missing pair fails not_null)
    left join part_suppliers
        on
            order_lines.part_id = part_suppliers.part_id
            and order_lines.supplier_id = part_suppliers.supplier_id

),

measured as (

    select
        *,
        extended_price * discount_rate as discount_amount,
        extended_price * (1 - discount_rate) as net_revenue,
        extended_price * (1 - discount_rate) * tax_rate as tax_amount,
        extended_price * (1 - discount_rate) * (1 + tax_rate) as charge_amount,
        supply_cost * quantity as supply_cost_amount,
        extended_price * (1 - discount_rate) - supply_cost * quantity as gross_margin,
        coalesce(receipt_date > commit_date, false) as is_late_delivery,
        coalesce(return_flag = 'R', false) as is_returned
    from lines_with_context

),

final as (

    select
        order_id,
        line_number,
        customer_id,
        order_date,
        order_status,
        order_priority,
        part_id,
        supplier_id,
        quantity,
        extended_price,
        discount_rate,
        tax_rate,
        return_flag,
        line_status,
        ship_date,
        commit_date,
        receipt_date,
        ship_mode,
        ship_instructions,
        supply_cost,
        discount_amount,
        net_revenue,
        tax_amount,
        charge_amount,
        supply_cost_amount,
        gross_margin,
        is_late_delivery,
        is_returned,
        {{ landed_through([(extract, '_extracted_at')] + dims) }} as _landed_through
    from measured

)

select * from final
