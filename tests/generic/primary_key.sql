{#
    `column_name` is the model's primary key: present on every row and on no two rows. One
    query (a grouping, the null group included) instead of a unique and a not_null test:
    one scan of the table and one test node less per model.
#}
{% test primary_key(model, column_name) %}

    with grouped as (

        select
            {{ column_name }} as key_value,
            count(*) as row_count
        from {{ model }}
        group by {{ column_name }}

    )

    select * from grouped
    where key_value is null or row_count > 1

{% endtest %}
