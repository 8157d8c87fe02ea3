-- Grain: one row per delivery of a payment event (event_id, _source_file): every row of
-- bronze's transaction_stream, with the amount in EUR (currency_rates, rounded to the cent),
-- the blacklisted-city flag and the late-delivery flag, ranked among the deliveries of the
-- same event that landed in the same bronze build (_loaded_at): delivery_rank 1 is the
-- earliest export, then the first file by path. fct_transaction_events merges the
-- first-ranked deliveries of each landing into one row per event.
-- A view: a build of the fact reads only the landings after its watermark, and the filter
-- on _loaded_at (a partition column of the ranking) reaches the stream's scan.
{%- set stream = ref('stg_ksqldb__transaction_stream') %}
{#- year, month, day: the partition columns Trino's bronze keeps (macros/ksqldb.sql) -#}
{%- set drift = ksqldb_drift_columns(stream, [
    'event_id', 'user', 'payment', 'product', 'location', 'event_time', 'rowtime',
    '_source_file', '_partition_date', '_loaded_at', '_file_signature', 'year', 'month', 'day',
] + ksqldb_typed_columns('transaction_stream') | map(attribute='name') | list) %}
{{ config(materialized='view') }}

with deliveries as (

    select * from {{ stream }}

),

rates as (

    select * from {{ ref('currency_rates') }}

),

blacklist as (

    select * from {{ ref('blacklisted_cities') }}

),

enriched as (

    select
        deliveries.event_id,
        deliveries.user_id,
        deliveries.amount,
        deliveries.currency,
        cast(round(deliveries.amount * rates.eur_per_unit, 2) as decimal(12, 2)) as amount_eur,
        deliveries.payment_method,
        deliveries.product_id,
        deliveries.city,
        deliveries.country,
        blacklist.city is not null as is_blacklisted_city,
        deliveries.event_time,
        cast(deliveries.event_time as date) as event_date,
        deliveries._exported_at as exported_at,
        deliveries._exported_at > deliveries.event_time + interval '1' day as is_late_delivery,
        {%- for column in drift %}
        deliveries.{{ adapter.quote(column) }},
        {%- endfor %}
        deliveries._partition_date,
        deliveries._source_file,
        deliveries._loaded_at
    from deliveries
    -- currency is the seed's key and blacklisted city is unique: neither join fans out
    left join rates
        on deliveries.currency = rates.currency
    left join blacklist
        on deliveries.city = blacklist.city

),

final as (

    select
        *,
        count(*) over (partition by event_id, _loaded_at) as landing_delivery_count,
        row_number() over (
            partition by event_id, _loaded_at order by exported_at, _source_file
        ) as delivery_rank
    from enriched

)

select * from final
