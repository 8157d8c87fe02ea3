"""Every file of the tenant's ksqlDB export lake that a build has seen: one row per file,
`valid` (a readable Parquet file, with its row count) or `quarantined` (with the reason).

Only the feeds defined under `feeds/active/` and enabled are inventoried; disabled and
archived feeds are not landed. Incremental: a run looks only at files it has not seen
(a late file in an old partition is new too). The bronze stream and table models read the
valid files listed here, so one corrupt file never stops the other files or feeds.
"""

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from duckhouse.landing.ksqldb import read_feeds

PARTITION = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})")
VERSION = re.compile(r"version=v(\d+)")
EXPORTED = re.compile(r"_(\d{8}_\d{6})\.parquet$")
COLUMNS = (
    "file_path varchar, lake_path varchar, feed varchar, feed_kind varchar, "
    "partition_date date, table_version integer, exported_at timestamp, file_bytes bigint, "
    "row_count bigint, status varchar, reason varchar, discovered_at timestamp"
)


def _inspect(session: duckdb.DuckDBPyConnection, path: Path) -> tuple[int | None, str, str | None]:
    if path.stat().st_size == 0:
        return None, "quarantined", "empty file (0 bytes)"
    try:
        (rows,) = session.execute(
            "select sum(num_rows) from parquet_file_metadata(?)", [str(path)]
        ).fetchone()
    except Exception as exc:
        return None, "quarantined", f"not a readable Parquet file: {str(exc).splitlines()[0]}"
    return int(rows or 0), "valid", None


def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    dbt.config(materialized="incremental", unique_key="file_path")
    lake = Path(dbt.config.get("lake_path")).resolve()
    if not (lake / "feeds" / "active").is_dir():
        raise RuntimeError(f"ksqlDB lake not found or without feeds: {lake}")

    seen = set()
    if dbt.is_incremental:
        seen = {row[0] for row in session.execute(f"select file_path from {dbt.this}").fetchall()}

    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    # the feed rules (active, enabled) are the CLI's own: one definition of what lands
    for feed in (f for f in read_feeds(lake) if f["status"] == "active"):
        for path in sorted((lake / feed["path"]).rglob("*.parquet")):
            if str(path) in seen:
                continue
            relative = str(path.relative_to(lake))
            partition = PARTITION.search(relative)
            version = VERSION.search(relative)
            exported = EXPORTED.search(path.name)
            row_count, status, reason = _inspect(session, path)
            rows.append((
                str(path),
                relative,
                feed["name"],
                feed["kind"],
                date(*map(int, partition.groups())) if partition else None,
                int(version.group(1)) if version else None,
                datetime.strptime(exported.group(1), "%Y%m%d_%H%M%S") if exported else None,
                path.stat().st_size,
                row_count,
                status,
                reason,
                now,
            ))  # fmt: skip

    session.execute(f"create or replace temp table ksqldb_new_files ({COLUMNS})")
    if rows:
        session.executemany(
            "insert into ksqldb_new_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    return session.table("ksqldb_new_files")
