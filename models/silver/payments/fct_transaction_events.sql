-- Grain: one row per payment event (event_id). Deliveries of the same event (at-least-once
-- exports) collapse to the earliest export that delivered it; delivery_count keeps how
-- many deliveries there were. Events count on the day they happened (event_time),
-- whichever export delivered them.
-- The deliveries come typed, priced and ranked per landing (int_transaction_events_ranked);
-- this model merges: the first delivery of each landing, and on an incremental run the
-- event as built so far, into one row per event (the earliest export, then the first file
-- by path; every delivery counted). A run reads only the landings since the last one.
{%- set ranked = ref('int_transaction_events_ranked') -%}
{%- set drift = ksqldb_drift_columns(ranked, [
    'event_id', 'user_id', 'amount', 'currency', 'amount_eur', 'payment_method', 'product_id',
    'city', 'country', 'is_blacklisted_city', 'event_time', 'event_date', 'exported_at',
    'is_late_delivery', '_partition_date', '_source_file', '_loaded_at',
    'landing_delivery_count', 'delivery_rank',
]) | map('tojson') | list -%}
{%- set event_columns = [
    'event_id', 'user_id', 'amount', 'currency', 'amount_eur', 'payment_method',
    'product_id', 'city', 'country', 'is_blacklisted_city', 'event_time', 'event_date',
    'exported_at', 'is_late_delivery',
] + drift + ['_partition_date', '_source_file'] -%}
{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        post_hook="{{ forget_stale_rows(ref('stg_ksqldb__transaction_stream'), '_loaded_at', '_last_landed_at') }}",
        on_schema_change='append_new_columns',
    )
}}

with new_deliveries as (

    select
        {{ event_columns | join(', ') }},
        landing_delivery_count as delivery_count,
        _loaded_at as _first_landed_at,
        _loaded_at as _last_landed_at
    from {{ ranked }}
    where delivery_rank = 1
    {%- if is_incremental() %}
        and _loaded_at > {{ landed_watermark_literal('_last_landed_at') }}
    {%- endif %}

),

{%- if is_incremental() %}

-- the events the new deliveries belong to, as built so far (none if the stream was
-- rebuilt: then its deliveries are all new, and the current rows would count them twice);
-- a drift column new in this run is null in them (a unit test's `this` has them all)
{%- set built = event_columns | map('replace', '"', '') | list if this is string
    else adapter.get_columns_in_relation(this) | map(attribute='name') | list %}

current_events as (

    select
        {%- for column in event_columns %}
        {{ column if column | replace('"', '') in built else 'null as ' ~ column }},
        {%- endfor %}
        delivery_count,
        _first_landed_at,
        _last_landed_at
    from {{ this }}
    where
        event_id in (select new_deliveries.event_id from new_deliveries)
        and {{ upstream_kept(ref('stg_ksqldb__transaction_stream'), '_loaded_at', '_last_landed_at') }}

),
{%- endif %}

merged as (

    select * from new_deliveries
    {%- if is_incremental() %}
    union all
    select * from current_events
    {%- endif %}

),

-- (filters on windows are subqueries: QUALIFY is DuckDB's, not Trino's)
ranked_merged as (

    select
        {{ event_columns | join(', ') }},
        sum(delivery_count) over (partition by event_id) as delivery_count,
        min(_first_landed_at) over (partition by event_id) as _first_landed_at,
        max(_last_landed_at) over (partition by event_id) as _last_landed_at,
        row_number() over (partition by event_id order by exported_at, _source_file)
            as merge_rank
    from merged

),

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
        {{ column }},
        {%- endfor %}
        cast(delivery_count as bigint) as delivery_count,
        _partition_date,
        _source_file,
        _first_landed_at,
        _last_landed_at
    from ranked_merged
    where merge_rank = 1

)

select * from final
