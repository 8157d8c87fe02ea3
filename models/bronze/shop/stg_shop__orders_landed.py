"""Every data line of the shop's orders extracts, landed with the declared schema or rejected
with its reason (duckhouse.landing.shop.land_extract_rows): nothing is dropped."""

from pathlib import Path
from typing import Any

import duckdb

from duckhouse.landing.shop import land_extract_rows


def model(dbt: Any, session: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    dbt.config(materialized="table")
    return land_extract_rows(session, Path(dbt.config.get("shop_path")), "orders")
