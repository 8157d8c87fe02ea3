-- Grain: one row per event_id whose deliveries disagree: the same event delivered by two
-- or more exports with different values in a field of the feed's contract
-- (reference.ksqldb_feed_contract). An at-least-once duplicate carries the same content
-- and is not listed; columns beyond the contract (drift: an older export lacks them) are
-- not compared. fct_transaction_events keeps one delivery per event all the same, by its
-- rule for every duplicate: the earliest export, then the first file by path
-- (kept_source_file); this model says so, and what the other deliveries said.
-- depends_on: {{ ref('ksqldb_feed_contract') }}
{%- set stream = ref('stg_ksqldb__transaction_stream') %}
{%- set fields = [] %}
{%- for row in ksqldb_contract('transaction_stream') %}
    {%- if row[0] != 'event_id' %}{% do fields.append(row[0]) %}{% endif %}
{%- endfor %}
{%- set differs = [] %}
{%- for field in fields %}
    {%- do differs.append('compared.values_' ~ loop.index ~ ' > 1') %}
{%- endfor %}

with repeated as (

    select
        event_id,
        _source_file as kept_source_file
    from {{ ref('fct_transaction_events') }}
    where delivery_count > 1

),

deliveries as (

    select
        stream_rows.event_id,
        stream_rows._source_file,
        {%- for field in fields %}
        {%- set parts = field.split('.', 1) %}
        coalesce(
            cast({{ struct_field('stream_rows.' ~ parts[0], parts[1]) if parts | length > 1
                else 'stream_rows.' ~ field }} as varchar),
            '(null)'
        ) as field_{{ loop.index }},
        {%- endfor %}
        stream_rows._exported_at as exported_at
    from {{ stream }} as stream_rows
    -- one row per event in repeated (its key)
    inner join repeated
        on stream_rows.event_id = repeated.event_id

),

compared as (

    select
        event_id,
        count(*) as delivery_count,
        {%- for field in fields %}
        count(distinct field_{{ loop.index }}) as values_{{ loop.index }},
        {{ text_list('field_' ~ loop.index, ' | ', 'exported_at, _source_file') }}
            as delivered_{{ loop.index }},
        {%- endfor %}
        {{ text_list('_source_file', ' | ', 'exported_at, _source_file') }} as source_files
    from deliveries
    group by event_id

),

final as (

    select
        compared.event_id,
        compared.delivery_count,
        concat_ws(
            ', '
            {%- for field in fields %},
            case when compared.values_{{ loop.index }} > 1 then '{{ field }}' end
            {%- endfor %}
        ) as differing_columns,
        concat_ws(
            '; '
            {%- for field in fields %},
            case
                when compared.values_{{ loop.index }} > 1
                    then '{{ field }}: ' || compared.delivered_{{ loop.index }}
            end
            {%- endfor %}
        ) as delivered_values,
        compared.source_files,
        repeated.kept_source_file
    from compared
    -- one row per event on each side
    inner join repeated
        on compared.event_id = repeated.event_id
    where {{ differs | join(' or ') if differs else 'false' }}

)

select * from final
