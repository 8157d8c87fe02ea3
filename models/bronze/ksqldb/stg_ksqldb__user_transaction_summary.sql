-- The latest snapshot of ksqlDB's `user_transaction_summary` table.
-- depends_on: {{ source('ksqldb', 'user_transaction_summary') }}
-- depends_on: {{ ref('inventory_ksqldb__lake_files') }}
-- depends_on: {{ ref('ksqldb_feed_contract') }}
{{ ksqldb_table('user_transaction_summary') }}
