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
        regions.region_name
    from nations
    -- many nations to one region (region_id is unique in stg_tpch__region)
    inner join regions
        on nations.region_id = regions.region_id

)

select * from final
