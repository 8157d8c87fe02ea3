"""Run dbt for one tenant, the way an analytics engineer would type it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from duckhouse.paths import DATA_DIR_ENV, PROJECT_DIR, data_dir, profiles_dir
from duckhouse.tenants import LINT_TARGET, validate_tenant_id


class DbtError(RuntimeError):
    """A dbt command failed for a tenant."""


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.is_file() else "dbt"


def dbt_env() -> dict[str, str]:
    env = dict(os.environ)
    env[DATA_DIR_ENV] = str(data_dir())
    env["DBT_PROFILES_DIR"] = str(profiles_dir())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def run_dbt(
    tenant_id: str,
    *args: str,
    capture: bool = False,
    check: bool = True,
    target_path: str | None = None,
) -> subprocess.CompletedProcess:
    """Run `dbt <args> --target <tenant>` in the project dir (artifacts in target/<tenant>
    unless `target_path`); raise DbtError on failure when `check`. `tenant_id` is a
    tenant's id or the project's own `lint` target (which no tenant id can be)."""
    if tenant_id != LINT_TARGET:
        validate_tenant_id(tenant_id)
    command = [
        dbt_executable(),
        *args,
        "--target",
        tenant_id,
        "--target-path",
        target_path or f"target/{tenant_id}",
    ]
    result = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env=dbt_env(),
        text=True,
        capture_output=capture,
        check=False,
    )
    if check and result.returncode != 0:
        detail = f"\n{result.stdout}\n{result.stderr}" if capture else ""
        raise DbtError(
            f"tenant '{tenant_id}': `dbt {' '.join(args)}` failed "
            f"(exit {result.returncode}){detail}"
        )
    return result
