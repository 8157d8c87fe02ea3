"""Where things live. Every per-tenant path is derived from a validated tenant id."""

from __future__ import annotations

import os
from pathlib import Path

from duckhouse.project import PROJECT_DIR
from duckhouse.tenants import RegistryError, Tenant, validate_tenant_id

DATA_DIR_ENV = "DUCKHOUSE_DATA_DIR"
REGISTRY_ENV = "DUCKHOUSE_REGISTRY"
PROFILES_DIR_ENV = "DBT_PROFILES_DIR"
TARGET_DIR_ENV = "DUCKHOUSE_TARGET_DIR"


UNSAFE_PATH_CHARACTERS = frozenset("'\"*?[]{}=\\\n\r\x00")
"""Characters a data dir may not hold: dbt and DuckDB put its paths into SQL text (a
source's external location), DuckDB reads `*?[]{}` in a path as a glob pattern and a
`key=value` folder as a hive partition column, and dbt renders `{{ }}` as Jinja."""


def data_dir() -> Path:
    """Root of all tenants' landing zones and warehouses (`data/` unless overridden)."""
    path = Path(os.environ.get(DATA_DIR_ENV, PROJECT_DIR / "data")).resolve()
    unsafe = sorted(UNSAFE_PATH_CHARACTERS & set(str(path)))
    if unsafe:
        raise RegistryError(
            f"${DATA_DIR_ENV} {str(path)!r} holds {' '.join(map(repr, unsafe))}: quotes, "
            "backslashes and glob characters cannot be part of the data dir's path"
        )
    return path


def registry_path() -> Path:
    return Path(os.environ.get(REGISTRY_ENV, PROJECT_DIR / "tenants.yml")).resolve()


def profiles_dir() -> Path:
    return Path(os.environ.get(PROFILES_DIR_ENV, PROJECT_DIR / "profiles")).resolve()


def target_dir() -> Path:
    """Root of every dbt target's artifacts (`target/` of the project unless overridden,
    e.g. by the tests, which must never write into the checkout)."""
    return Path(os.environ.get(TARGET_DIR_ENV, PROJECT_DIR / "target")).resolve()


def tenant_dir(tenant_id: str) -> Path:
    return data_dir() / validate_tenant_id(tenant_id)


def landing_dir(tenant_id: str) -> Path:
    return tenant_dir(tenant_id) / "landing"


def warehouse_path(tenant_id: str) -> Path:
    return tenant_dir(tenant_id) / f"{validate_tenant_id(tenant_id)}.duckdb"


def published_dir(tenant_id: str) -> Path:
    """What readers see of a tenant: its last audited build (duckhouse.warehouse.audit)."""
    return tenant_dir(tenant_id) / "published"


def published_warehouse_path(tenant_id: str) -> Path:
    """The copy of the tenant's warehouse as its last audited build left it: the file
    `duckhouse query`, `list`, the object-store publishing and BI tools read. The same file
    name as the build's warehouse, so that its catalog (and its views) keep the name."""
    return published_dir(tenant_id) / f"{validate_tenant_id(tenant_id)}.duckdb"


def kpi_summary_path(tenant_id: str) -> Path:
    return tenant_dir(tenant_id) / "kpi_summary.json"


def _refuse_unless_folder(tenant_id: str, path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        what = "a symbolic link" if path.is_symlink() else "not a folder"
        raise RegistryError(
            f"tenant '{tenant_id}': {path} is {what}: duckhouse writes and deletes only real "
            "folders of the tenant's own (move it away); nothing changed"
        )


def check_own_folder(tenant_id: str) -> Path:
    """The tenant's folder, if it is a real folder directly in the data dir (or absent)."""
    folder = tenant_dir(tenant_id)
    _refuse_unless_folder(tenant_id, folder)
    if folder.exists() and folder.resolve().parent != data_dir():
        raise RegistryError(
            f"tenant '{tenant_id}': {folder} resolves to {folder.resolve()}, outside the data "
            f"dir {data_dir()}: nothing changed"
        )
    return folder


def check_tenant_folders(tenant: Tenant) -> Path:
    """The tenant's folder, if it and every folder in it that duckhouse writes (the landing
    zone, the zones duckhouse generates, the published build, the dashboard's snapshots,
    the exports) are real folders (or absent) inside the data dir. A symbolic link there
    would make duckhouse write through it -- into another tenant's folder -- so it is
    refused, before anything is written, naming the link."""
    folder = check_own_folder(tenant.id)
    written = [folder / "landing", folder / "published", folder / "dashboard",
               folder / "exports", folder / ".landing-work"]  # fmt: skip
    if tenant.tpch.mode == "generated":
        written.append(folder / "landing" / "tpch")
    if tenant.ksqldb.mode == "generated":
        written.append(folder / "landing" / "ksqldb")
    if tenant.shop.mode == "generated":
        written.append(folder / "landing" / "shop")
    for path in written:
        _refuse_unless_folder(tenant.id, path)
    return folder
