"""Text that must go into SQL as a literal (a path in `COPY ... TO`, where DuckDB takes no
bound parameter) or as an identifier (a schema or table name read from a catalog): quoted
here, in one place, never pasted."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def sql_string(value: str | Path) -> str:
    """A SQL string literal of `value`: quotes doubled, so no text can end it early."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: Iterable[object]) -> str:
    """A SQL list literal of strings."""
    return "[" + ", ".join(sql_string(str(value)) for value in values) + "]"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier of `name`: double quotes doubled, so no name can end it early
    (`schema."table"` parts are quoted one by one)."""
    return '"' + str(name).replace('"', '""') + '"'
