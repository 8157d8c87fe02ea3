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

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        directories = plugin_config.get("allowed_directories")
        if not directories or not all(isinstance(d, str) and d for d in directories):
            raise ValueError("duckhouse.sandbox: allowed_directories must list directories")
        # a trailing slash: 'data/acme' must not also allow 'data/acme_other'
        self.directories = [d if d.endswith("/") else d + "/" for d in directories]

    def configure_cursor(self, cursor: Any) -> None:
        (enabled,) = cursor.execute("select current_setting('enable_external_access')").fetchone()
        if not enabled:  # the database is already confined (an earlier cursor)
            return
        # a SQL literal, not a bound list: binding a Python list makes DuckDB import pandas,
        # numpy and pyarrow, which cost every dbt run ~0.5-1.5 s of its start-up
        listed = ", ".join("'" + d.replace("'", "''") + "'" for d in self.directories)
        cursor.execute(f"set allowed_directories = [{listed}]")
        cursor.execute("set enable_external_access = false")
