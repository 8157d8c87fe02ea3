"""Facts that the dbt project and the Python code both need, read from the one place
they are written: the `vars:` of dbt_project.yml (the tenant id pattern, the shop's
extract contract, the dashboard snapshot protocol, the freshness window). The macros read
the same vars with `var(...)`; nothing here or there spells them again."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR_ENV = "DUCKHOUSE_PROJECT_DIR"
PROJECT_DIR: Path = Path(
    os.environ.get(PROJECT_DIR_ENV, Path(__file__).resolve().parents[2])
).resolve()
"""The dbt project root (the folder that holds dbt_project.yml); another checkout of the
project (e.g. a pull request's) can be pointed at with $DUCKHOUSE_PROJECT_DIR."""


@cache
def project_vars() -> dict[str, Any]:
    """The `vars:` of dbt_project.yml, as dbt reads them (no Jinja in them)."""
    document = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return dict(document.get("vars") or {})


def project_var(name: str) -> Any:
    try:
        return project_vars()[name]
    except KeyError:
        raise KeyError(f"dbt_project.yml has no var '{name}'") from None
