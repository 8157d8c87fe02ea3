"""Reading a tenant's audited numbers: the one way into a tenant's published build.

`duckhouse query`, `list` and everything else that reads on a person's behalf opens the
tenant's published copy (duckhouse.audit) through `connect_published`: read-only, external
access off (no file, no other database, no extension can be reached: `read_parquet` of
another tenant's landing zone, `ATTACH`, `COPY ... TO`, `INSTALL` are refused by DuckDB) and
the configuration locked (nothing can be switched back on). `read_only_statements` refuses,
before anything runs, SQL text that is not a query.
"""

from __future__ import annotations

import re

import duckdb

from duckhouse.paths import published_warehouse_path
from duckhouse.tenants import RegistryError

READER_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,
}
READ_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
_EXPLAIN = re.compile(r"^\s*explain\s+(analy[sz]e\s+)?", re.IGNORECASE)


class QueryRefused(RegistryError):
    """SQL text sent to a reader that is not a read-only query."""


def connect_published(tenant_id: str) -> duckdb.DuckDBPyConnection:
    """A sandboxed, read-only connection to the tenant's last audited build."""
    path = published_warehouse_path(tenant_id)
    if not path.is_file():
        raise RegistryError(
            f"tenant '{tenant_id}' has no audited build yet: duckhouse build {tenant_id}"
        )
    return duckdb.connect(str(path), read_only=True, config=READER_CONFIG)


def read_only_statements(sql: str) -> list[str]:
    """The statements of `sql` if every one is a query (SELECT, FROM, WITH, DESCRIBE,
    SHOW, SUMMARIZE, EXPLAIN); refuse the text otherwise, naming the statement."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(str(exc).strip().splitlines()[0]) from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    for number, statement in enumerate(statements, start=1):
        if statement.type == duckdb.StatementType.EXPLAIN:
            # EXPLAIN ANALYZE runs what it explains: that must be a query too
            inner = _EXPLAIN.sub("", statement.query, count=1)
            explained = duckdb.extract_statements(inner) if inner.strip() else []
            if len(explained) != 1 or explained[0].type != duckdb.StatementType.SELECT:
                raise QueryRefused(
                    f"statement {number} explains something that is not a query: "
                    f"{statement.query.strip()[:80]!r}"
                )
        if statement.type not in READ_STATEMENTS:
            kind = statement.type.name.replace("_", " ")
            raise QueryRefused(
                f"statement {number} is {kind}, not a query: readers may only read "
                f"(SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN): "
                f"{statement.query.strip()[:80]!r}"
            )
    return [statement.query for statement in statements]
