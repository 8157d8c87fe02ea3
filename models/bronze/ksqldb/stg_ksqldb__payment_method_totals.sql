-- The latest snapshot of ksqlDB's `payment_method_totals` table.
-- depends_on: {{ source('ksqldb', 'payment_method_totals') }}
-- depends_on: {{ ref('inventory_ksqldb__lake_files') }}
-- depends_on: {{ ref('ksqldb_feed_contract') }}
{{ ksqldb_table('payment_method_totals') }}
