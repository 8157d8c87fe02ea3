"""Every data line of the shop's products extracts, landed with the declared schema or rejected
with its reason (duckhouse.ingest.shop.land_extract): nothing is dropped or changed.

Incremental by file: a build reads only the extract files that are new or changed since
they were landed (a hash of the content, `_file_signature`), replaces the lines of a
changed file and removes those of a removed file: the table holds what a full build would
(`--full-refresh` reads every file again)."""

from typing import Any

import duckdb

from duckhouse.ingest.files import confined_zone
from duckhouse.ingest.shop import land_extract


def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    dbt.config(materialized="incremental", incremental_strategy="delete+insert",
               unique_key="_source_file", on_schema_change="append_new_columns")  # fmt: skip
    # the shop's zone under the tenant's landing root (dbt_project.yml), inside the sandbox only
    zone = confined_zone(session, f"{dbt.config.meta_get('landing_root')}/shop")
    return land_extract(dbt, session, zone, "products", dbt.config.meta_get("tenant_id"))
