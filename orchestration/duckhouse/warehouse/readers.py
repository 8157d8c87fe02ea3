"""Opening a tenant's database: the one way in, for readers and for duckhouse itself.

`duckhouse query`, `list` and everything else that reads on a person's behalf opens the
tenant's published copy (duckhouse.warehouse.audit) through `connect_published`: read-only, external
access off (no file, no other database, no extension can be reached: `read_parquet` of
another tenant's landing zone, `ATTACH`, `COPY ... TO`, `INSTALL` are refused by DuckDB) and
the configuration locked (nothing can be switched back on). `read_only_statements` refuses,
before anything runs, SQL text that is not a query.

duckhouse's own reads and writes of a tenant's databases (the publish step, `list`, the
failure report, the object-store publish) open them through `connect_sandboxed`: the
tenant's dbt session can create views and macros there (a macro can even shadow a
built-in function), so whatever SQL duckhouse runs on them runs inside the same walls as
the tenant's build -- external access off, only the folders given, configuration locked.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from duckhouse.paths import published_warehouse_path
from duckhouse.sqltext import sql_string
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


def connect_sandboxed(
    path: Path, *, read_only: bool, allowed: tuple[Path, ...] = ()
) -> duckdb.DuckDBPyConnection:
    """A connection to a tenant's database file that reaches no file but its own (and the
    folders in `allowed`), loads no extension and cannot be reconfigured."""
    connection = duckdb.connect(
        str(path),
        read_only=read_only,
        config={"autoload_known_extensions": False, "autoinstall_known_extensions": False},
    )
    try:
        listed = ", ".join(sql_string(str(folder).rstrip("/") + "/") for folder in allowed)
        connection.execute(f"set allowed_directories = [{listed}]")
        connection.execute("set enable_external_access = false")
        connection.execute("set lock_configuration = true")
    except BaseException:
        connection.close()
        raise
    return connection


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
        # parsed by a sandboxed in-memory DuckDB: parsing expands some statements (PRAGMA
        # import_database reads its files), which the default connection would do freely
        with duckdb.connect(":memory:", config=READER_CONFIG) as parser:
            statements = parser.extract_statements(sql)
            explained = {
                number: parser.extract_statements(_EXPLAIN.sub("", statement.query, count=1))
                for number, statement in enumerate(statements, start=1)
                if statement.type == duckdb.StatementType.EXPLAIN
            }
    except duckdb.Error as exc:
        raise QueryRefused(_first_line(exc)) from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    for number, statement in enumerate(statements, start=1):
        if number in explained:
            # EXPLAIN ANALYZE runs what it explains: that must be a query too
            inner = explained[number]
            if len(inner) != 1 or inner[0].type != duckdb.StatementType.SELECT:
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
