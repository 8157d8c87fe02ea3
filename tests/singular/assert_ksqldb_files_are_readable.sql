-- Files of the ksqlDB lake that could not be landed (a layout rule, empty, not Parquet,
-- the feed's schema contract, a malformed metadata file or feed definition), with the
-- path and the reason (docs/sources.md). A warning, not an error: the other files and
-- feeds are landed, and the build says which files it skipped.
{{ config(severity='warn') }}

select
    lake_path,
    feed,
    reason
from {{ ref('inventory_ksqldb__lake_files') }}
where status = 'quarantined'
