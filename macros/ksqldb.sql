{#
    The valid data files of a ksqlDB feed that the model has not landed as they are now
    (all of them on a full build), from the lake inventory (inventory_ksqldb__lake_files): a file
    landed before whose bytes changed (another sha256) is new again. A path is only ever
    pasted into SQL as a quoted literal (quotes doubled), and never one holding a glob
    character: the inventory quarantines those, and this refuses to go on if one came.
#}
{% macro ksqldb_new_files(feed, only_latest_version=false) -%}
    {#- at parse time, and for the linter's empty target, there is no inventory to read -#}
    {%- if not execute or load_relation(ref('inventory_ksqldb__lake_files')) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set compare = is_incremental() and ksqldb_has_signatures(this) -%}
    {%- set query -%}
        with valid as (

            {{ ksqldb_valid_files(feed) }}

        ){%- if compare %},

        landed as (

            {{ ksqldb_landed_files() }}

        ){%- endif %}

        select valid.file_path
        from valid
        {%- if compare %}
            left join landed
                on valid.file_path = landed._source_file
        {%- endif %}
        where
            true
            {%- if only_latest_version %}
                and valid.table_version = (select max(versions.table_version) from valid as versions)
            {%- endif %}
            {%- if compare %}
                and not {{ ksqldb_landed_as_valid() }}
            {%- endif %}
        order by valid.file_path
    {%- endset -%}
    {%- set files = run_query(query).columns[0].values() | list -%}
    {%- for file in files -%}
        {%- for character in ['*', '?', '[', ']', '{', '}'] -%}
            {%- if character in file -%}
                {{ exceptions.raise_compiler_error(
                    "ksqlDB: a path holding a glob character reached read_parquet: " ~ file) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{- return(files) -}}
{%- endmacro %}

{#- The valid data files of a feed in the lake inventory. -#}
{% macro ksqldb_valid_files(feed) -%}
    select
        files.file_path,
        files.file_signature,
        files.table_version
    from {{ ref('inventory_ksqldb__lake_files') }} as files
    where
        files.feed = '{{ feed }}'
        and files.file_kind = 'data'
        and files.status = 'valid'
{%- endmacro %}

{#-
    The files a stream has landed, each with the lowest and highest signature its rows
    carry and whether some carry none (grouped by file alone: a tenth of the cost of a
    distinct over both columns, on a year's rows).
-#}
{% macro ksqldb_landed_files() -%}
    select
        landed_rows._source_file,
        min(landed_rows._file_signature) as lowest_signature,
        max(landed_rows._file_signature) as highest_signature,
        count(landed_rows._file_signature) < count(*) as has_unsigned_rows
    from {{ this }} as landed_rows
    group by landed_rows._source_file
{%- endmacro %}

{#- Whether a landed file (`landed`) holds rows of exactly the valid version (`valid`). -#}
{% macro ksqldb_landed_as_valid() -%}
    coalesce(
        landed.lowest_signature = valid.file_signature
        and landed.highest_signature = valid.file_signature
        and not landed.has_unsigned_rows,
        false
    )
{%- endmacro %}

{#- Whether a landed stream records the signature of the file each row came from. -#}
{% macro ksqldb_has_signatures(relation) -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {{- return('_file_signature' in names) -}}
{%- endmacro %}

{#
    A stream landed 1:1: the columns the export files carry (new columns of later
    partitions included, `union_by_name`), the stream's typed columns (ksqldb_typed_columns),
    plus where each row came from: the file, its signature and its day partition (the
    inventory's, checked). Only files not landed yet are read; with none (a disabled feed),
    the result is empty with the contract's columns.
#}
{% macro ksqldb_stream(feed) -%}
    {{- return(adapter.dispatch('ksqldb_stream', 'duckhouse')(feed)) -}}
{%- endmacro %}

{% macro default__ksqldb_stream(feed) -%}
    {{- unsupported_adapter('ksqldb_stream') -}}
{%- endmacro %}

{% macro duckdb__ksqldb_stream(feed) -%}
    {%- set files = ksqldb_new_files(feed) -%}
    {%- if not files and is_incremental() -%}
        select * from {{ this }} where false
    {%- else -%}
        select
            delivered.* exclude (_ksqldb_file),
            {%- for column in ksqldb_typed_columns(feed) %}
            {{ ksqldb_typed_value(column, 'delivered', 'files.file_path') }} as {{ column.name }},
            {%- endfor %}
            files.file_path as _source_file,
            files.partition_date as _partition_date,
            {{ dbt.current_timestamp() }} as _loaded_at,
            files.file_signature as _file_signature
        from {{ ksqldb_files_relation(feed, files, union_by_name=true) }} as delivered
        -- file_path is the inventory's key: one row per file, no fan-out
        inner join {{ ref('inventory_ksqldb__lake_files') }} as files
            on delivered._ksqldb_file = files.file_path
    {%- endif -%}
{%- endmacro %}

{#
    After an incremental stream landed its new files (a post-hook, in the same
    transaction: DuckDB cannot alter a table a transaction already changed, and a drift
    column is added before the insert): the rows of files that are no longer valid as they
    were landed -- removed, replaced by other bytes (their new rows carry the new
    signature and stay), quarantined, their feed disabled or archived -- are deleted, so
    that the stream holds what a full build would. When any are, every row left gets this
    build's landing time: the models below then see an upstream rebuilt and recompute from
    it (upstream_kept, forget_stale_rows) instead of keeping what the deleted rows added.
#}
{% macro ksqldb_forget_files(feed) -%}
    {{- return(adapter.dispatch('ksqldb_forget_files', 'duckhouse')(feed)) -}}
{%- endmacro %}

{% macro default__ksqldb_forget_files(feed) -%}
    {{- unsupported_adapter('ksqldb_forget_files') -}}
{%- endmacro %}

{% macro trino__ksqldb_forget_files(feed) -%}
    {#- Trino lands every file of the feed's table on a full build; nothing to forget -#}
{%- endmacro %}

{% macro duckdb__ksqldb_forget_files(feed) -%}
    {%- if execute and is_incremental() -%}
        {%- if not ksqldb_has_signatures(this) -%}
            {#- landed before rows had signatures, and no valid file to land again -#}
            delete from {{ this }}
        {%- else -%}
            create or replace temp table ksqldb_forgotten__{{ feed }} as
            with valid as (

                {{ ksqldb_valid_files(feed) }}

            ),

            landed as (

                {{ ksqldb_landed_files() }}

            )

            select
                landed._source_file,
                valid.file_signature as kept_signature
            from landed
            left join valid
                on landed._source_file = valid.file_path
            where not {{ ksqldb_landed_as_valid() }};
            update {{ this }} set _loaded_at = {{ dbt.current_timestamp() }}
            where exists (select 1 from ksqldb_forgotten__{{ feed }});
            delete from {{ this }} as landed_rows
            where exists (
                select 1 from ksqldb_forgotten__{{ feed }} as forgotten
                where
                    forgotten._source_file = landed_rows._source_file
                    and (
                        forgotten.kept_signature is null
                        or landed_rows._file_signature is distinct from forgotten.kept_signature
                    )
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#
    A ksqlDB table landed 1:1 from its latest valid version only (earlier versions are kept
    by the export for a week; they are history, not state).
#}
{% macro ksqldb_table(feed) -%}
    {{- return(adapter.dispatch('ksqldb_table', 'duckhouse')(feed)) -}}
{%- endmacro %}

{% macro default__ksqldb_table(feed) -%}
    {{- unsupported_adapter('ksqldb_table') -}}
{%- endmacro %}

{% macro duckdb__ksqldb_table(feed) -%}
    {%- set files = ksqldb_new_files(feed, only_latest_version=true) -%}
    select
        delivered.* exclude (_ksqldb_file),
        files.table_version as _table_version,
        files.file_path as _source_file,
        {{ dbt.current_timestamp() }} as _loaded_at
    from {{ ksqldb_files_relation(feed, files) }} as delivered
    -- file_path is the inventory's key: one row per file, no fan-out
    inner join {{ ref('inventory_ksqldb__lake_files') }} as files
        on delivered._ksqldb_file = files.file_path
{%- endmacro %}

{#
    The given files of a feed as a relation, each row with the file it came from
    (`_ksqldb_file`). With no files (a disabled feed, nothing new), no rows with the
    contract's columns (reference.ksqldb_feed_contract): nothing is read, no folder listed.
#}
{% macro ksqldb_files_relation(feed, files, union_by_name=false) -%}
    {%- if files -%}
        read_parquet(
            [
                {%- for file in files %}
                '{{ file | replace("'", "''") }}'{{ "," if not loop.last }}
                {%- endfor %}
            ],
            hive_partitioning = false,
            {%- if union_by_name %}
            union_by_name = true,
            {%- endif %}
            filename = '_ksqldb_file'
        )
    {%- else -%}
        ({{ ksqldb_empty_relation(feed) }})
    {%- endif -%}
{%- endmacro %}

{#
    The contract of a feed (reference.ksqldb_feed_contract, in the columns' order): a list
    of (column, DuckDB type), struct fields as `struct.field`. Empty where no warehouse can
    be read (parse time, the linter's target, an offline compile).
#}
{% macro ksqldb_contract(feed) -%}
    {%- set contract = ref('ksqldb_feed_contract') -%}
    {%- if not execute or offline_compile() or load_relation(contract) is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select contract.column_name, contract.data_type
        from {{ contract }} as contract
        where contract.feed = '{{ feed }}'
        order by contract.ordinal
    {%- endset -%}
    {{- return(run_query(query).rows | map('list') | list) -}}
{%- endmacro %}

{#
    No rows, with the columns of a feed's contract (struct fields assembled into their
    struct) and `_ksqldb_file`.
#}
{% macro ksqldb_empty_relation(feed) -%}
    {%- set columns = {} -%}
    {%- set order = [] -%}
    {%- for row in ksqldb_contract(feed) -%}
        {%- set parts = row[0].split('.', 1) -%}
        {%- if parts[0] not in columns -%}
            {%- do order.append(parts[0]) -%}
            {%- do columns.update({parts[0]: []}) -%}
        {%- endif -%}
        {%- do columns[parts[0]].append((parts[1] if parts | length > 1 else none, row[1])) -%}
    {%- endfor %}
    select
        {%- for name in order %}
        {%- set fields = columns[name] %}
        {%- if fields[0][0] is none %}
        cast(null as {{ fields[0][1] }}) as {{ adapter.quote(name) }},
        {%- else %}
        cast(null as struct(
            {%- for field in fields %}{{ adapter.quote(field[0]) }} {{ field[1] }}{{ ", " if not loop.last }}{% endfor -%}
        )) as {{ adapter.quote(name) }},
        {%- endif %}
        {%- endfor %}
        cast(null as varchar) as _ksqldb_file
    where false
{%- endmacro %}

{#
    The feeds of the export, by kind (the same lists as duckhouse.ingest.ksqldb).
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

{% macro default__ksqldb_partition_date() -%}
    {{- unsupported_adapter('ksqldb_partition_date') -}}
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
        {%- for column in ksqldb_typed_columns(feed) %}
        {{ ksqldb_typed_value(column, none, '"$path"') }} as {{ column.name }},
        {%- endfor %}
        "$path" as _source_file,
        {{ ksqldb_partition_date() }} as _partition_date,
        {{ dbt.current_timestamp() }} as _loaded_at,
        cast(null as varchar) as _file_signature
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

{#
    The typed columns a stream's bronze model adds to the columns its files carry (staging
    casts, once, in bronze): each struct field of the contract (reference.ksqldb_feed_contract)
    as a column of its own, with the contract's type, and the export's time from the file's
    name (`data_YYYYMMDD_HHMMSS.parquet`). Only the raw `transaction_stream` nests its fields;
    the other streams are flat already. The names are those of `transaction_flattened`.
#}
{% macro ksqldb_typed_columns(feed) -%}
    {%- set unpacked = {
        'transaction_stream': [
            {'name': 'user_id', 'field': 'user.user_id', 'type': 'bigint'},
            {'name': 'user_name', 'field': 'user.name', 'type': 'varchar'},
            {'name': 'user_email', 'field': 'user.email', 'type': 'varchar'},
            {'name': 'amount', 'field': 'payment.amount', 'type': 'decimal(12, 2)'},
            {'name': 'currency', 'field': 'payment.currency', 'type': 'varchar'},
            {'name': 'payment_method', 'field': 'payment.method', 'type': 'varchar'},
            {'name': 'card_last4', 'field': 'payment.card_last4', 'type': 'varchar'},
            {'name': 'product_id', 'field': 'product.product_id', 'type': 'integer'},
            {'name': 'product_name', 'field': 'product.name', 'type': 'varchar'},
            {'name': 'city', 'field': 'location.city', 'type': 'varchar'},
            {'name': 'country', 'field': 'location.country', 'type': 'varchar'},
            {'name': '_exported_at', 'field': none, 'type': 'timestamp'},
        ],
    } -%}
    {{- return(unpacked.get(feed, [])) -}}
{%- endmacro %}

{#-
    The value of one typed column (ksqldb_typed_columns) of a delivered row: its struct
    field, cast (`row`: the row's alias, none for none), or the export time parsed from the
    path of the row's file (`file`).
-#}
{% macro ksqldb_typed_value(column, row, file) -%}
    {%- if column.field -%}
        {%- set struct, field = column.field.split('.', 1) -%}
        {%- set struct = (row ~ '.' if row else '') ~ adapter.quote(struct) -%}
        cast({{ struct_field(struct, field) }} as {{ column.type }})
    {%- else -%}
        {{ parse_timestamp(
            "regexp_extract(" ~ file ~ ", 'data_(\\d{8}_\\d{6})\\.parquet$', 1)",
            '%Y%m%d_%H%M%S'
        ) }}
    {%- endif -%}
{%- endmacro %}

{#
    A pre-hook of a stream with typed columns: a stream landed before it had them gets them
    (filled from the rows' own values and files), before the build appends to it, so that
    every row has them as a full build would write them. Nothing on any later build.
#}
{% macro ksqldb_add_typed_columns(feed) -%}
    {%- if execute and is_incremental() -%}
        {%- set have = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- set missing = [] -%}
        {%- for column in ksqldb_typed_columns(feed) if column.name not in have -%}
            {%- do missing.append(column) -%}
        {%- endfor -%}
        {%- for column in missing %}
        alter table {{ this }} add column {{ column.name }} {{ column.type }};
        {%- endfor %}
        {%- if missing %}
        update {{ this }} set
            {%- for column in missing %}
            {{ column.name }} = {{ ksqldb_typed_value(column, none, '_source_file') }}
            {{- "," if not loop.last }}
            {%- endfor %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
    The columns of `relation` that are not in `known`: the columns later exports of a feed
    added (schema drift), which silver carries through. None where no warehouse can be read
    (parse time, an offline compile) or `relation` is a unit test's fixture.
-#}
{% macro ksqldb_drift_columns(relation, known) -%}
    {%- set drift = [] -%}
    {%- if execute and not offline_compile() and relation is not string -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.name not in known -%}{%- do drift.append(column.name) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(drift) -}}
{%- endmacro %}
