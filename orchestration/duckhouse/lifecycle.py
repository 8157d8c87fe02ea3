"""Tenant lifecycle: create, describe and delete tenants without editing files by hand.

The registry (tenants.yml) stays the single source of truth and stays readable: a new
tenant is appended as a YAML block, a deleted one's block is cut out, and the comments
and layout of everything else are kept. Every edit is checked by loading the result
(the other tenants must come out exactly as before), written atomically, and made
under a lock, so that two commands never lose each other's change.
"""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from duckhouse.folders import make_private_dir
from duckhouse.locks import TenantBusyError, forget, tenant_lock
from duckhouse.paths import (
    check_own_folder,
    data_dir,
    registry_path,
    tenant_dir,
    warehouse_path,
)
from duckhouse.tenants import (
    TRINO_SUFFIX,
    RegistryError,
    Tenant,
    get_tenant,
    load_registry,
    parse_registry,
    validate_tenant_id,
)
from duckhouse.warehouse.dbt import target_path
from duckhouse.warehouse.queries import open_failure
from duckhouse.warehouse.readers import connect_sandboxed

ARCHIVE_DIR_NAME = "_archive"  # not a valid tenant id: never collides with a tenant's folder


def archive_dir() -> Path:
    return data_dir() / ARCHIVE_DIR_NAME


@contextmanager
def registry_lock() -> Iterator[None]:
    """Hold the registry's lock: a lock on the folder that holds it (no lock file is
    left behind, and the registry itself is replaced, not rewritten, by each edit)."""
    descriptor = os.open(registry_path().parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _tenant_items(text: str, path: Path) -> tuple[yaml.SequenceNode, list[yaml.MappingNode]]:
    document = yaml.compose(text)
    if not isinstance(document, yaml.MappingNode):
        raise RegistryError(f"{path}: expected a mapping with 'tenants'")
    for key, value in document.value:
        if key.value == "tenants" and isinstance(value, yaml.SequenceNode):
            return value, list(value.value)
    raise RegistryError(f"{path}: 'tenants' must be a list")


def render_entry(entry: dict, indent: int = 2) -> str:
    """A tenant's registry block: `- id: ...` with the dash `indent` columns in."""
    dumped = yaml.safe_dump([entry], sort_keys=False, default_flow_style=False, width=100)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in dumped.splitlines(True))


def add_to_registry(entry: dict) -> Tenant:
    """Append a tenant to the registry; refuse an existing id. Returns the parsed tenant."""
    path = registry_path()
    tenant_id = validate_tenant_id(entry.get("id"))
    with registry_lock():
        before = load_registry(path)
        if any(t.id == tenant_id for t in before):
            raise RegistryError(f"tenant '{tenant_id}' already exists in {path}: nothing changed")
        text = path.read_text()
        sequence, items = _tenant_items(text, path)
        if items and not sequence.flow_style:  # after the last block, as its sibling
            block = render_entry(entry, indent=items[0].start_mark.column - 2)
            new_text = text.rstrip("\n") + "\n\n" + block
        else:  # `tenants: []`: the list becomes a block list, starting here
            lines = text.splitlines(True)
            start, end = sequence.start_mark, sequence.end_mark
            head = "".join(lines[: start.line]) + lines[start.line][: start.column].rstrip()
            tail = "".join(lines[end.line :])[end.column :].lstrip(" ")
            new_text = head + "\n" + render_entry(entry) + (tail if tail.strip() else "")
        after = parse_registry(new_text, path)
        if after[:-1] != before or after[-1].id != tenant_id:
            raise RegistryError(f"{path}: could not append '{tenant_id}' safely; nothing changed")
        _write_atomically(path, new_text)
        return after[-1]


def _entry_span(text: str, path: Path, tenant_id: str) -> tuple[int, int]:
    """The lines [start, end) of a tenant's block in the registry text: the comment lines
    right above it, the block, and the blank lines after it (before it, if it is last)."""
    _, items = _tenant_items(text, path)
    lines = text.splitlines(True)
    for item in items:
        if [v.value for k, v in item.value if k.value == "id"] == [tenant_id]:
            start = item.start_mark.line
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1
            # the block ends where the next token starts (the next `- id:` or the end)
            end = item.end_mark.line
            if end < len(lines) and lines[end][: item.end_mark.column].strip():
                end += 1
            # comment lines right above the next block are the next block's
            while end > start + 1 and (not lines[end - 1].strip()
                                       or lines[end - 1].lstrip().startswith("#")):  # fmt: skip
                end -= 1
            while end < len(lines) and not lines[end].strip():
                end += 1
            if end == len(lines):
                while start > 0 and not lines[start - 1].strip():
                    start -= 1
            return start, end
    raise RegistryError(f"{path}: tenant '{tenant_id}' not found")


def registry_entry(tenant_id: str) -> str:
    """A tenant's block as it stands in the registry (comments and layout kept)."""
    path = registry_path()
    text = path.read_text()
    start, end = _entry_span(text, path, tenant_id)
    return "".join(text.splitlines(True)[start:end]).strip("\n") + "\n"


def remove_from_registry(tenant_id: str) -> str:
    """Cut a tenant's block out of the registry; returns the block (for the archive)."""
    path = registry_path()
    with registry_lock():
        before = load_registry(path)
        get_tenant(before, tenant_id)  # unknown -> RegistryError
        text = path.read_text()
        start, end = _entry_span(text, path, tenant_id)
        lines = text.splitlines(True)
        block = "".join(lines[start:end])
        kept = lines[:start] + lines[end:]
        if len(before) == 1:  # the last tenant: the list stays, empty
            sequence, _ = _tenant_items(text, path)
            key_line = next(i for i in range(sequence.start_mark.line, -1, -1)
                            if lines[i].lstrip().startswith("tenants:"))  # fmt: skip
            indent = lines[key_line][: len(lines[key_line]) - len(lines[key_line].lstrip())]
            empty = f"{indent}tenants: []\n"
            kept = [*lines[:key_line], empty, *lines[key_line + 1 : start], *lines[end:]]
        new_text = "".join(kept)
        after = parse_registry(new_text, path)
        if after != [t for t in before if t.id != tenant_id]:
            raise RegistryError(
                f"{path}: could not remove '{tenant_id}' safely (edit it by hand); nothing changed"
            )
        _write_atomically(path, new_text)
        return block


def create_tenant(entry: dict) -> Tenant:
    """Register a tenant and give it a landing zone and an (empty) warehouse."""
    tenant_id = validate_tenant_id(entry.get("id"))
    if tenant_dir(tenant_id).exists():
        raise RegistryError(
            f"{tenant_dir(tenant_id)} already exists (left by an earlier tenant '{tenant_id}'?): "
            "move it away first; nothing changed"
        )
    tenant = add_to_registry(entry)
    make_private_dir(tenant_dir(tenant_id))
    make_private_dir(tenant_dir(tenant_id) / "landing")
    duckdb.connect(str(warehouse_path(tenant_id))).close()
    return tenant


def assert_not_building(tenant_id: str) -> None:
    """Refuse while another process holds the tenant's warehouse (DuckDB has one writer:
    a plain `dbt build` takes no tenant lock); a corrupt file is named as such."""
    path = warehouse_path(tenant_id)
    if not path.is_file():
        return
    try:
        connect_sandboxed(path, read_only=True).close()
    except duckdb.Error as exc:
        failure = open_failure(tenant_id, exc)
        if isinstance(failure, TenantBusyError):
            raise failure from exc
        # a corrupt warehouse does not stop a delete: it is archived as it is


@dataclass
class Deleted:
    tenant_id: str
    archive: Path | None
    removed: list[Path] = field(default_factory=list)
    dagster_assets: int = 0
    dagster_error: str | None = None
    published: list[str] = field(default_factory=list)
    published_error: str | None = None


def delete_tenant(tenant_id: str, keep_archive: bool = True) -> Deleted:
    """Archive (unless told not to) and remove everything of a tenant: its registry
    entry, warehouse, landing zone, published files, dbt target folder (its manifest,
    hence its Dagster assets) and its Dagster asset history."""
    tenant = get_tenant(load_registry(registry_path()), tenant_id)
    folder = check_own_folder(tenant.id)  # `delete` would follow a link out of the data dir
    with tenant_lock(tenant.id, "delete", wait=False):
        assert_not_building(tenant.id)
        deleted = _delete(tenant, folder, keep_archive)
        forget(tenant.id)
        return deleted


def _delete(tenant: Tenant, folder: Path, keep_archive: bool) -> Deleted:
    result = Deleted(tenant.id, None)
    if keep_archive:
        result.archive = _archive(tenant, folder)
    remove_from_registry(tenant.id)
    # dbt's folders of the tenant's targets: manifest, run results, the Dagster runs' output
    for path in (folder, target_path(tenant.id), target_path(tenant.id + TRINO_SUFFIX)):
        if path.exists():
            shutil.rmtree(path)
            result.removed.append(path)
    try:
        result.dagster_assets = wipe_dagster_assets(tenant.id)
    except Exception as exc:  # the tenant is gone already: say what is left
        result.dagster_error = f"{type(exc).__name__}: {exc}"
    try:  # what it published to the object store (duckhouse publish)
        from duckhouse.services.objectstore import remove_tenant

        result.published = remove_tenant(tenant.id)
    except Exception as exc:
        result.published_error = f"{type(exc).__name__}: {exc}"
    return result


def _archive(tenant: Tenant, folder: Path) -> Path:
    """<data>/_archive/<tenant>-<UTC time>.tar.gz: the registry entry and the tenant's
    whole folder (warehouse, landing zone, published files)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    make_private_dir(archive_dir())
    path = archive_dir() / f"{tenant.id}-{stamp}.tar.gz"
    partial = path.with_name(path.name + ".partial")
    entry = registry_entry(tenant.id).encode()
    with tarfile.open(partial, "w:gz") as archive:
        info = tarfile.TarInfo(f"{tenant.id}/registry-entry.yml")
        info.size, info.mtime = len(entry), int(time.time())
        archive.addfile(info, io.BytesIO(entry))
        if folder.exists():
            archive.add(folder, arcname=f"{tenant.id}/data")
    os.replace(partial, path)
    return path


def wipe_dagster_assets(tenant_id: str) -> int:
    """Remove the tenant's assets from the Dagster instance's history ($DAGSTER_HOME), if
    there is one: the asset catalog then no longer lists them. Returns how many."""
    if not os.environ.get("DAGSTER_HOME"):
        return 0
    import dagster as dg  # only here: the other commands do not need dagster

    with dg.DagsterInstance.get() as instance:
        keys = [k for k in instance.get_asset_keys() if k.path and k.path[0] == tenant_id]
        if keys:
            instance.wipe_assets(keys)
        return len(keys)
