-- Grain: one row per supplier.
with suppliers as (

    select * from {{ ref('stg_tpch__supplier') }}

),

nations as (

    select * from {{ ref('dim_nation') }}

),

final as (

    select
        suppliers.supplier_id,
        suppliers.supplier_name,
        suppliers.supplier_address,
        suppliers.phone_number,
        suppliers.account_balance,
        suppliers.nation_id,
        nations.nation_name,
        nations.region_id,
        nations.region_name,
        greatest(suppliers._loaded_at, nations._loaded_at) as _loaded_at
    from suppliers
    -- many suppliers to one nation (nation_id is unique in dim_nation)
    inner join nations
        on suppliers.nation_id = nations.nation_id

)

select * from final
