-- Grain: one row per user of the payment streams. Holds PII (name, e-mail): the facts
-- and the gold marts carry only user_id.
with deliveries as (

    select * from {{ ref('stg_ksqldb__transaction_stream') }}

),

latest_profile as (

    select
        cast(struct_extract(deliveries.user, 'user_id') as bigint) as user_id,
        cast(struct_extract(deliveries.user, 'name') as varchar) as user_name,
        cast(struct_extract(deliveries.user, 'email') as varchar) as user_email,
        deliveries.event_time
    from deliveries
    qualify row_number() over (
        partition by struct_extract(deliveries.user, 'user_id')
        order by deliveries.event_time desc, deliveries._source_file desc
    ) = 1

),

events as (

    select * from {{ ref('fct_transaction_events') }}

),

activity as (

    select
        user_id,
        count(*) as transaction_count,
        min(event_time) as first_event_at,
        max(event_time) as last_event_at
    from events
    group by user_id

),

final as (

    select
        latest_profile.user_id,
        latest_profile.user_name,
        latest_profile.user_email,
        activity.transaction_count,
        activity.first_event_at,
        activity.last_event_at
    from latest_profile
    -- one activity row per user
    inner join activity
        on latest_profile.user_id = activity.user_id

)

select * from final
