"""Every data line of the shop's orders extracts, landed with the declared schema or rejected
with its reason (duckhouse.landing.shop.land_extract_rows): nothing is dropped.

Incremental by file: a build reads only the extract files that are new or changed since
they were landed (size or modification time, `_file_signature`), and replaces the lines
of a changed file; `--full-refresh` reads every file again."""

from pathlib import Path
from typing import Any

import duckdb

from duckhouse.landing.shop import land_extract_rows, landed_signatures


def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="_source_file",
        on_schema_change="append_new_columns",
    )
    landed = landed_signatures(session, str(dbt.this)) if dbt.is_incremental else None
    return land_extract_rows(session, Path(dbt.config.get("shop_path")), "orders", landed)
