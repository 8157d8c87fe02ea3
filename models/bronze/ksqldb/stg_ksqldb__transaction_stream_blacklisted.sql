-- One row per delivered event of the `transaction_stream_blacklisted` export
-- (duplicates included: exactly-once is silver's job), appended file by file; the rows
-- of a file no longer valid as it was landed are deleted after (macros/ksqldb.sql).
-- depends_on: {{ source('ksqldb', 'transaction_stream_blacklisted') }}
-- depends_on: {{ ref('inventory_ksqldb__lake_files') }}
-- depends_on: {{ ref('ksqldb_feed_contract') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        post_hook="{{ ksqldb_forget_files('transaction_stream_blacklisted') }}",
    )
}}

{{ ksqldb_stream('transaction_stream_blacklisted') }}
