-- On Trino: the lake inventory from the feeds' tables in the tenant's catalog, one row per
-- file (Trino's "$path" and "$file_size"). Trino reads the files itself, so every file it
-- lists is `valid`: an unreadable file fails the build instead of being quarantined
-- (docs/trino.md); nothing is hashed or checked against the contract, and files that are
-- not in a feed's table are not listed. Enabled on Trino targets only.
{%- set feeds = ksqldb_feeds() %}

with files as (
{% for kind in ['stream', 'table'] %}{% for feed in feeds[kind] %}
    {{ 'union all' if not (kind == 'stream' and loop.first) }}
    select
        "$path" as file_path,
        '{{ feed }}' as feed,
        '{{ kind }}' as feed_kind,
        {{ ksqldb_partition_date() if kind == 'stream' else 'cast(null as date)' }}
            as partition_date,
        {{ "cast(replace(cast(version as varchar), 'v', '') as integer)" if kind == 'table'
            else 'cast(null as integer)' }} as table_version,
        "$file_size" as file_bytes,
        count(*) as row_count
    from {{ source('ksqldb', feed) }}
    group by 1, 2, 3, 4, 5, 6
{% endfor %}{% endfor %}
),

final as (

    select
        file_path,
        regexp_extract(file_path, '(streams|tables)/.*$') as lake_path,
        feed,
        feed_kind,
        'data' as file_kind,
        partition_date,
        table_version,
        date_parse(
            regexp_extract(file_path, '_(\d{8}_\d{6})\.parquet$', 1), '%Y%m%d_%H%i%s'
        ) as exported_at,
        cast(file_bytes as bigint) as file_bytes,
        cast(null as varchar) as file_signature,
        cast(row_count as bigint) as row_count,
        cast(null as varchar) as extra_columns,
        'valid' as status,
        cast(null as varchar) as reason,
        cast(null as varchar) as contract_version,
        {{ dbt.current_timestamp() }} as discovered_at,
        {{ dbt.current_timestamp() }} as checked_at
    from files

)

select * from final
