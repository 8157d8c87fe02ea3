{#
    The combination of `combination_of_columns` is unique: the grain of a model whose
    primary key spans several columns.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    with grouped as (

        select
            {{ combination_of_columns | join(', ') }},
            count(*) as row_count
        from {{ model }}
        group by {{ combination_of_columns | join(', ') }}

    )

    select * from grouped
    where row_count > 1

{% endtest %}
