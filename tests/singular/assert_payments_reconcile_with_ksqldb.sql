-- The gold rebuilt from the streams equals ksqlDB's own tables (latest snapshots): any row
-- returned is a difference, with the table, key and metric named.
select
    table_name,
    table_key,
    metric,
    stream_value,
    ksqldb_value,
    difference
from {{ ref('mart_payments__ksqldb_reconciliation') }}
where difference != 0
