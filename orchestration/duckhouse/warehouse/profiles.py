"""Render profiles/profiles.yml from the tenant registry: per tenant, its DuckDB target and
its Trino (scale-out) target."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import yaml

from duckhouse.extensions import install_extensions
from duckhouse.paths import data_dir
from duckhouse.tenants import LINT_TARGET, PG_ALIAS, TRINO_SUFFIX, Tenant

PROFILE_NAME = "duckhouse"
PG_SECRET = "tpch_pg_secret"
EXTENSION_DIR_NAME = ".duckdb_extensions"
# per warehouse, per build: $DUCKHOUSE_MEMORY_LIMIT (a DuckDB size, e.g. 12GB) or 6 GB
MEMORY_LIMIT = "{{ env_var('DUCKHOUSE_MEMORY_LIMIT', '6GB') }}"
_HEADER = """\
# GENERATED from tenants.yml by `duckhouse profiles` -- do not edit by hand.
# One DuckDB target per tenant: its warehouse is <data>/<tenant>/<tenant>.duckdb and
# its landing zone <data>/<tenant>/landing, where <data> is $DUCKHOUSE_DATA_DIR
# (default: ./data); the duckhouse.warehouse.sandbox plugin confines DuckDB to <data>/<tenant>/
# (seeds are read by dbt, not by DuckDB). `<tenant>_trino` is the tenant's scale-out
# target: its Iceberg catalog, named after the tenant, on the Trino server the
# DUCKHOUSE_TRINO_* environment variables name (docs/trino.md). The `lint` target is
# in-memory and confined to no folder at all: sqlfluff never touches a warehouse or a file.
"""


def _data_dir_expr() -> str:
    return "{{ env_var('DUCKHOUSE_DATA_DIR', 'data') }}"


def _postgres_source(tenant: Tenant, output: dict) -> None:
    """Attach the tenant's PostgreSQL read-only as `tpch_pg`. The connection is a DuckDB
    secret whose password dbt reads from the environment variable the registry names:
    no password in this file, in the attach statement or in dbt's logs."""
    source = tenant.tpch.postgres
    assert source is not None
    output["extensions"] = ["postgres_scanner"]
    # connection-time options (dbt-duckdb applies `settings` only after INSTALL/LOAD)
    output["config_options"].update({
        "extension_directory": f"{_data_dir_expr()}/{EXTENSION_DIR_NAME}",
        "autoinstall_known_extensions": False,
    })  # fmt: skip
    output["secrets"] = [
        {
            "type": "postgres",
            "name": PG_SECRET,
            "host": source.host,
            "port": source.port,
            "database": source.database,
            "user": source.user,
            "password": f"{{{{ env_var('{source.password_env}') }}}}",
        }
    ]
    output["attach"] = [
        {"path": "", "alias": PG_ALIAS, "type": "postgres", "secret": PG_SECRET, "read_only": True}
    ]


def _trino_target(tenant: Tenant) -> dict:
    """The tenant's Trino target: its own catalog (named after it) on a shared Trino server.
    Server, user and password come from the environment, never from this file; without a
    password the connection is unauthenticated (a development server)."""

    def env(name: str, default: str) -> str:
        return f"{{{{ env_var('DUCKHOUSE_TRINO_{name}', '{default}') }}}}"

    return {
        "type": "trino",
        "method": "{{ 'ldap' if env_var('DUCKHOUSE_TRINO_PASSWORD', '') else 'none' }}",
        "host": env("HOST", "localhost"),
        "port": "{{ env_var('DUCKHOUSE_TRINO_PORT', '8080') | int }}",
        "http_scheme": env("HTTP_SCHEME", "http"),
        "user": env("USER", tenant.id),
        "password": env("PASSWORD", ""),
        "database": tenant.id,
        "schema": "main",
        "threads": 4,
    }


def _sandbox(directories: list[str]) -> dict:
    """The duckhouse.warehouse.sandbox plugin: every DuckDB target has one (no target without it);
    DuckDB then reads and writes `directories` only -- none at all for an empty list."""
    return {"module": "duckhouse.warehouse.sandbox", "config": {"allowed_directories": directories}}


def render_profiles(tenants: list[Tenant]) -> str:
    outputs: dict[str, dict] = {}
    for tenant in tenants:
        outputs[tenant.id] = {
            "type": "duckdb",
            "path": f"{_data_dir_expr()}/{tenant.id}/{tenant.id}.duckdb",
            "threads": 2,
            "external_root": f"{_data_dir_expr()}/{tenant.id}/exports",
            # database settings, given once when the file is opened (`settings` would
            # run a SET on every cursor, i.e. every dbt node). The memory limit bounds
            # what one build holds (DuckDB spills the rest to <warehouse>.tmp, in the
            # tenant's folder): DuckDB's own default, 80 % of the machine, would let two
            # tenants built side by side take more than the machine has
            "config_options": {
                "preserve_insertion_order": False,
                "memory_limit": MEMORY_LIMIT,
            },
            # DuckDB may touch this tenant's folder, nothing else
            "plugins": [_sandbox([f"{_data_dir_expr()}/{tenant.id}/"])],
            # a plain `dbt build` (which takes no tenant lock) meeting a reader's brief
            # hold on the file waits and tries again (1 + 2 + 4 s) instead of failing
            "retries": {"connect_attempts": 4},
        }
        if tenant.tpch.mode == "postgres":
            _postgres_source(tenant, outputs[tenant.id])
        outputs[tenant.id + TRINO_SUFFIX] = _trino_target(tenant)
    outputs[LINT_TARGET] = {
        "type": "duckdb",
        "path": ":memory:",
        "threads": 1,
        "plugins": [_sandbox([])],
    }
    default = tenants[0].id if tenants else LINT_TARGET
    document = {PROFILE_NAME: {"target": default, "outputs": outputs}}
    return _HEADER + yaml.safe_dump(document, sort_keys=False, width=100)


def write_profiles(tenants: list[Tenant], profiles_dir: Path) -> Path:
    if any(tenant.tpch.mode == "postgres" for tenant in tenants):
        # dbt-duckdb INSTALLs the extensions a target names: have them installed from
        # their wheels, so that nothing is downloaded
        install_extensions(data_dir() / EXTENSION_DIR_NAME, ["postgres_scanner"])
    profiles_dir.mkdir(parents=True, exist_ok=True)
    path = profiles_dir / "profiles.yml"
    # replaced, never rewritten in place: a dbt run starting meanwhile (another tenant's
    # build, in another process) reads the old file or the new one, never half of one
    partial = profiles_dir / f".profiles.yml.{os.getpid()}.{threading.get_ident()}"
    partial.write_text(render_profiles(tenants))
    os.replace(partial, path)
    return path


def ensure_profiles(tenants: list[Tenant], profiles_dir: Path) -> bool:
    """Keep profiles.yml in step with the registry; True if it had to be (re)written."""
    path = profiles_dir / "profiles.yml"
    if path.is_file() and path.read_text() == render_profiles(tenants):
        return False
    write_profiles(tenants, profiles_dir)
    return True
