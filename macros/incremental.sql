{#
    Incremental models over an append-only upstream keep a watermark: a column holding the
    landing time of the newest upstream row each row reflects. A run reads only the
    upstream rows landed after the model's watermark.
#}
{% macro landed_watermark(column) -%}
    (select coalesce(max({{ column }}), cast('-infinity' as timestamptz)) from {{ this }})
{%- endmacro %}

{#
    True while the upstream still holds rows the model has already seen. False after the
    upstream was rebuilt (a --full-refresh of it alone lands every row again, with a new
    landing time): merging its rows into the current ones would then count them twice, so
    the models that merge drop their current rows and recompute from the upstream alone.
#}
{% macro upstream_kept(upstream, upstream_column, column) -%}
    exists (
        select 1 from {{ upstream }} as upstream_rows
        where upstream_rows.{{ upstream_column }} <= {{ landed_watermark(column) }}
    )
{%- endmacro %}

{#
    The filter of an incremental run: only upstream rows landed after the model's
    watermark (`_landed_through`); nothing on a full build.
#}
{% macro landed_since_last_run(column) -%}
    {%- if is_incremental() -%}
        where {{ column }} > {{ landed_watermark('_landed_through') }}
    {%- endif -%}
{%- endmacro %}

{#
    Additive incremental marts: the aggregates of the new rows (`batch`, with the same
    columns as the model) plus the model's current rows for the same keys, to be summed
    again per key. The current rows are left out when the upstream was rebuilt (see
    upstream_kept): then the batch is the whole upstream.
#}
{% macro with_current_rows(batch, keys, upstream, upstream_column='_first_landed_at') -%}
    select * from {{ batch }}
    {%- if is_incremental() %}
    union all by name
    select * from {{ this }} as current_rows
    where
        exists (
            select 1 from {{ batch }} as batch_keys
            where
                {%- for key in keys %}
                {{ "and " if not loop.first }}current_rows.{{ key }} = batch_keys.{{ key }}
                {%- endfor %}
        )
        and {{ upstream_kept(upstream, upstream_column, '_landed_through') }}
    {%- endif %}
{%- endmacro %}
