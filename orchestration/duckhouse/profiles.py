"""Render profiles/profiles.yml from the tenant registry: one DuckDB target per tenant."""

from __future__ import annotations

from pathlib import Path

import yaml

from duckhouse.tenants import Tenant

PROFILE_NAME = "duckhouse"
LINT_TARGET = "lint"
_HEADER = """\
# GENERATED from tenants.yml by `duckhouse profiles` -- do not edit by hand.
# One DuckDB target per tenant: its warehouse is <data>/<tenant>/<tenant>.duckdb and
# its landing zone <data>/<tenant>/landing, where <data> is $DUCKHOUSE_DATA_DIR
# (default: ./data). The `lint` target is in-memory: sqlfluff never touches a warehouse.
"""


def _data_dir_expr() -> str:
    return "{{ env_var('DUCKHOUSE_DATA_DIR', 'data') }}"


def render_profiles(tenants: list[Tenant]) -> str:
    outputs: dict[str, dict] = {}
    for tenant in tenants:
        outputs[tenant.id] = {
            "type": "duckdb",
            "path": f"{_data_dir_expr()}/{tenant.id}/{tenant.id}.duckdb",
            "threads": 2,
            "external_root": f"{_data_dir_expr()}/{tenant.id}/exports",
            "settings": {"preserve_insertion_order": False},
        }
    outputs[LINT_TARGET] = {"type": "duckdb", "path": ":memory:", "threads": 1}
    default = tenants[0].id if tenants else LINT_TARGET
    document = {PROFILE_NAME: {"target": default, "outputs": outputs}}
    return _HEADER + yaml.safe_dump(document, sort_keys=False, width=100)


def write_profiles(tenants: list[Tenant], profiles_dir: Path) -> Path:
    profiles_dir.mkdir(parents=True, exist_ok=True)
    path = profiles_dir / "profiles.yml"
    path.write_text(render_profiles(tenants))
    return path
