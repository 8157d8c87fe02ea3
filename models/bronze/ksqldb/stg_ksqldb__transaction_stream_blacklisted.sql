-- One row per delivered event of the `transaction_stream_blacklisted` export
-- (duplicates included: exactly-once is silver's job), appended file by file.
-- depends_on: {{ source('ksqldb', 'transaction_stream_blacklisted') }}
-- depends_on: {{ ref('stg_ksqldb__lake_files') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
    )
}}

{{ ksqldb_stream('transaction_stream_blacklisted') }}
