-- Grain: one row per nation.
with nations as (

    select * from {{ ref('stg_tpch__nation') }}

),

regions as (

    select * from {{ ref('stg_tpch__region') }}

),

final as (

    select
        nations.nation_id,
        nations.nation_name,
        nations.region_id,
        regions.region_name,
        greatest(nations._loaded_at, regions._loaded_at) as _loaded_at
    from nations
    -- many nations to one region (region_id is unique in stg_tpch__region)
    inner join regions
        on nations.region_id = regions.region_id

)

select * from final
