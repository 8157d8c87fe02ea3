"""The ksqlDB export lake as it is delivered: where it is, which feeds it defines, the
schema contract of every feed, and the rules a file must follow to land (docs/sources.md,
"ksqlDB export lake"). Reads only: nothing here writes, moves or deletes anything in a
lake, and nothing here imports the demo generator (duckhouse.simulate.ksqldb).

    <lake>/streams/<stream>/year=YYYY/month=MM/day=DD/data_YYYYMMDD_HHMMSS.parquet
    <lake>/tables/<table>/version=vN/snapshot_YYYYMMDD_HHMMSS.parquet
    <lake>/{streams,tables}/<name>/_metadata.json
    <lake>/feeds/{active,archived}/<feed>.json

`lake_inventory` lists every entry under a lake, links never followed: `valid` (lands, or
for metadata and feed definitions: checked and fine), `quarantined` (something is wrong
with it; the reason names what), `ignored` (not the lake's to land: a disabled, archived
or undefined feed, the generator's state, an unknown file) or `refused` (a symbolic link
or a special file: never opened, not even through stat).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from duckhouse.ingest.files import (
    bytes_signature,
    file_signature,
    printable,
    read_regular,
    stat_key,
)
from duckhouse.paths import PROJECT_DIR, landing_dir
from duckhouse.tenants import KSQLDB_FEEDS, KSQLDB_STREAMS, KSQLDB_TABLES

CONTRACT_SEED = PROJECT_DIR / "seeds" / "ksqldb_feed_contract.csv"


@cache
def feed_contract() -> dict[str, dict[str, str]]:
    """The schema contract of every feed, defined once, in seeds/ksqldb_feed_contract.csv
    (the warehouse has it as reference.ksqldb_feed_contract; the bronze models build a
    feed's empty relation from it): feed -> {column: exact DuckDB type}, struct fields as
    `payment.amount`, in the files' order. Extra top-level columns are schema drift and
    are carried. Read on first use (not at import: the CLI works without it)."""
    contract: dict[str, dict[str, str]] = {feed: {} for feed in KSQLDB_FEEDS}
    with CONTRACT_SEED.open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: (r["feed"], int(r["ordinal"])))
    for row in rows:
        contract[row["feed"]][row["column_name"]] = row["data_type"]
    return contract


def __getattr__(name: str) -> Any:
    if name == "FEED_CONTRACT":  # the contract as a module constant, read on first use
        return feed_contract()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# columns the landing adds (or the partition folders would add): a file may not carry them
RESERVED_COLUMNS = frozenset({
    "year", "month", "day", "version", "filename", "_ksqldb_file", "_source_file",
    "_partition_date", "_table_version", "_loaded_at", "_file_signature",
})  # fmt: skip
GLOB_CHARACTERS = frozenset("*?[]{}")  # DuckDB reads a path holding one as a pattern
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")
_GENERATOR_STATE = "_generator.json"  # the demo generator's own record (simulate.ksqldb)
_METADATA = "_metadata.json"
_PARTITION = (
    ("year", re.compile(r"year=([0-9]{4})")),
    ("month", re.compile(r"month=([0-9]{2})")),
    ("day", re.compile(r"day=([0-9]{2})")),
)
_VERSION = re.compile(r"version=v(0|[1-9][0-9]*)")
_FILE_NAME = {"stream": "data", "table": "snapshot"}
_STAMP = "[0-9]{8}_[0-9]{6}"


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
    feeds: list[dict] = []
    problems: list[tuple[Path, str]] = []
    if root.is_symlink():
        return feeds, [(root, "the lake folder is a symbolic link: never read")]
    for status in ("active", "archived"):
        folder = feeds_dir(root, status)
        if not folder.is_dir() or folder.is_symlink() or folder.parent.is_symlink():
            continue  # a linked folder is never read (the inventory lists it as refused)
        for path in sorted(folder.iterdir()):
            if printable(path.name) != path.name:
                problems.append((Path(printable(str(path))), "the name is not UTF-8: never read"))
            elif path.is_symlink() or not path.is_file():
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


def read_metadata(root: Path, feed: dict) -> tuple[dict, str | None]:
    """A feed's `_metadata.json` (the exporter's: untrusted) as (its fields, None), or ({},
    why it cannot be read): missing, a link, not JSON, not an object. Never raises."""
    path = root / feed["path"] / _METADATA
    kind_folder, feed_folder = root / feed["path"].split("/")[0], root / feed["path"]
    if any(p.is_symlink() for p in (root, kind_folder, feed_folder, path)):
        return {}, f"{path}: behind a symbolic link, never read"
    if not path.is_file():
        return {}, None
    try:
        metadata = json.loads(read_regular(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return {}, f"{path}: not readable metadata (JSON): {exc}"
    if not isinstance(metadata, dict):
        return {}, f"{path}: metadata is a JSON object, got {type(metadata).__name__}"
    return metadata, None


def landed_feeds(root: Path) -> list[str]:
    """The feeds a build lands: active and enabled (never disabled or archived ones)."""
    return [f["name"] for f in read_feeds(root) if f["status"] == "active"]


# ---- the lake inventory ----------------------------------------------------------------
INVENTORY_COLUMNS = (
    ("file_path", "varchar"), ("lake_path", "varchar"), ("feed", "varchar"),
    ("feed_kind", "varchar"), ("file_kind", "varchar"), ("partition_date", "date"),
    ("table_version", "integer"), ("exported_at", "timestamp"), ("file_bytes", "bigint"),
    ("file_signature", "varchar"), ("row_count", "bigint"), ("extra_columns", "varchar"),
    ("status", "varchar"), ("reason", "varchar"), ("contract_version", "varchar"),
    ("discovered_at", "timestamp"), ("checked_at", "timestamp"), ("stat_key", "varchar"),
)  # fmt: skip
_DRIFT_CONFLICT = "schema drift conflict: "


@dataclass
class LakeFile:
    """One entry under a lake, as the inventory lists it (inventory_ksqldb__lake_files)."""

    path: Path
    lake_path: str
    feed: str | None = None
    feed_kind: str | None = None
    file_kind: str = "other"  # data, metadata, feed_definition, folder, lake or other
    partition_date: date | None = None
    table_version: int | None = None
    exported_at: datetime | None = None
    file_bytes: int | None = None
    file_signature: str | None = None
    row_count: int | None = None
    extra_columns: str | None = None
    status: str = "valid"
    reason: str | None = None
    contract_version: str | None = None
    discovered_at: datetime | None = None
    checked_at: datetime | None = None
    stat_key: str | None = None
    extras: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def mark(self, status: str, reason: str | None) -> LakeFile:
        self.status, self.reason = status, reason
        return self

    def as_row(self) -> tuple:
        return (
            str(self.path), self.lake_path, self.feed, self.feed_kind, self.file_kind,
            self.partition_date, self.table_version, self.exported_at, self.file_bytes,
            self.file_signature, self.row_count, self.extra_columns, self.status, self.reason,
            self.contract_version, self.discovered_at, self.checked_at, self.stat_key,
        )  # fmt: skip


@dataclass
class _Feeds:
    """What the feed definitions say: each feed's status, and each definition file's."""

    status: dict[str, str]  # feed -> active, disabled or archived
    definitions: dict[str, tuple[str, str | None]]  # lake path -> (status, reason)
    broken: dict[str, str]  # feed -> lake path of its definition that is not valid


def _feeds(root: Path) -> _Feeds:
    feeds, problems = feed_definitions(root)
    status: dict[str, str] = {}
    definitions: dict[str, tuple[str, str | None]] = {}
    for feed in feeds:
        folder = "archived" if feed["status"] == "archived" else "active"
        definitions[f"feeds/{folder}/{feed['name']}.json"] = ("valid", None)
        if status.get(feed["name"]) in (None, "archived"):
            status[feed["name"]] = feed["status"]
    broken: dict[str, str] = {}
    for path, reason in problems:
        if path == root:
            continue
        relative = str(path.relative_to(root))
        if reason.startswith("not a feed definition"):
            definitions[relative] = ("ignored", reason)
        else:
            definitions[relative] = ("quarantined", f"feed definition not valid: {reason}")
            if path.stem in KSQLDB_FEEDS:
                broken.setdefault(path.stem, relative)
    return _Feeds(status, definitions, broken)


def _signature_or_error(entry: LakeFile) -> str | OSError:
    try:
        return file_signature(entry.path)
    except OSError as exc:
        return exc


def _refused(root: Path, path: Path, info: os.stat_result, kind: str) -> LakeFile:
    relative = str(path.relative_to(root))
    if stat.S_ISLNK(info.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        reason = f"symbolic link (-> {printable(target)}): never followed, never read"
    else:
        reason = "not a regular file (a FIFO, socket or device?): never opened"
    return LakeFile(path, relative, file_kind=kind, status="refused", reason=reason)


def _where(parts: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(feed, kind) of a path inside streams/<feed>/ or tables/<feed>/ (None if neither)."""
    if len(parts) >= 2 and parts[0] in ("streams", "tables"):
        names = KSQLDB_STREAMS if parts[0] == "streams" else KSQLDB_TABLES
        if parts[1] in names:
            return parts[1], parts[0][:-1]
    return None, None


def _place(entry: LakeFile, parts: tuple[str, ...], feeds: _Feeds) -> LakeFile:
    """Where a regular file is and what its name says: valid so far, or ignored or
    quarantined with why. Nothing is read."""
    name = parts[-1]
    if len(parts) == 1:
        if name == _GENERATOR_STATE:
            return entry.mark("ignored", "the demo generator's state, not an export")
        return entry.mark("ignored", "not in streams/, tables/ or feeds/")
    if parts[0] == "feeds":
        entry.file_kind = "feed_definition"
        if name.removesuffix(".json") in KSQLDB_FEEDS:
            entry.feed = name.removesuffix(".json")
            entry.feed_kind = feed_kind(entry.feed)
        status, reason = feeds.definitions.get(
            entry.lake_path,
            ("ignored", "not a feed definition (feeds/active|archived/<feed>.json)"),
        )
        return entry.mark(status, reason)
    if parts[0] not in ("streams", "tables"):
        return entry.mark("ignored", "not in streams/, tables/ or feeds/")
    if len(parts) == 2:
        return entry.mark("ignored", f"not in a feed folder ({parts[0]}/<feed>/)")
    feed, kind = _where(parts)
    if feed is None:
        known = KSQLDB_STREAMS if parts[0] == "streams" else KSQLDB_TABLES
        return entry.mark("ignored", f"{parts[1]!r} is not a known {parts[0][:-1]} "
                                     f"({', '.join(known)})")  # fmt: skip
    entry.feed, entry.feed_kind = feed, kind
    if len(parts) == 3 and name == _METADATA:
        entry.file_kind = "metadata"
    elif name.lower().endswith(".parquet") and not name.startswith("."):
        entry.file_kind = "data"
    state = feeds.status.get(feed)
    if state is None:
        broken = feeds.broken.get(feed)
        return entry.mark("ignored", (
            f"feed {feed} has no valid definition ({broken} is quarantined)" if broken
            else f"feed {feed} is not defined (no feeds/active/{feed}.json)"
        ))  # fmt: skip
    if state != "active":
        return entry.mark("ignored", f"feed {feed} is {state}: not landed")
    if entry.file_kind == "metadata":
        return entry
    if name.startswith(".") or name.lower().endswith(_PARTIAL_SUFFIXES):
        return entry.mark("ignored", "hidden or partial file (an export still being written?)")
    if entry.file_kind != "data":
        return entry.mark("ignored", "not an export file (.parquet)")
    if GLOB_CHARACTERS & set(str(entry.path)):
        return entry.mark("quarantined", "file name holds glob characters (* ? [ ] { }): "
                                         "DuckDB would read it as a pattern")  # fmt: skip
    problem = _partition(entry, parts) if kind == "stream" else _version(entry, parts)
    return entry.mark("quarantined", problem) if problem else _file_name(entry, name, kind)


def _partition(entry: LakeFile, parts: tuple[str, ...]) -> str | None:
    folders = parts[2:-1]
    if len(folders) != 3:
        return (f"not in a year=YYYY/month=MM/day=DD partition folder "
                f"(found {'/'.join(folders) or 'the feed folder itself'})")  # fmt: skip
    values = []
    for folder, (_label, pattern) in zip(folders, _PARTITION, strict=True):
        match = pattern.fullmatch(folder)
        if match is None:
            return f"not a partition folder: {folder!r} (expected {pattern.pattern})"
        values.append(int(match.group(1)))
    try:
        entry.partition_date = date(*values)
    except ValueError as exc:
        return f"invalid partition date {'/'.join(folders)}: {exc}"
    return None


def _version(entry: LakeFile, parts: tuple[str, ...]) -> str | None:
    folders = parts[2:-1]
    if len(folders) != 1:
        return (f"not in a version=vN folder "
                f"(found {'/'.join(folders) or 'the feed folder itself'})")  # fmt: skip
    match = _VERSION.fullmatch(folders[0])
    if match is None:
        return (f"invalid version folder {folders[0]!r}: version=vN, N an integer "
                "(no sign, no leading zero)")  # fmt: skip
    entry.table_version = int(match.group(1))
    return None


def _file_name(entry: LakeFile, name: str, kind: str) -> LakeFile:
    prefix = _FILE_NAME[kind]
    match = re.fullmatch(rf"{prefix}_({_STAMP})\.parquet", name)
    if match is None:
        if re.fullmatch(rf"{prefix}_{_STAMP}\.parquet", name, re.IGNORECASE):
            return entry.mark("quarantined", f"file name {name!r}: names are lower case "
                                             f"({prefix}_YYYYMMDD_HHMMSS.parquet)")  # fmt: skip
        return entry.mark("quarantined", f"file name {name!r} is not "
                                         f"{prefix}_YYYYMMDD_HHMMSS.parquet")  # fmt: skip
    try:
        entry.exported_at = datetime.strptime(match.group(1), "%Y%m%d_%H%M%S")
    except ValueError as exc:
        return entry.mark("quarantined", f"invalid export time in the file name {name!r}: {exc}")
    return entry


def _odd_entry(root: Path, path: Path, *, folder: bool) -> tuple[LakeFile | None, int]:
    """(the entry for a path that is not a plain folder (`folder`) or regular file -- a
    link, a special file, a name that is not UTF-8 (never handed to SQL), one that vanished
    -- or None for a plain one; its size)."""
    relative = str(path.relative_to(root))
    try:
        relative.encode("utf-8")
    except UnicodeEncodeError:
        return LakeFile(Path(printable(str(path))), printable(relative),
                        file_kind="folder" if folder else "other", status="refused",
                        reason="the name is not UTF-8: never read"), 0  # fmt: skip
    try:
        info = path.lstat()
    except OSError as exc:
        return LakeFile(path, relative, status="quarantined",
                        reason=f"not readable: {exc.strerror or exc}"), 0  # fmt: skip
    plain = stat.S_ISDIR(info.st_mode) if folder else stat.S_ISREG(info.st_mode)
    if plain:
        return None, info.st_size
    entry = _refused(root, path, info, "folder" if stat.S_ISLNK(info.st_mode) and folder
                     else "other")  # fmt: skip
    entry.feed, entry.feed_kind = _where(path.relative_to(root).parts)
    return entry, 0


def scan_lake(root: Path) -> list[LakeFile]:
    """Every entry under the lake, placed by its path alone (nothing is opened): regular
    files, and the links and special files found (refused). Links are never followed, not
    even by stat: a linked folder is one refused entry, never walked into."""
    if root.is_symlink():
        info = root.lstat()
        entry = _refused(root.parent, root, info, "lake")
        entry.lake_path = "."
        entry.reason = f"the lake folder is a {entry.reason}"
        return [entry]
    linked = next((p for p in (root.parent, root.parent.parent) if p.is_symlink()), None)
    if linked is not None:  # landing/ or the tenant's folder: the lake is never read through it
        return [LakeFile(root, ".", file_kind="lake", status="refused",
                         reason=f"{linked} is a symbolic link: the lake is never read "
                         "through one")]  # fmt: skip
    feeds = _feeds(root)
    found: list[LakeFile] = []

    def unreadable(error: OSError) -> None:
        path = Path(error.filename or root)
        found.append(LakeFile(path, str(path.relative_to(root)) if path != root else ".",
                              file_kind="folder", status="quarantined",
                              reason=f"folder not readable: {error.strerror}"))  # fmt: skip

    for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(folder)
        keep = []
        for name in sorted(dirs):
            entry, _ = _odd_entry(root, here / name, folder=True)
            if entry is None:
                keep.append(name)
            else:
                found.append(entry)
        dirs[:] = keep
        for name in sorted(files):
            path = here / name
            entry, size = _odd_entry(root, path, folder=False)
            if entry is None:
                entry = LakeFile(path, str(path.relative_to(root)), file_bytes=size)
                entry = _place(entry, path.relative_to(root).parts, feeds)
            found.append(entry)
    return sorted(found, key=lambda f: f.lake_path)


# ---- the schema contract ---------------------------------------------------------------
def contract_version(feed: str) -> str:
    """A fingerprint of a feed's contract (and of these rules): a file checked against
    another version is checked again."""
    text = json.dumps([sorted(RESERVED_COLUMNS), feed_contract()[feed]])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Contract:
    """A feed's contract in DuckDB's own spelling of types (one query per feed per build)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._columns: dict[str, dict[str, str]] = {}
        self._fields: dict[str, dict[str, dict[str, str]]] = {}

    def columns(self, feed: str) -> dict[str, str]:
        """Top-level column -> canonical DuckDB type (structs assembled from their fields)."""
        if feed not in self._columns:
            top: dict[str, Any] = {}
            for column, data_type in feed_contract()[feed].items():
                head, _, leaf = column.partition(".")
                if leaf:
                    top.setdefault(head, {})[leaf] = data_type
                else:
                    top[head] = data_type
            spelled = {
                name: value if isinstance(value, str) else
                "STRUCT(" + ", ".join(f"{_quote(f)} {t}" for f, t in value.items()) + ")"
                for name, value in top.items()
            }  # fmt: skip
            canonical = self.session.execute(
                "select " + ", ".join(f"typeof(cast(null as {t}))" for t in spelled.values())
            ).fetchone()
            self._columns[feed] = dict(zip(spelled, canonical, strict=True))
            self._fields[feed] = {}
            for name, value in top.items():
                if isinstance(value, dict):
                    types = self.session.execute(
                        "select " + ", ".join(f"typeof(cast(null as {t}))" for t in value.values())
                    ).fetchone()
                    self._fields[feed][name] = dict(zip(value, types, strict=True))
        return self._columns[feed]

    def fields(self, feed: str, column: str) -> dict[str, str]:
        self.columns(feed)
        return self._fields[feed][column]


def _describe(session: Any, sql: str, path: Path) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in session.execute(sql, [str(path)]).fetchall()]


def check_contract(session: Any, contract: Contract, path: Path, feed: str
                   ) -> tuple[list[str], list[tuple[str, str]]]:  # fmt: skip
    """(what breaks the feed's contract, the extra columns with their types) of one Parquet
    file: one `describe` of the file; only a struct that differs is described field by
    field, to name the culprit. The path is bound, never pasted into SQL (and holds no
    glob character: the inventory refuses those before)."""
    actual = dict(_describe(
        session, "describe select * from read_parquet(?, hive_partitioning = false)", path
    ))  # fmt: skip
    expected = contract.columns(feed)
    problems: list[str] = []
    for column, data_type in expected.items():
        if column not in actual:
            problems.append(f"missing column {column}")
        elif actual[column] != data_type:
            fields = feed_contract()[feed].keys()
            if any(f.startswith(f"{column}.") for f in fields) and actual[column].startswith(
                "STRUCT("
            ):
                problems += _struct_problems(session, contract, path, feed, column)
            else:
                problems.append(_retyped(column, actual[column], data_type))
    extras = [(c, t) for c, t in actual.items() if c not in expected]
    for column, _ in extras:
        if column.lower() in RESERVED_COLUMNS:
            problems.append(f"column {column} is reserved for the landing's own columns")
    others = [c for c, _ in extras if c.lower() not in RESERVED_COLUMNS]
    if problems and others:
        problems.append(f"columns not in the contract: {', '.join(others)}")
    return problems, extras


def _retyped(column: str, actual: str, expected: str) -> str:
    return f"{column}: type {actual}, the contract says {expected}"


def _struct_problems(session: Any, contract: Contract, path: Path, feed: str,
                     column: str) -> list[str]:  # fmt: skip
    fields = dict(_describe(
        session,
        f"describe select unnest({_quote(column)}) "
        "from read_parquet(?, hive_partitioning = false)",
        path,
    ))  # fmt: skip
    expected = contract.fields(feed, column)
    problems = []
    for name, data_type in expected.items():
        if name not in fields:
            problems.append(f"missing column {column}.{name}")
        elif fields[name] != data_type:
            problems.append(_retyped(f"{column}.{name}", fields[name], data_type))
    problems += [
        f"{column}.{name}: not a field of the contract's {column} struct"
        for name in fields
        if name not in expected
    ]
    if not problems:
        problems.append(f"{column}: fields in another order than the contract's "
                        f"({', '.join(expected)})")  # fmt: skip
    return problems


# ---- one inventory ---------------------------------------------------------------------
def _inspect_data(session: Any, contract: Contract, entry: LakeFile, previous: dict | None,
                  now: datetime, signature: str | OSError) -> None:  # fmt: skip
    """The content checks of one data file whose place and name are right: not empty,
    readable Parquet, the feed's contract. Reuses the last build's verdict when the file's
    bytes and the contract are the same."""
    if entry.file_bytes == 0:
        entry.mark("quarantined", "empty file (0 bytes)")
        return
    if isinstance(signature, OSError):
        entry.mark("quarantined", f"not readable: {signature.strerror or signature}")
        return
    entry.file_signature = signature
    entry.contract_version = contract_version(entry.feed)
    if (
        previous is not None
        and previous.get("file_signature") == entry.file_signature
        and previous.get("contract_version") == entry.contract_version
    ):
        entry.row_count = previous.get("row_count")
        entry.checked_at = previous.get("checked_at")
        entry.extras = _decode_extras(previous.get("extra_columns"))
        reason = previous.get("reason")
        if previous["status"] == "valid" or (reason or "").startswith(_DRIFT_CONFLICT):
            entry.mark("valid", None)
        else:
            entry.mark(previous["status"], reason)
        return
    entry.checked_at = now
    try:
        problems, entry.extras = check_contract(session, contract, entry.path, entry.feed)
        (rows,) = session.execute(
            "select sum(num_rows) from parquet_file_metadata(?)", [str(entry.path)]
        ).fetchone()
    except Exception as exc:  # DuckDB's errors are not one class; the reason says which
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        entry.mark("quarantined", f"not a readable Parquet file: {first}")
        return
    entry.row_count = int(rows or 0)
    if problems:
        entry.mark("quarantined", "; ".join(problems))


def _encode_extras(extras: Iterable[tuple[str, str]]) -> str | None:
    # "; " between columns: a struct's type holds ", "
    return "; ".join(f"{name} {data_type}" for name, data_type in extras) or None


def _decode_extras(text: str | None) -> list[tuple[str, str]]:
    extras = []
    for item in (text or "").split("; "):
        if item:
            name, _, data_type = item.partition(" ")
            extras.append((name, data_type))
    return extras


def _check_drift(files: list[LakeFile]) -> None:
    """Extra columns are carried, but one column has one type: a file whose extra column
    has another type than the earliest valid export that carried it is quarantined."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    candidates = [f for f in files if f.file_kind == "data" and f.status == "valid"]
    for entry in sorted(candidates, key=lambda f: (f.exported_at, f.lake_path)):
        clashes = []
        for name, data_type in entry.extras:
            first = seen.get((entry.feed, name.lower()))
            if first is not None and first[0] != data_type:
                clashes.append(f"{name}: type {data_type}, {first[1]} carried {first[0]}")
        if clashes:
            entry.mark("quarantined", _DRIFT_CONFLICT + "; ".join(clashes))
            continue
        for name, data_type in entry.extras:
            seen.setdefault((entry.feed, name.lower()), (data_type, entry.lake_path))


def _inspect_metadata(entry: LakeFile) -> None:
    try:
        raw = read_regular(entry.path)
        entry.file_signature = bytes_signature(raw)
        metadata = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        entry.mark("quarantined", f"not readable: {exc.strerror or exc}")
        return
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        entry.mark("quarantined", f"not readable metadata (JSON): {exc}")
        return
    if not isinstance(metadata, dict):
        entry.mark("quarantined", f"metadata is a JSON object, got {type(metadata).__name__}")
    elif metadata.get("name", entry.feed) != entry.feed:
        entry.mark("quarantined", f"metadata of feed {metadata.get('name')!r}, "
                                  f"in the folder of {entry.feed}")  # fmt: skip


def lake_inventory(session: Any, root: Path, previous: dict[str, dict] | None,
                   now: datetime) -> list[LakeFile]:  # fmt: skip
    """Every entry under the lake with its status and reason (see the module's docstring).
    `previous` (file path -> the last build's row) keeps when a file was first seen and
    spares reading again a data file whose bytes did not change."""
    previous = previous or {}
    contract = Contract(session)
    files = scan_lake(root)
    # a data file is identified by the hash of its bytes; it is hashed again when it was
    # written since it was hashed (stat_key: ctime moves with every write), in threads
    # (hashlib lets go of the GIL)
    data = [f for f in files if f.status == "valid" and f.file_kind == "data" and f.file_bytes]
    signatures: dict[int, str | OSError] = {}
    for entry in data:
        entry.stat_key = stat_key(entry.path)
        earlier = previous.get(str(entry.path)) or {}
        if (
            entry.stat_key
            and earlier.get("stat_key") == entry.stat_key
            and earlier.get("file_signature")
        ):
            signatures[id(entry)] = earlier["file_signature"]
    hashed = [entry for entry in data if id(entry) not in signatures]
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        signatures.update(zip(map(id, hashed), pool.map(_signature_or_error, hashed), strict=True))
    for entry in files:
        earlier = previous.get(str(entry.path))
        entry.discovered_at = earlier["discovered_at"] if earlier else now
        if entry.status != "valid":
            continue
        if entry.file_kind == "data":
            _inspect_data(session, contract, entry, earlier, now, signatures.get(id(entry), ""))
        elif entry.file_kind == "metadata":
            _inspect_metadata(entry)
        elif entry.file_kind == "feed_definition":
            try:
                entry.file_signature = bytes_signature(read_regular(entry.path))
            except OSError as exc:
                entry.mark("quarantined", f"not readable: {exc.strerror or exc}")
    _check_drift(files)
    for entry in files:
        entry.extra_columns = _encode_extras(entry.extras)
    return files
