"""A dbt-duckdb plugin that confines a tenant's dbt run to that tenant's files.

Every tenant's target loads it (profiles.py). On the run's first cursor it tells DuckDB
which directories exist for this run -- the tenant's own folder (landing zone,
warehouse, exports) and the project's seeds -- and then turns external access off: from
then on DuckDB refuses to read or write any other path (`read_parquet`, `read_csv`,
`COPY`, `ATTACH`, ...), and the setting cannot be turned back on by a model. So neither
a source, nor a macro, nor a hand-written path in a model can reach another tenant's
files, whatever the SQL says. Connections made before (the PostgreSQL source's ATTACH)
are kept.
"""

from __future__ import annotations

import threading
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        directories = plugin_config.get("allowed_directories")
        if not directories or not all(isinstance(d, str) and d for d in directories):
            raise ValueError("duckhouse.sandbox: allowed_directories must list directories")
        # a trailing slash: 'data/acme' must not also allow 'data/acme_other'
        self.directories = [d if d.endswith("/") else d + "/" for d in directories]
        self._lock = threading.Lock()
        self._confined = False

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
                listed = ", ".join("'" + d.replace("'", "''") + "'" for d in self.directories)
                cursor.execute(f"set allowed_directories = [{listed}]")
                cursor.execute("set enable_external_access = false")
            self._confined = True
