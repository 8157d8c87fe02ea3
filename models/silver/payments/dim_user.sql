-- Grain: one row per user of the payment streams, with the profile (name, e-mail) of their
-- latest event. Holds PII: the facts and the gold marts carry only user_id.
-- Incremental: a run adds the events first landed since the last one; a newer event
-- brings its profile.
{%- set events = ref('fct_transaction_events') %}
{{
    config(
        materialized='incremental',
        unique_key='user_id',
        incremental_strategy='delete+insert',
        post_hook="{{ forget_stale_rows(ref('fct_transaction_events'), '_first_landed_at', '_landed_through') }}",
    )
}}

with new_events as (

    select * from {{ events }}
    {{ landed_since_last_run('_first_landed_at') }}

),

-- the profiles are in the raw deliveries only (silver keeps no PII)
new_deliveries as (

    select * from {{ ref('stg_ksqldb__transaction_stream') }}
    {{ landed_since_last_run('_loaded_at') }}

),

new_profiles as (

    select
        new_events.user_id,
        new_deliveries.user_name,
        new_deliveries.user_email,
        new_events.event_time
    from new_events
    -- the first delivery of each event: one row per event
    inner join new_deliveries
        on
            new_events.event_id = new_deliveries.event_id
            and new_events._source_file = new_deliveries._source_file

),

batch as (

    select
        user_id,
        count(*) as transaction_count,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at,
        max(_first_landed_at) as _landed_through
    from new_events
    group by user_id

),

activity as (

    {{ with_current_rows('batch', ['user_id'], events) }}

),

-- the profile of each user's latest event: the new ones, or the one the row holds
profiles as (

    select
        user_id,
        user_name,
        user_email,
        event_time as profile_event_at
    from new_profiles
    {%- if is_incremental() %}

    union all

    select
        user_id,
        user_name,
        user_email,
        last_event_at as profile_event_at
    from activity
    where user_name is not null
    {%- endif %}

),

ranked_profiles as (

    select
        *,
        row_number() over (
            partition by user_id order by profile_event_at desc, user_email desc, user_name desc
        ) as recency
    from profiles

),

latest_profiles as (

    select
        user_id,
        user_name,
        user_email,
        profile_event_at
    from ranked_profiles
    where recency = 1

),

final as (

    select
        activity.user_id,
        latest_profiles.user_name,
        latest_profiles.user_email,
        sum(activity.transaction_count) as transaction_count,
        min(activity.first_event_at) as first_event_at,
        max(activity.last_event_at) as last_event_at,
        max(activity._landed_through) as _landed_through
    from activity
    -- one latest profile per user
    inner join latest_profiles
        on activity.user_id = latest_profiles.user_id
    group by activity.user_id, latest_profiles.user_name, latest_profiles.user_email

)

select * from final
