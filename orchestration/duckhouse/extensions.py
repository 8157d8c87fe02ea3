"""DuckDB extensions loaded from their PyPI wheels: nothing is downloaded at run time."""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb

from duckhouse.sqltext import sql_string

DUCKDB_VERSION = "1.5.5"
_WHEEL_MODULES = {
    "tpch": "duckdb_extension_tpch",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
    "avro": "duckdb_extension_avro",
    "iceberg": "duckdb_extension_iceberg",
}


def extension_path(name: str) -> Path:
    """Path of the `<name>.duckdb_extension` file shipped in its wheel."""
    module = importlib.import_module(_WHEEL_MODULES[name])
    path = (
        Path(module.__file__).parent
        / "extensions"
        / f"v{DUCKDB_VERSION}"
        / (f"{name}.duckdb_extension")
    )
    if not path.is_file():
        raise FileNotFoundError(
            f"DuckDB extension '{name}' not found at {path}: is the wheel for duckdb "
            f"{DUCKDB_VERSION} installed (uv sync)?"
        )
    return path


def load_extension(connection: duckdb.DuckDBPyConnection, name: str) -> None:
    connection.execute(f"LOAD {sql_string(extension_path(name))}")


def install_extensions(directory: Path, names: list[str]) -> None:
    """Install extensions from their wheels into `directory` (a DuckDB
    extension_directory), so that `INSTALL <name>` there finds them without a download."""
    connection = duckdb.connect(config={"extension_directory": str(directory)})
    try:
        for name in names:
            connection.execute(f"INSTALL {sql_string(extension_path(name))}")
    finally:
        connection.close()
