-- The latest snapshot of ksqlDB's `user_transaction_summary_eur` table.
-- depends_on: {{ source('ksqldb', 'user_transaction_summary_eur') }}
-- depends_on: {{ ref('stg_ksqldb__lake_files') }}
{{ ksqldb_table('user_transaction_summary_eur') }}
