"""The ksqlDB export lake as it is delivered: where it is, which feeds it defines, and the
rules a file must follow to land (docs/sources.md). Reads only: nothing here writes, moves or
deletes anything in a lake, and nothing here imports the demo generator
(duckhouse.simulate.ksqldb).

    <lake>/streams/<stream>/year=YYYY/month=MM/day=DD/data_YYYYMMDD_HHMMSS.parquet
    <lake>/tables/<table>/version=vN/snapshot_YYYYMMDD_HHMMSS.parquet
    <lake>/{streams,tables}/<name>/_metadata.json
    <lake>/feeds/{active,archived}/<feed>.json
"""

from __future__ import annotations

import json
from pathlib import Path

from duckhouse.paths import landing_dir
from duckhouse.tenants import KSQLDB_FEEDS, KSQLDB_STREAMS, KSQLDB_TABLES


class LakeError(RuntimeError):
    """The lake or a feed operation is not possible; the message names tenant and path."""


def lake_dir(tenant_id: str) -> Path:
    return landing_dir(tenant_id) / "ksqldb"


# ---- feeds ------------------------------------------------------------------------------
def feeds_dir(root: Path, status: str) -> Path:
    return root / "feeds" / status


def feed_kind(name: str) -> str:
    if name in KSQLDB_STREAMS:
        return "stream"
    if name in KSQLDB_TABLES:
        return "table"
    raise LakeError(f"unknown feed {name!r}: one of {', '.join(KSQLDB_FEEDS)}")


def _check_feed(path: Path, status: str) -> dict:
    """One feed definition, validated; LakeError names the file and what is wrong. The
    definition is the exporter's (untrusted): its name must be a known feed, the file's
    own name, and its path the feed's folder in this lake -- never anywhere else."""
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LakeError(f"{path}: not a readable feed definition (JSON): {exc}") from exc
    if not isinstance(definition, dict):
        raise LakeError(
            f"{path}: a feed definition is a JSON object, got {type(definition).__name__}"
        )
    name = definition.get("name")
    if name != path.stem or name not in KSQLDB_FEEDS:
        raise LakeError(f"{path}: feed name {name!r} is not the file's name or not a known "
                        f"feed ({', '.join(KSQLDB_FEEDS)})")  # fmt: skip
    kind = feed_kind(name)
    if definition.get("kind", kind) != kind or definition.get("path", f"{kind}s/{name}") != (
        f"{kind}s/{name}"
    ):
        raise LakeError(
            f"{path}: feed {name!r} must be kind {kind!r} at path '{kind}s/{name}', got kind "
            f"{definition.get('kind')!r}, path {definition.get('path')!r}"
        )
    enabled = definition.get("enabled", True)
    if not isinstance(enabled, bool):
        raise LakeError(f"{path}: 'enabled' must be true or false, got {enabled!r}")
    definition.update(kind=kind, path=f"{kind}s/{name}")
    definition["status"] = (
        "archived" if status == "archived" else "active" if enabled else "disabled"
    )
    return definition


def feed_definitions(root: Path) -> tuple[list[dict], list[tuple[Path, str]]]:
    """(every valid feed definition, active and archived, with its status; every definition
    file that is not valid, with why). A bad definition never stops the others."""
    feeds, problems = [], []
    for status in ("active", "archived"):
        folder = feeds_dir(root, status)
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_symlink() or not path.is_file():
                problems.append((path, "a symbolic link or not a regular file: never read"))
            elif path.suffix != ".json":
                problems.append((path, "not a feed definition (<feed>.json)"))
            else:
                try:
                    feeds.append(_check_feed(path, status))
                except LakeError as exc:
                    problems.append((path, str(exc).removeprefix(f"{path}: ")))
    return feeds, problems


def read_feeds(root: Path) -> list[dict]:
    """Every valid feed definition, active and archived, with its status."""
    return feed_definitions(root)[0]


def landed_feeds(root: Path) -> list[str]:
    """The feeds a build lands: active and enabled (never disabled or archived ones)."""
    return [f["name"] for f in read_feeds(root) if f["status"] == "active"]
