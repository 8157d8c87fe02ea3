-- Grain: one row per (part, supplier) pair.
with part_suppliers as (

    select * from {{ ref('stg_tpch__partsupp') }}

),

final as (

    select
        part_id,
        supplier_id,
        available_quantity,
        supply_cost,
        _loaded_at
    from part_suppliers

)

select * from final
