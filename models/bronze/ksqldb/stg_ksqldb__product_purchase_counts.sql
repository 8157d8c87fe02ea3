-- The latest snapshot of ksqlDB's `product_purchase_counts` table.
-- depends_on: {{ source('ksqldb', 'product_purchase_counts') }}
-- depends_on: {{ ref('inventory_ksqldb__lake_files') }}
-- depends_on: {{ ref('ksqldb_feed_contract') }}
{{ ksqldb_table('product_purchase_counts') }}
