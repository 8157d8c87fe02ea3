-- Events the ksqlDB export delivered more than once with different content (a conflict,
-- not an at-least-once duplicate), with what differs. A warning, not an error: silver
-- keeps the earliest export's delivery, and fct_transaction_event_conflicts lists them.
{{ config(severity='warn') }}

select
    event_id,
    differing_columns,
    source_files
from {{ ref('fct_transaction_event_conflicts') }}
