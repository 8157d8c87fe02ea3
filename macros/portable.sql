{#
    SQL that DuckDB and Trino both run. The models use these where the engines' dialects
    differ; each macro says why. Trino versions are checked offline by `duckhouse trino
    check` (sqlglot's and sqlfluff's Trino parsers).
#}

{#
    The default__ of every dispatched macro of the project: DuckDB and Trino are the only
    engines it is written for, so any other adapter stops at compile time, naming the macro
    and the adapter, instead of running DuckDB's SQL on it.
#}
{% macro unsupported_adapter(macro_name) -%}
    {{- exceptions.raise_compiler_error(
        "duckhouse: " ~ macro_name ~ "() has no implementation for the adapter '"
        ~ adapter.type() ~ "' (only duckdb__ and trino__): write " ~ adapter.type() ~ "__"
        ~ macro_name ~ " beside the others"
    ) -}}
{%- endmacro %}

{#
    One row per (row of `relation`, metric column): `metric` (the column's name) and
    `value_name` (its value as decimal(18, 2)), with the given key columns. UNPIVOT is
    DuckDB's; a cross join with a list of the metrics is everyone's.
#}
{% macro metric_rows(relation, table_name, table_key, metrics, value_name) -%}
    select
        '{{ table_name }}' as table_name,
        {{ table_key }} as table_key,
        metrics.metric,
        case metrics.metric
            {%- for metric in metrics %}
            when '{{ metric }}' then cast(unpivoted.{{ metric }} as decimal(18, 2))
            {%- endfor %}
        end as {{ value_name }}
    from {{ relation }} as unpivoted
    cross join (values ('{{ metrics | join("'), ('") }}')) as metrics (metric)
{%- endmacro %}

{#
    The field of a struct (DuckDB) or row (Trino) column.
#}
{% macro struct_field(column, field) -%}
    {{- return(adapter.dispatch('struct_field', 'duckhouse')(column, field)) -}}
{%- endmacro %}

{% macro default__struct_field(column, field) -%}
    {{- unsupported_adapter('struct_field') -}}
{%- endmacro %}

{% macro duckdb__struct_field(column, field) -%}
    struct_extract({{ column }}, '{{ field }}')
{%- endmacro %}

{% macro trino__struct_field(column, field) -%}
    {{ column }}.{{ field }}
{%- endmacro %}

{#
    A timestamp parsed from text with a strftime format (%Y %m %d %H %M %S).
#}
{% macro parse_timestamp(text, format) -%}
    {{- return(adapter.dispatch('parse_timestamp', 'duckhouse')(text, format)) -}}
{%- endmacro %}

{% macro default__parse_timestamp(text, format) -%}
    {{- unsupported_adapter('parse_timestamp') -}}
{%- endmacro %}

{% macro duckdb__parse_timestamp(text, format) -%}
    strptime({{ text }}, '{{ format }}')
{%- endmacro %}

{#- Trino's date_parse writes minutes %i and seconds %s -#}
{% macro trino__parse_timestamp(text, format) -%}
    date_parse({{ text }}, '{{ format | replace("%M", "%i") | replace("%S", "%s") }}')
{%- endmacro %}

{#
    One row per day from `first_day` to `last_day` (columns of `relation`), as `day_column`.
#}
{% macro days_between(relation, first_day, last_day, day_column) -%}
    {{- return(adapter.dispatch('days_between', 'duckhouse')(relation, first_day, last_day, day_column)) -}}
{%- endmacro %}

{% macro default__days_between(relation, first_day, last_day, day_column) -%}
    {{- unsupported_adapter('days_between') -}}
{%- endmacro %}

{% macro duckdb__days_between(relation, first_day, last_day, day_column) -%}
    select cast(unnest(generate_series({{ first_day }}, {{ last_day }}, interval '1' day)) as date)
        as {{ day_column }}
    from {{ relation }}
{%- endmacro %}

{% macro trino__days_between(relation, first_day, last_day, day_column) -%}
    select days.{{ day_column }}
    from {{ relation }}
    cross join unnest(sequence({{ first_day }}, {{ last_day }}, interval '1' day))
        as days ({{ day_column }})
{%- endmacro %}

{#
    The values of a group as one text, separated and ordered: string_agg's ORDER BY is
    DuckDB's (and PostgreSQL's), Trino writes LISTAGG ... WITHIN GROUP.
#}
{% macro text_list(expression, separator, order_by) -%}
    {{- return(adapter.dispatch('text_list', 'duckhouse')(expression, separator, order_by)) -}}
{%- endmacro %}

{% macro default__text_list(expression, separator, order_by) -%}
    {{- unsupported_adapter('text_list') -}}
{%- endmacro %}

{% macro duckdb__text_list(expression, separator, order_by) -%}
    string_agg({{ expression }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}

{% macro trino__text_list(expression, separator, order_by) -%}
    listagg({{ expression }}, '{{ separator }}') within group (order by {{ order_by }})
{%- endmacro %}
