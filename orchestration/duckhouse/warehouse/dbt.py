"""Everything duckhouse does with dbt, in one place and without Dagster: where a tenant's
artifacts go, running dbt the way an analytics engineer types it, parsing a tenant's
manifest and knowing when it is stale, and reading facts from the manifest that the
models already state (which views are public, which layer a model is in, how fresh a
model must be) instead of spelling them again in Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from duckhouse.paths import DATA_DIR_ENV, PROJECT_DIR, data_dir, profiles_dir, target_dir
from duckhouse.tenants import LINT_TARGET, TRINO_SUFFIX, validate_tenant_id

LAYERS = ("bronze", "silver", "gold", "views")
"""The model folders under models/, in build order: a model's layer is its folder."""
_PROJECT_INPUTS = ("models", "macros", "seeds", "snapshots", "tests", "analyses", "docs")
_PARSED_SUFFIXES = (".sql", ".yml", ".yaml", ".md", ".csv")
"""What dbt parses: Python files count only under models/ (Python models); tests/python
and the duckhouse package are not dbt inputs, so editing them re-parses nothing."""


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


def check_target(target: str) -> str:
    """`target` if it is a dbt target of this project: a tenant's (`<tenant>`), its
    scale-out one (`<tenant>_trino`) or the lint target; RegistryError otherwise."""
    if target != LINT_TARGET:
        validate_tenant_id(target.removesuffix(TRINO_SUFFIX))
    return target


def target_path(target: str) -> Path:
    """A target's dbt artifacts folder (manifest, run results, compiled SQL): the one
    place that says where it is: target/<target name> (under $DUCKHOUSE_TARGET_DIR if
    set)."""
    return target_dir() / check_target(target)


def run_dbt(
    tenant_id: str,
    *args: str,
    capture: bool = False,
    check: bool = True,
    artifacts: Path | None = None,
) -> subprocess.CompletedProcess:
    """Run `dbt <args> --target <target>` in the project dir (artifacts in the target's
    path unless `artifacts`); raise DbtError on failure when `check`. `tenant_id` is a
    tenant's id, its `_trino` target or the project's own `lint` target."""
    check_target(tenant_id)
    command = [
        dbt_executable(),
        *args,
        "--target",
        tenant_id,
        "--target-path",
        str(artifacts or target_path(tenant_id)),
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


def prepare_manifest(tenant_id: str) -> Path:
    """`dbt parse` for the tenant's target: the manifest its assets are defined from."""
    result = run_dbt(tenant_id, "parse", "--quiet", capture=True, check=False)
    if result.returncode != 0:
        raise DbtError(f"tenant '{tenant_id}': dbt parse failed\n{result.stdout}\n{result.stderr}")
    return manifest_path(tenant_id)


def manifest_path(tenant_id: str) -> Path:
    return target_path(tenant_id) / "manifest.json"


def newest_project_file() -> float:
    """Newest modification time of anything dbt parses (a cheap walk, no parse)."""
    newest = max(
        (PROJECT_DIR / name).stat().st_mtime
        for name in ("dbt_project.yml", "packages.yml")
        if (PROJECT_DIR / name).exists()
    )
    for folder in _PROJECT_INPUTS:
        for path in (PROJECT_DIR / folder).rglob("*"):
            parsed = path.suffix in _PARSED_SUFFIXES or (
                folder == "models" and path.suffix == ".py"
            )
            if parsed:
                newest = max(newest, path.stat().st_mtime)
    profiles = profiles_dir() / "profiles.yml"
    return max(newest, profiles.stat().st_mtime) if profiles.exists() else newest


def stale_manifests(tenant_ids: list[str], newest_input: float) -> list[str]:
    """The tenants whose manifest is missing (a new tenant) or older than the project."""
    return [
        tenant_id
        for tenant_id in tenant_ids
        if not manifest_path(tenant_id).is_file()
        or manifest_path(tenant_id).stat().st_mtime < newest_input
    ]


def prepare_manifests(tenant_ids: list[str]) -> None:
    """`dbt parse` for each tenant, as many at a time as there are cores."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(prepare_manifest, tenant_ids))


def load_manifest(path: Path) -> dict:
    return json.loads(path.read_text())


def layer_of(node: Mapping[str, Any]) -> str:
    """A model's layer: the folder under models/ it lives in (dbt's fqn says it); seeds,
    snapshots and sources are their own kinds."""
    kind = node["resource_type"]
    if kind in ("seed", "snapshot", "source"):
        return {"seed": "seeds", "snapshot": "snapshots", "source": "landing"}[kind]
    fqn = node.get("fqn") or []
    return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else "other"


def relation_name(node: Mapping[str, Any]) -> str:
    """`schema.alias` of a model, as readers query it."""
    return f"{node['schema']}.{node.get('alias') or node['name']}"


def public_views(manifest: Mapping[str, Any]) -> tuple[str, ...]:
    """The relations readers may rely on: every enabled model with `access: public`."""
    return tuple(
        sorted(
            relation_name(node)
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node.get("access") == "public"
        )
    )


@cache
def project_public_views() -> tuple[str, ...]:
    """The public views as the project declares them (the lint target's manifest, parsed
    once if missing): what `list`, `demo` and the published-warehouse checks count."""
    path = manifest_path(LINT_TARGET)
    if not path.is_file():
        run_dbt(LINT_TARGET, "parse", "--quiet", capture=True)
    return public_views(load_manifest(path))
