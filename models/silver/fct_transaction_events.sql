-- Grain: one row per payment event (event_id). Deliveries of the same event (at-least-once
-- exports) collapse to the first one landed; delivery_count keeps how many there were.
-- Events count on the day they happened (event_time), whichever export delivered them.
{%- set known = [
    'event_id', 'user', 'payment', 'product', 'location', 'event_time', 'rowtime',
    '_source_file', '_partition_date', '_loaded_at',
] -%}
{%- set drift = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(ref('stg_ksqldb__transaction_stream')) -%}
        {%- if column.name not in known -%}{%- do drift.append(column.name) -%}{%- endif -%}
    {%- endfor -%}
{%- endif %}

with deliveries as (

    select * from {{ ref('stg_ksqldb__transaction_stream') }}

),

rates as (

    select * from {{ ref('currency_rates') }}

),

blacklist as (

    select * from {{ ref('blacklisted_cities') }}

),

ranked as (

    select
        *,
        struct_extract(user, 'user_id') as delivered_user_id,
        struct_extract(payment, 'amount') as delivered_amount,
        struct_extract(payment, 'currency') as delivered_currency,
        struct_extract(payment, 'method') as delivered_method,
        struct_extract(product, 'product_id') as delivered_product_id,
        struct_extract(location, 'city') as delivered_city,
        struct_extract(location, 'country') as delivered_country,
        count(*) over (partition by event_id) as delivery_count,
        row_number() over (
            partition by event_id order by _loaded_at, _source_file
        ) as delivery_rank
    from deliveries

),

first_delivery as (

    select * from ranked
    where delivery_rank = 1

),

final as (

    select
        first_delivery.event_id,
        cast(first_delivery.delivered_user_id as bigint) as user_id,
        cast(first_delivery.delivered_amount as decimal(12, 2)) as amount,
        cast(first_delivery.delivered_currency as varchar) as currency,
        cast(
            round(cast(first_delivery.delivered_amount as decimal(12, 2)) * rates.eur_per_unit, 2)
            as decimal(12, 2)
        ) as amount_eur,
        cast(first_delivery.delivered_method as varchar) as payment_method,
        cast(first_delivery.delivered_product_id as integer) as product_id,
        cast(first_delivery.delivered_city as varchar) as city,
        cast(first_delivery.delivered_country as varchar) as country,
        blacklist.city is not null as is_blacklisted_city,
        first_delivery.event_time,
        cast(first_delivery.event_time as date) as event_date,
        strptime(
            regexp_extract(first_delivery._source_file, 'data_(\d{8}_\d{6})\.parquet$', 1),
            '%Y%m%d_%H%M%S'
        ) as exported_at,
        strptime(
            regexp_extract(first_delivery._source_file, 'data_(\d{8}_\d{6})\.parquet$', 1),
            '%Y%m%d_%H%M%S'
        ) > first_delivery.event_time + interval 1 day as is_late_delivery,
        {%- for column in drift %}
        first_delivery.{{ adapter.quote(column) }},
        {%- endfor %}
        first_delivery.delivery_count,
        first_delivery._partition_date,
        first_delivery._source_file
    from first_delivery
    -- currency is the seed's key and blacklisted city is unique: neither join fans out
    left join rates
        on first_delivery.delivered_currency = rates.currency
    left join blacklist
        on first_delivery.delivered_city = blacklist.city

)

select * from final
