-- Every event delivered to bronze is in silver exactly once or accounted for as a
-- duplicate delivery: rows in bronze = sum of delivery_count in silver.
with bronze as (

    select count(*) as delivered
    from {{ ref('stg_ksqldb__transaction_stream') }}

),

silver as (

    select
        count(*) as events,
        coalesce(sum(delivery_count), 0) as delivered
    from {{ ref('fct_transaction_events') }}

)

select
    bronze.delivered as bronze_rows,
    silver.events as silver_events,
    silver.delivered as silver_deliveries
from bronze
cross join silver
where bronze.delivered != silver.delivered
