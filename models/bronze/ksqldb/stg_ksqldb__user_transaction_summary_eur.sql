-- The latest snapshot of ksqlDB's `user_transaction_summary_eur` table.
-- depends_on: {{ source('ksqldb', 'user_transaction_summary_eur') }}
-- depends_on: {{ ref('inventory_ksqldb__lake_files') }}
-- depends_on: {{ ref('ksqldb_feed_contract') }}
{{ ksqldb_table('user_transaction_summary_eur') }}
