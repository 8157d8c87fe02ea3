"""A dbt-duckdb plugin that confines a tenant's dbt run to that tenant's files.

Every tenant's target loads it (profiles.py). On the run's first cursor it tells DuckDB
which directories exist for this run -- the tenant's own folder (landing zone,
warehouse, exports), or none at all (the lint target) -- and then turns external access off: from
then on DuckDB refuses to read or write any other path (`read_parquet`, `read_csv`,
`COPY`, `ATTACH`, ...), and the setting cannot be turned back on by a model. So neither
a source, nor a macro, nor a hand-written path in a model can reach another tenant's
files, whatever the SQL says. Connections made before (the PostgreSQL source's ATTACH)
are kept.

The project's seeds are not in any sandbox: dbt reads them (`+fast: false` in
dbt_project.yml) and inserts the rows, so no tenant's DuckDB can write `seeds/`, which
every tenant loads. A dbt Python model gets this same confined session; Python models are
trusted code (reviewed like macros, docs/security.md), and `duckhouse check-project`
refuses one that opens its own database or files.
"""

from __future__ import annotations

import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from duckhouse.folders import private_umask
from duckhouse.sqltext import sql_list


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        directories = plugin_config.get("allowed_directories")
        if not isinstance(directories, list) or not all(
            isinstance(d, str) and d for d in directories
        ):
            raise ValueError(
                "duckhouse.warehouse.sandbox: allowed_directories must be a list of directories "
                "(an empty list: none)"
            )
        # a trailing slash: 'data/acme' must not also allow 'data/acme_other'
        self.directories = [d if d.endswith("/") else d + "/" for d in directories]
        self._lock = threading.Lock()
        self._confined = False
        # a plain `dbt build --target <tenant>` writes the warehouse 0600 too; dbt made its
        # log and target folders before any plugin ran: those are closed to others here
        # (their first files may be 0644, the folders 0700 keep them the user's)
        private_umask()
        _close_dbt_folders()

    def configure_connection(self, conn: Any) -> None:
        # a new database handle (dbt-duckdb opens one per run, or again after closing it):
        # confined by its first cursor, after dbt-duckdb has made its ATTACHes
        with self._lock:
            self._confined = False

    def configure_cursor(self, cursor: Any) -> None:
        # every dbt node opens a cursor: once the database is confined, nothing to do (no
        # query per node to find that out)
        with self._lock:
            if self._confined:
                return
            (enabled,) = cursor.execute(
                "select current_setting('enable_external_access')"
            ).fetchone()
            if enabled:
                # a SQL literal, not a bound list: binding a Python list makes DuckDB import
                # pandas, numpy and pyarrow, which cost every dbt run ~0.5-1.5 s of start-up
                cursor.execute(f"set allowed_directories = {sql_list(self.directories)}")
                cursor.execute("set enable_external_access = false")
            self._confined = True


def _close_dbt_folders() -> None:
    """Make dbt's target and log folders (they hold compiled SQL and `dbt show` rows) 0700,
    and `target/` itself when the target path is `target/<tenant>`."""
    try:
        from dbt.flags import get_flags

        flags = get_flags()
        folders = {getattr(flags, "TARGET_PATH", None) or "target",
                   getattr(flags, "LOG_PATH", None) or "logs"}  # fmt: skip
    except Exception:  # outside a dbt command: the defaults
        folders = {"target", "logs"}
    for folder in folders:
        path = Path(str(folder))
        for candidate in (path, path.parent) if path.parent.name == "target" else (path,):
            if candidate.is_dir() and not candidate.is_symlink():
                with suppress(OSError):
                    candidate.chmod(0o700)
