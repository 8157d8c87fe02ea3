-- Grain: one row per payment event (event_id). Deliveries of the same event (at-least-once
-- exports) collapse to the earliest export that delivered it; delivery_count keeps how
-- many deliveries there were. Events count on the day they happened (event_time),
-- whichever export delivered them.
-- Incremental: a run reads only the deliveries landed since the last one and merges them
-- into the events they belong to (a duplicate of an old event adds to its delivery_count).
{%- set stream = ref('stg_ksqldb__transaction_stream') -%}
{#- year, month, day: the partition columns Trino's bronze keeps (macros/ksqldb.sql) -#}
{%- set known = [
    'event_id', 'user', 'payment', 'product', 'location', 'event_time', 'rowtime',
    '_source_file', '_partition_date', '_loaded_at', '_file_signature', 'year', 'month', 'day',
] -%}
{%- set drift = [] -%}
{%- if execute and not offline_compile() -%}
    {%- for column in adapter.get_columns_in_relation(stream) -%}
        {%- if column.name not in known -%}{%- do drift.append(column.name) -%}{%- endif -%}
    {%- endfor -%}
{%- endif %}
{%- set event_columns = [
    'event_id', 'user_id', 'amount', 'currency', 'amount_eur', 'payment_method',
    'product_id', 'city', 'country', 'is_blacklisted_city', 'event_time', 'event_date',
    'exported_at', 'is_late_delivery',
] + drift | map('tojson') | list + [
    'delivery_count', '_partition_date', '_source_file', '_first_landed_at',
    '_last_landed_at',
] %}
{#- the columns of the built table: a drift column new in this run is null in its rows -#}
{%- set current_columns = [] -%}
{%- if execute and is_incremental() -%}
    {%- set built = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- for column in event_columns -%}
        {%- set name = column | replace('"', '') -%}
        {%- do current_columns.append(column if name in built else 'null as ' ~ column) -%}
    {%- endfor -%}
{%- endif %}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        post_hook="{{ forget_stale_rows(ref('stg_ksqldb__transaction_stream'), '_loaded_at', '_last_landed_at') }}",
        on_schema_change='append_new_columns',
    )
}}

with deliveries as (

    select * from {{ stream }}
    {%- if is_incremental() %}
        where _loaded_at > {{ landed_watermark('_last_landed_at') }}
    {%- endif %}

),

rates as (

    select * from {{ ref('currency_rates') }}

),

blacklist as (

    select * from {{ ref('blacklisted_cities') }}

),

unpacked as (

    select
        *,
        {{ struct_field('user', 'user_id') }} as delivered_user_id,
        {{ struct_field('payment', 'amount') }} as delivered_amount,
        {{ struct_field('payment', 'currency') }} as delivered_currency,
        {{ struct_field('payment', 'method') }} as delivered_method,
        {{ struct_field('product', 'product_id') }} as delivered_product_id,
        {{ struct_field('location', 'city') }} as delivered_city,
        {{ struct_field('location', 'country') }} as delivered_country,
        {{ parse_timestamp(
            "regexp_extract(_source_file, 'data_(\\d{8}_\\d{6})\\.parquet$', 1)",
            '%Y%m%d_%H%M%S'
        ) }} as delivered_exported_at
    from deliveries

),

ranked_deliveries as (

    select
        unpacked.event_id,
        cast(unpacked.delivered_user_id as bigint) as user_id,
        cast(unpacked.delivered_amount as decimal(12, 2)) as amount,
        cast(unpacked.delivered_currency as varchar) as currency,
        cast(
            round(cast(unpacked.delivered_amount as decimal(12, 2)) * rates.eur_per_unit, 2)
            as decimal(12, 2)
        ) as amount_eur,
        cast(unpacked.delivered_method as varchar) as payment_method,
        cast(unpacked.delivered_product_id as integer) as product_id,
        cast(unpacked.delivered_city as varchar) as city,
        cast(unpacked.delivered_country as varchar) as country,
        blacklist.city is not null as is_blacklisted_city,
        unpacked.event_time,
        cast(unpacked.event_time as date) as event_date,
        unpacked.delivered_exported_at as exported_at,
        unpacked.delivered_exported_at > unpacked.event_time + interval '1' day
            as is_late_delivery,
        {%- for column in drift %}
        unpacked.{{ adapter.quote(column) }},
        {%- endfor %}
        count(*) over (partition by unpacked.event_id) as delivery_count,
        unpacked._partition_date,
        unpacked._source_file,
        min(unpacked._loaded_at) over (partition by unpacked.event_id) as _first_landed_at,
        max(unpacked._loaded_at) over (partition by unpacked.event_id) as _last_landed_at,
        row_number() over (
            partition by unpacked.event_id
            order by unpacked.delivered_exported_at, unpacked._source_file
        ) as delivery_rank
    from unpacked
    -- currency is the seed's key and blacklisted city is unique: neither join fans out
    left join rates
        on unpacked.delivered_currency = rates.currency
    left join blacklist
        on unpacked.delivered_city = blacklist.city

),

-- (filters on windows are subqueries: QUALIFY is DuckDB's, not Trino's)
new_events as (

    select {{ event_columns | join(', ') }}
    from ranked_deliveries
    where delivery_rank = 1

),

{%- if is_incremental() %}

-- the events the new deliveries belong to, as built so far (none if the stream was
-- rebuilt: then its deliveries are all new, and the current rows would count them twice)
current_events as (

    select * from {{ this }}
    where
        event_id in (select new_events.event_id from new_events)
        and {{ upstream_kept(stream, '_loaded_at', '_last_landed_at') }}

),

merged as (

    select {{ event_columns | join(', ') }} from new_events
    union all
    select {{ current_columns | join(', ') }} from current_events

),

ranked_merged as (

    select
        {{ event_columns[:-5] | join(', ') }},
        sum(delivery_count) over (partition by event_id) as delivery_count,
        _partition_date,
        _source_file,
        min(_first_landed_at) over (partition by event_id) as _first_landed_at,
        max(_last_landed_at) over (partition by event_id) as _last_landed_at,
        row_number() over (partition by event_id order by exported_at, _source_file)
            as delivery_rank
    from merged

),

merged_events as (

    select {{ event_columns | join(', ') }}
    from ranked_merged
    where delivery_rank = 1

),
{%- endif %}

final as (

    select
        event_id,
        user_id,
        amount,
        currency,
        amount_eur,
        payment_method,
        product_id,
        city,
        country,
        is_blacklisted_city,
        event_time,
        event_date,
        exported_at,
        is_late_delivery,
        {%- for column in drift %}
        {{ adapter.quote(column) }},
        {%- endfor %}
        cast(delivery_count as bigint) as delivery_count,
        _partition_date,
        _source_file,
        _first_landed_at,
        _last_landed_at
    from {{ 'merged_events' if is_incremental() else 'new_events' }}

)

select * from final
