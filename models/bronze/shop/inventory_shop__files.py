"""Every file of the tenant's shop landing zone, accounted for: an `extract` with its lines
and what became of its records, `ignored` with the reason, or `refused` (a link or a special
file, never opened) -- duckhouse.ingest.shop.zone_inventory decides which. A file the file
system says was not written since the last inventory (its stat key) keeps the line count
counted then: a daily build reads only the new and changed files."""

from typing import Any

import duckdb

from duckhouse.ingest.files import confined_zone
from duckhouse.ingest.shop import zone_inventory

COLUMNS = (
    "file_path varchar, zone_path varchar, entity varchar, file_sequence bigint, "
    "status varchar, reason varchar, file_bytes bigint, physical_lines bigint, stat_key varchar"
)


def _last_counts(session: duckdb.DuckDBPyConnection, this: Any) -> dict[str, tuple[str, int]]:
    """file -> (stat key, physical lines) of the last inventory; nothing on the first build
    or from a table built before it kept stat keys."""
    (kept,) = session.execute(
        "select count(*) from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? and column_name = 'stat_key'",
        [this.database, this.schema, this.identifier],
    ).fetchone()
    if not kept:
        return {}
    rows = session.execute(
        f"select file_path, stat_key, physical_lines from {this} "
        "where stat_key is not null and physical_lines is not null"
    ).fetchall()
    return {path: (key, lines) for path, key, lines in rows}


def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    dbt.config(materialized="table")
    landed = [
        dbt.ref("landed_shop__customers"),
        dbt.ref("landed_shop__products"),
        dbt.ref("landed_shop__orders"),
    ]
    # the shop's zone under the tenant's landing root (dbt_project.yml), inside the sandbox only
    zone = confined_zone(session, f"{dbt.config.meta_get('landing_root')}/shop")
    rows = zone_inventory(zone, _last_counts(session, dbt.this))
    session.execute(f"create or replace temp table shop_zone_files ({COLUMNS})")
    if rows:
        session.executemany(
            "insert into shop_zone_files values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
