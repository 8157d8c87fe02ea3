"""Every entry of the tenant's ksqlDB export lake, one row each: `valid` (lands; metadata
and feed definitions: checked and fine), `quarantined` (with the reason), `ignored` (with
the reason: a disabled, archived or undefined feed, the generator's state, an unknown file)
or `refused` (a symbolic link or a special file, never opened) -- the rules are
duckhouse.ingest.ksqldb's (docs/sources.md, "ksqlDB export lake").

Every build lists the whole lake and forgets the files that are gone, so the inventory is
the lake as it is now; a data file whose bytes (sha256) did not change since the last build
is not read again. The bronze stream and table models read the valid data files listed
here, so one bad file never stops the other files or feeds.
"""

from datetime import UTC, datetime
from typing import Any

import duckdb

from duckhouse.ingest.files import confined_zone
from duckhouse.ingest.ksqldb import INVENTORY_COLUMNS, lake_inventory


def _previous(session: duckdb.DuckDBPyConnection, relation: str) -> dict[str, dict]:
    """The last build's rows, by file path (the columns it had: an older inventory lacks
    some, and then its files are checked again)."""
    cursor = session.execute(f"select * from {relation}")
    names = [column[0] for column in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    dbt.config(
        materialized="incremental", unique_key="file_path", on_schema_change="append_new_columns"
    )
    # never resolved: a link at the lake, landing/ or the tenant's folder is refused
    # (duckhouse.ingest.ksqldb.scan_lake), not followed
    lake = confined_zone(session, f"{dbt.config.meta_get('landing_root')}/ksqldb")
    if not lake.is_symlink() and not lake.is_dir():
        raise RuntimeError(f"ksqlDB lake not found: {lake} (nothing delivered yet?)")

    previous = _previous(session, str(dbt.this)) if dbt.is_incremental else {}
    now = datetime.now(UTC).replace(tzinfo=None)
    files = lake_inventory(session, lake, previous, now)

    columns = ", ".join(f"{name} {data_type}" for name, data_type in INVENTORY_COLUMNS)
    session.execute(f"create or replace temp table ksqldb_lake_files ({columns})")
    if files:
        placeholders = ", ".join("?" for _ in INVENTORY_COLUMNS)
        session.executemany(
            f"insert into ksqldb_lake_files values ({placeholders})",
            [entry.as_row() for entry in files],
        )
    if dbt.is_incremental:
        # an older inventory gets its new columns first: DuckDB cannot alter a table that
        # the transaction already changed (the delete below)
        have = {row[0] for row in session.execute(f"describe {dbt.this}").fetchall()}
        for name, data_type in INVENTORY_COLUMNS:
            if name not in have:
                session.execute(f"alter table {dbt.this} add column {name} {data_type}")
        # forget the files that are gone (removed, renamed, now a link): the inventory
        # is the lake as it is, as a full build would list it
        session.execute(
            f"delete from {dbt.this} where file_path not in "
            "(select file_path from ksqldb_lake_files)"
        )
    return session.table("ksqldb_lake_files")
