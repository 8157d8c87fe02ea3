"""Text that must go into SQL as a literal (a path in `COPY ... TO`, where DuckDB takes no
bound parameter): quoted here, in one place, never pasted."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def sql_string(value: str | Path) -> str:
    """A SQL string literal of `value`: quotes doubled, so no text can end it early."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_list(values: Iterable[object]) -> str:
    """A SQL list literal of strings."""
    return "[" + ", ".join(sql_string(str(value)) for value in values) + "]"
