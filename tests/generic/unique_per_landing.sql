{#
    The primary key (`combination_of_columns`) of an incremental model, checked in
    proportion to what a build adds rather than to the size of the table. The rows the
    newest build wrote (those with the largest `loaded_at`) have unique keys among
    themselves, and none of their keys is on an older row -- for a model that lands files
    (`file_column` given), cheaper and equivalent: none of the newest files had been
    landed before. Every build's rows were the newest once and passed then, so together
    the checks cover the whole table; a full refresh is one build, checked in full.
#}
{% test unique_per_landing(model, combination_of_columns, loaded_at, file_column=none) %}

    with newest_landing as (

        select max({{ loaded_at }}) as landed_at from {{ model }}

    ),

    newest as (

        select * from {{ model }}
        where {{ loaded_at }} = (select newest_landing.landed_at from newest_landing)

    ),

    older as (

        select * from {{ model }}
        where {{ loaded_at }} < (select newest_landing.landed_at from newest_landing)

    ),

    repeated_keys as (

        select
            'key repeated in the newest build: '
            || concat_ws(', ', {{ combination_of_columns | join(', ') }}) as failure,
            count(*) as row_count
        from newest
        group by {{ combination_of_columns | join(', ') }}
        having count(*) > 1

    ),

    {%- if file_column %}

    seen_before as (

        select
            'file landed again: ' || older.{{ file_column }} as failure,
            count(*) as row_count
        from older
        where older.{{ file_column }} in (select distinct newest.{{ file_column }} from newest)
        group by older.{{ file_column }}

    )
    {%- else %}

    newest_keys as (

        select distinct {{ combination_of_columns | join(', ') }} from newest

    ),

    seen_before as (

        -- null-safe: a key with a null part (an order's row has no line number) is a key
        select
            'key of the newest build on an older row: '
            || concat_ws(', ', older.{{ combination_of_columns | join(', older.') }}) as failure,
            count(*) as row_count
        from older
        inner join newest_keys
            on
            {%- for column in combination_of_columns %}
                {{ 'and ' if not loop.first }}older.{{ column }} is not distinct from newest_keys.{{ column }}
            {%- endfor %}
        group by older.{{ combination_of_columns | join(', older.') }}

    )
    {%- endif %}

    select * from repeated_keys
    union all
    select * from seen_before

{% endtest %}
