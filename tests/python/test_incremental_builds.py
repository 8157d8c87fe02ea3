"""Incremental builds leave nothing behind in the warehouse. dbt-duckdb's incremental
Python models (the ksqlDB lake inventory, the shop's landed lines) build each run's batch
in a `<model>__dbt_tmp<timestamp>` table of the `main` schema that the materialization
believes temporary and never drops; the on-run-end hook drop_dbt_tmp_relations
(macros/dbt_tmp_relations.sql) does."""

from __future__ import annotations

from conftest import TENANTS, Lakehouse

TMP_RELATIONS = (
    "select table_schema, table_name from information_schema.tables "
    "where contains(table_name, '__dbt_tmp') order by all"
)
PYTHON_INCREMENTAL = (
    "select count(*) from information_schema.tables where table_schema = 'bronze' and "
    "table_name in ('inventory_ksqldb__lake_files', 'landed_shop__customers', "
    "'landed_shop__products', 'landed_shop__orders')"
)


def test_incremental_builds_leave_no_dbt_tmp_tables(lakehouse: Lakehouse) -> None:
    tenant = sorted(TENANTS)[0]
    with lakehouse.connect(tenant) as db:
        # the session's first build made the Python models: the next ones are incremental
        assert db.execute(PYTHON_INCREMENTAL).fetchone() == (4,)
    for _ in range(2):
        lakehouse.cli("build", tenant)
    with lakehouse.connect(tenant) as db:
        assert db.execute(TMP_RELATIONS).fetchall() == []
        (builds,) = db.execute(
            "select count(*) from duckhouse_meta.builds where status = 'ok'"
        ).fetchone()
    assert builds >= 3
