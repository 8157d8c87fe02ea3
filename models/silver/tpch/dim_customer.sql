-- Grain: one row per customer.
with customers as (

    select * from {{ ref('stg_tpch__customer') }}

),

nations as (

    select * from {{ ref('dim_nation') }}

),

final as (

    select
        customers.customer_id,
        customers.customer_name,
        customers.customer_address,
        customers.phone_number,
        customers.account_balance,
        customers.market_segment,
        customers.nation_id,
        nations.nation_name,
        nations.region_id,
        nations.region_name,
        greatest(customers._loaded_at, nations._loaded_at) as _loaded_at
    from customers
    -- many customers to one nation (nation_id is unique in dim_nation)
    inner join nations
        on customers.nation_id = nations.nation_id

)

select * from final
