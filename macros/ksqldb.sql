{#
    The valid files of a ksqlDB feed that the model has not landed yet (all of them on a
    full build), from the lake inventory stg_ksqldb__lake_files.
#}
{% macro ksqldb_new_files(feed, only_latest_version=false) -%}
    {#- at parse time, and for the linter's empty target, there is no inventory to read -#}
    {%- if not execute or load_relation(ref('stg_ksqldb__lake_files')) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select files.file_path
        from {{ ref('stg_ksqldb__lake_files') }} as files
        where files.feed = '{{ feed }}' and files.status = 'valid'
        {%- if only_latest_version %}
            and files.table_version = (
                select max(versions.table_version)
                from {{ ref('stg_ksqldb__lake_files') }} as versions
                where versions.feed = '{{ feed }}' and versions.status = 'valid'
            )
        {%- endif %}
        {%- if is_incremental() %}
            and files.file_path not in (select distinct landed._source_file from {{ this }} as landed)
        {%- endif %}
        order by files.file_path
    {%- endset -%}
    {{- return(run_query(query).columns[0].values() | list) -}}
{%- endmacro %}

{#
    A stream landed 1:1: the columns the export files carry (new columns of later
    partitions included, `union_by_name`), plus where each row came from. Only files not
    landed yet are read; with none (a disabled feed), the result is empty with the feed's
    columns.
#}
{% macro ksqldb_stream(feed) -%}
    {{- return(adapter.dispatch('ksqldb_stream', 'duckhouse')(feed)) -}}
{%- endmacro %}

{% macro duckdb__ksqldb_stream(feed) -%}
    {%- set files = ksqldb_new_files(feed) -%}
    {%- if not files and is_incremental() -%}
        select * from {{ this }} where false
    {%- else -%}
        select
            * exclude (year, month, day, filename),
            cast(filename as varchar) as _source_file,
            {{ ksqldb_partition_date() }} as _partition_date,
            {{ dbt.current_timestamp() }} as _loaded_at
        from {{ ksqldb_files_relation(feed, files, union_by_name=true) }}
    {%- endif -%}
{%- endmacro %}

{#
    A ksqlDB table landed 1:1 from its latest version only (earlier versions are kept by
    the export for a week; they are history, not state).
#}
{% macro ksqldb_table(feed) -%}
    {{- return(adapter.dispatch('ksqldb_table', 'duckhouse')(feed)) -}}
{%- endmacro %}

{% macro duckdb__ksqldb_table(feed) -%}
    {%- set files = ksqldb_new_files(feed, only_latest_version=true) -%}
    select
        * exclude (version, filename),
        cast(replace(cast(version as varchar), 'v', '') as integer) as _table_version,
        cast(filename as varchar) as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at
    from {{ ksqldb_files_relation(feed, files, hive_types_autocast=false) }}
{%- endmacro %}

{#
    The given files of a feed as a relation; with no files (a disabled feed, nothing new),
    the feed's source with no rows, so that the columns are still the feed's.
#}
{% macro ksqldb_files_relation(feed, files, union_by_name=false, hive_types_autocast=true) -%}
    {%- if files -%}
        read_parquet(
            [{% for file in files %}'{{ file }}'{{ ", " if not loop.last }}{% endfor %}],
            hive_partitioning = true,
            {%- if union_by_name %}
            union_by_name = true,
            {%- endif %}
            {%- if not hive_types_autocast %}
            hive_types_autocast = false,
            {%- endif %}
            filename = true
        )
    {%- else -%}
        (select * from {{ source('ksqldb', feed) }} where false)
    {%- endif -%}
{%- endmacro %}

{#
    The feeds of the export, by kind (the same lists as duckhouse.landing.ksqldb).
#}
{% macro ksqldb_feeds() -%}
    {{- return({
        'stream': ['transaction_stream', 'transaction_flattened',
                   'transaction_stream_anonymized', 'transaction_stream_blacklisted'],
        'table': ['user_transaction_summary', 'user_transaction_summary_eur',
                  'payment_method_totals', 'product_purchase_counts'],
    }) -}}
{%- endmacro %}

{#- The day partition of a stream file, from its year=/month=/day= folders. -#}
{% macro ksqldb_partition_date() -%}
    {{- return(adapter.dispatch('ksqldb_partition_date', 'duckhouse')()) -}}
{%- endmacro %}

{% macro duckdb__ksqldb_partition_date() -%}
    make_date(cast(year as integer), cast(month as integer), cast(day as integer))
{%- endmacro %}

{% macro trino__ksqldb_partition_date() -%}
    date_add('day', cast(day as integer) - 1, date_add('month', cast(month as integer) - 1,
        date_add('year', cast(year as integer) - 1970, date '1970-01-01')))
{%- endmacro %}

{#
    On Trino a feed is a table of the tenant's catalog over the export's files
    (landing_ksqldb.<feed>, partitioned by year/month/day or version: docs/trino.md);
    `"$path"` is the file a row came from. The partition columns stay (Trino has no
    `* exclude`); an incremental run appends the files it has not landed yet.
#}
{% macro trino__ksqldb_stream(feed) -%}
    select
        *,
        "$path" as _source_file,
        {{ ksqldb_partition_date() }} as _partition_date,
        {{ dbt.current_timestamp() }} as _loaded_at
    from {{ source('ksqldb', feed) }}
    {%- if is_incremental() %}
    where "$path" not in (select landed._source_file from {{ this }} as landed)
    {%- endif %}
{%- endmacro %}

{% macro trino__ksqldb_table(feed) -%}
    select
        *,
        cast(replace(cast(version as varchar), 'v', '') as integer) as _table_version,
        "$path" as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at
    from {{ source('ksqldb', feed) }}
    where
        cast(replace(cast(version as varchar), 'v', '') as integer) = (
            select max(cast(replace(cast(versions.version as varchar), 'v', '') as integer))
            from {{ source('ksqldb', feed) }} as versions
        )
{%- endmacro %}
