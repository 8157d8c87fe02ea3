"""Every file of the tenant's shop landing zone, accounted for: an `extract` with its lines
and what became of its records, `ignored` with the reason, or `refused` (a link or a special
file, never opened) -- duckhouse.ingest.shop.zone_inventory decides which."""

from typing import Any

import duckdb

from duckhouse.ingest.files import confined_zone
from duckhouse.ingest.shop import zone_inventory

COLUMNS = (
    "file_path varchar, zone_path varchar, entity varchar, file_sequence bigint, "
    "status varchar, reason varchar, file_bytes bigint, physical_lines bigint"
)


def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    dbt.config(materialized="table")
    landed = [
        dbt.ref("landed_shop__customers"),
        dbt.ref("landed_shop__products"),
        dbt.ref("landed_shop__orders"),
    ]
    # the shop's zone under the tenant's landing root (dbt_project.yml), inside the sandbox only
    rows = zone_inventory(confined_zone(session, f"{dbt.config.meta_get('landing_root')}/shop"))
    session.execute(f"create or replace temp table shop_zone_files ({COLUMNS})")
    if rows:
        session.executemany(
            "insert into shop_zone_files values (?, ?, ?, ?, ?, ?, ?, ?)",
            [tuple(row.values()) for row in rows],
        )
    records = landed[0].select("_source_file, _status, _line_count")
    for relation in landed[1:]:
        records = records.union(relation.select("_source_file, _status, _line_count"))
    records.create_view("shop_zone_records", replace=True)
    return session.sql("""
        select
            files.*,
            coalesce(counts.records_landed, 0) as records_landed,
            coalesce(counts.records_rejected, 0) as records_rejected,
            coalesce(counts.record_lines, 0) as record_lines
        from shop_zone_files as files
        left join (
            select
                _source_file,
                count(*) filter (where _status = 'landed') as records_landed,
                count(*) filter (where _status = 'rejected') as records_rejected,
                sum(_line_count) as record_lines
            from shop_zone_records
            group by _source_file
        ) as counts on files.file_path = counts._source_file
    """)
