-- The latest snapshot of ksqlDB's `user_transaction_summary` table.
-- depends_on: {{ source('ksqldb', 'user_transaction_summary') }}
-- depends_on: {{ ref('stg_ksqldb__lake_files') }}
{{ ksqldb_table('user_transaction_summary') }}
