{#
    Money is decimal, never float. Every amount the marts and views expose goes through
    this cast so that DuckDB and Trino agree on its type.
#}
{% macro to_money(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}

{#
    A ratio of two amounts, null when the denominator is zero (never a division error).
#}
{% macro safe_ratio(numerator, denominator, scale=4) -%}
    cast(
        case
            when {{ denominator }} = 0 then null
            else cast({{ numerator }} as double) / cast({{ denominator }} as double)
        end as decimal(12, {{ scale }})
    )
{%- endmacro %}
