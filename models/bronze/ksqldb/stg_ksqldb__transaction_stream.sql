-- One row per delivered event of the `transaction_stream` export
-- (duplicates included: exactly-once is silver's job), appended file by file; the rows
-- of a file no longer valid as it was landed are deleted after (macros/ksqldb.sql).
-- The nested structs as delivered, and each of their fields cast to its contract type as a
-- column of its own, with the export's time from the file name (ksqldb_typed_columns):
-- silver reads the typed columns and casts nothing.
-- depends_on: {{ source('ksqldb', 'transaction_stream') }}
-- depends_on: {{ ref('inventory_ksqldb__lake_files') }}
-- depends_on: {{ ref('ksqldb_feed_contract') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ ksqldb_add_typed_columns('transaction_stream') }}",
        post_hook="{{ ksqldb_forget_files('transaction_stream') }}",
    )
}}

{{ ksqldb_stream('transaction_stream') }}
