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
    {%- set files = ksqldb_new_files(feed) -%}
    {%- if not files and is_incremental() -%}
        select * from {{ this }} where false
    {%- else -%}
        select
            * exclude (year, month, day, filename),
            cast(filename as varchar) as _source_file,
            make_date(cast(year as integer), cast(month as integer), cast(day as integer))
                as _partition_date,
            {{ dbt.current_timestamp() }} as _loaded_at
        from {{ ksqldb_files_relation(feed, files, union_by_name=true) }}
    {%- endif -%}
{%- endmacro %}

{#
    A ksqlDB table landed 1:1 from its latest version only (earlier versions are kept by
    the export for a week; they are history, not state).
#}
{% macro ksqldb_table(feed) -%}
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
