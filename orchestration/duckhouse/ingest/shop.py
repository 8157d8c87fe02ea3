"""The shop's CSV extracts as they are delivered: which files are extracts, and every line of
them landed under the declared contract or quarantined with its reason (docs/sources.md).

Reads only: nothing here writes, moves or deletes anything in a landing zone, and nothing
here imports the demo generator (duckhouse.simulate.shop).

    <landing>/shop/customers/customers_<sequence>[_<anything>].csv[.gz]
    <landing>/shop/products/products_<sequence>[_<anything>].csv[.gz]
    <landing>/shop/orders/orders_<sequence>[_<anything>].csv[.gz]

The delivery's order is the file name's sequence number (then the name): "latest" means the
highest sequence, never the path's sort order. Every other file in the zone is listed as
`ignored` (with why) and every symbolic link or special file as `refused` (never opened).
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import stat
import tempfile
import time
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from duckhouse.ingest.files import (
    bytes_signature,
    copy_regular,
    file_signature,
    printable,
    read_regular,
    stat_key,
)
from duckhouse.paths import landing_dir, registry_path
from duckhouse.project import project_var
from duckhouse.sqltext import sql_string
from duckhouse.tenants import RegistryError, load_registry

ENTITIES = ("customers", "products", "orders")
# The data contract of the extracts: column names and types, declared, never sniffed.
CONTRACT: dict[str, dict[str, str]] = project_var("shop_contract")
"""Each entity's columns in file order with the type they land as (dbt_project.yml)."""
COLUMNS = {entity: tuple(columns) for entity, columns in CONTRACT.items()}
DEFAULT_VALID_FROM = date(2000, 1, 1)
DEFAULT_FUTURE_DAYS = 1
"""The plausible window of every date column: from `valid_from` to the build's day plus
`future_days` (the registry's sources.shop.valid_from / future_days change it)."""

_EXTRACT_NAME = r"{entity}_(?P<sequence>[0-9]{{1,18}})(?:[_\-. ][^/]*)?\.csv(?P<gz>\.gz)?"
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")
_GENERATOR_RECORDS = ("_generator.json", "_faults.json")  # the demo generator's own files
_BOM = codecs.BOM_UTF8
_FAST_PATH_BYTES = (b'"', b"\r", b"\x00", b"\x1f")
_SEPARATOR = "\x1f"  # the fast path reads whole lines: a delimiter no such file contains
csv.field_size_limit(1 << 27)  # a long value is a value, not a quoting error


@dataclass(frozen=True)
class ZoneFile:
    """One file found in a landing zone, classified; `path` is never resolved through a link."""

    path: Path
    relative: str
    entity: str | None
    sequence: int | None
    status: str  # extract, ignored or refused
    reason: str | None
    size: int


def shop_dir(tenant_id: str) -> Path:
    return landing_dir(tenant_id) / "shop"


def _classify(root: Path, path: Path, size: int) -> ZoneFile:
    relative = path.relative_to(root)
    parts = relative.parts
    name = parts[-1]

    def ignored(reason: str, entity: str | None = None) -> ZoneFile:
        return ZoneFile(path, str(relative), entity, None, "ignored", reason, size)

    if len(parts) == 1:
        if name in _GENERATOR_RECORDS:
            return ignored("the demo generator's record of what it wrote, not an extract")
        return ignored("not in an entity folder (customers/, products/, orders/)")
    entity = parts[0]
    if entity not in ENTITIES:
        return ignored(f"in {entity}/, not an entity folder (customers/, products/, orders/)")
    if len(parts) > 2:
        return ignored(f"in a sub-folder of {entity}/: extracts are read from {entity}/ only",
                       entity)  # fmt: skip
    if name.startswith(".") or name.lower().endswith(_PARTIAL_SUFFIXES):
        return ignored("hidden or partial file (a delivery still being written?)", entity)
    match = re.fullmatch(_EXTRACT_NAME.format(entity=entity), name, re.IGNORECASE)
    if match is None:
        if name.lower().endswith((".csv", ".csv.gz")):
            return ignored(
                f"name is not {entity}_<sequence>[_<text>].csv[.gz]: no delivery sequence",
                entity,
            )
        return ignored("not a CSV extract (.csv or .csv.gz)", entity)
    return ZoneFile(path, str(relative), entity, int(match["sequence"]), "extract", None, size)


def scan_zone(root: Path) -> list[ZoneFile]:
    """Every file under the shop's landing zone, classified, in path order. Links are never
    followed: a symbolic link (to a file or a folder) and anything that is not a regular
    file are `refused`; so is the whole zone when its folder is a link."""
    linked = next((p for p in (root, root.parent, root.parent.parent) if p.is_symlink()), None)
    if linked is not None:  # the zone, landing/ or the tenant's folder: never followed
        return [ZoneFile(root, ".", None, None, "refused",
                         f"{linked} is a symbolic link: the landing zone is never read "
                         "through one", 0)]  # fmt: skip
    if not root.is_dir():
        return []
    found: list[ZoneFile] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in [*dirs, *files]:
            path = here / name
            try:
                info = path.lstat()
            except OSError:  # gone between listing and looking: the next build sees
                continue
            relative = str(path.relative_to(root))
            if not _utf8(str(path)):
                shown = Path(printable(str(path)))
                found.append(ZoneFile(shown, printable(relative), None, None, "refused",
                                      "the path is not valid UTF-8: never read", 0))  # fmt: skip
                if name in dirs:
                    dirs.remove(name)
            elif path.is_symlink():
                target = os.readlink(path)
                found.append(ZoneFile(path, relative, None, None, "refused",
                                      f"symbolic link (-> {target}): never read", 0))  # fmt: skip
            elif name in files and not path.is_file():
                found.append(ZoneFile(path, relative, None, None, "refused",
                                      "not a regular file: never read", 0))  # fmt: skip
            elif name in files and info.st_nlink > 1:
                reason = (f"hard link ({info.st_nlink} names for these bytes, perhaps "
                          "another tenant's): never read")  # fmt: skip
                found.append(ZoneFile(path, relative, None, None, "refused", reason, info.st_size))
            elif name in files:
                found.append(_classify(root, path, info.st_size))
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    return sorted(found, key=lambda f: f.relative)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in a file name (surrogate escapes)
        return False
    return True


def delivery_order(files: list[ZoneFile]) -> list[ZoneFile]:
    """Extracts in the delivery's own order: by sequence number, then name."""
    return sorted(files, key=lambda f: (f.sequence or 0, f.path.name))


def extract_files(root: Path, entity: str) -> list[Path]:
    """The extract files of `entity`, in delivery order."""
    extracts = [f for f in scan_zone(root) if f.entity == entity and f.status == "extract"]
    return [f.path for f in delivery_order(extracts)]


def count_lines(data: bytes) -> int:
    """Physical lines (LF, CRLF or CR ends one; a last line without an end counts)."""
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
    return lines + (bool(data) and not data.endswith((b"\n", b"\r")))


def window(tenant_id: str | None, today: date | None = None) -> tuple[date, date]:
    """The plausible dates of a tenant's shop: the registry's, or the defaults."""
    valid_from, future_days = DEFAULT_VALID_FROM, DEFAULT_FUTURE_DAYS
    if tenant_id:
        try:
            tenants = {t.id: t for t in load_registry(registry_path())}
        except RegistryError:
            tenants = {}
        if tenant_id in tenants:
            shop = tenants[tenant_id].shop
            valid_from, future_days = date.fromisoformat(shop.valid_from), shop.future_days
    return valid_from, (today or date.today()) + timedelta(days=future_days)


# ---- reading one file -----------------------------------------------------------------
def _header_problem(names: list[str], columns: tuple[str, ...], text: str) -> str | None:
    """Why a file's header does not match the contract (None when it does)."""
    if tuple(names) == columns:
        return None
    for delimiter in (";", "\t", "|"):
        if tuple(next(csv.reader([text], delimiter=delimiter), [])) == columns:
            return f"wrong delimiter {delimiter!r} (the contract says ',')"
    missing = [c for c in columns if c not in names]
    extra = [c for c in names if c not in columns]
    if missing:
        return f"missing column(s) {', '.join(missing)}"
    if extra:
        return f"unexpected column(s) {', '.join(extra)}"
    return "columns in another order than the contract"


MAX_GZIP_RATIO = 100
MAX_GZIP_FLOOR = 1 << 27  # 128 MB: a small file may expand more than the ratio


def _gunzip(raw: bytes) -> bytes:
    """A .gz extract decompressed, refused when it expands beyond what CSV does (more than
    MAX_GZIP_RATIO times its size, and more than 128 MB): a gzip bomb never fills memory."""
    limit = max(MAX_GZIP_FLOOR, MAX_GZIP_RATIO * len(raw))
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    data = inflater.decompress(raw, limit + 1)
    if len(data) > limit:
        raise ValueError(f"decompresses to more than {limit:,} bytes ({MAX_GZIP_RATIO}x its size): "
                         "refused as a gzip bomb")  # fmt: skip
    if not inflater.eof:
        raise ValueError("truncated gzip stream")
    return data


STALE_WORK_SECONDS = 24 * 3600  # a landing's copies live for one read, never a day


def _work_dir(zone_file: ZoneFile) -> Path:
    """The tenant's private scratch folder: <tenant>/.landing-work, beside its landing zone
    (zone_file.path is <tenant>/landing/shop/<entity>/<file>); copies a killed build left
    there a day ago or more are removed (a running landing's are minutes old)."""
    work = zone_file.path.parents[3] / ".landing-work"
    if work.is_dir() and not work.is_symlink():
        now = time.time()
        for leftover in work.iterdir():
            if leftover.suffix not in (".copy", ".piece"):
                continue
            try:
                info = leftover.lstat()
                if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_WORK_SECONDS:
                    leftover.unlink()
            except OSError:
                continue
    return work


def _read_bytes(path: Path, compressed: bool) -> bytes:
    data = read_regular(path)
    return _gunzip(data) if compressed else data


def _fast_path_fits(data: bytes) -> bool:
    """Bytes DuckDB can read line by line exactly: LF line ends, no quotes (so no record
    spans lines and no delimiter is quoted), no NUL, valid UTF-8 without a BOM."""
    if data.startswith(_BOM):
        return False
    if any(marker in data for marker in _FAST_PATH_BYTES):
        return False
    try:
        codecs.utf_8_decode(data, "strict", True)
    except UnicodeDecodeError:
        return False
    return True


PIECE_BYTES = 1 << 28  # 256 MiB: what one read of the fast path holds as one string


def _pieces(copy: Path, data: bytes, limit: int = PIECE_BYTES) -> list[tuple[Path, int]]:
    """`copy` cut at line ends into files of at most `limit` bytes (a longer line is a piece
    of its own), copied by the kernel beside it; with the number of each one's first line."""
    pieces = []
    start, line = 0, 1
    with open(copy, "rb") as source:
        while start < len(data):
            end = min(len(data), start + limit)
            if end < len(data):
                cut = data.rfind(b"\n", start, end)
                end = cut + 1 if cut >= 0 else (data.find(b"\n", end) + 1 or len(data))
            handle, name = tempfile.mkstemp(dir=copy.parent, suffix=".piece")
            pieces.append((Path(name), line))
            try:
                offset = start
                while offset < end:
                    try:
                        copied = os.copy_file_range(source.fileno(), handle, end - offset,
                                                    offset_src=offset)  # fmt: skip
                    except OSError:  # a file system without it: the bytes already read
                        copied = os.write(handle, data[offset:end])
                    if not copied:
                        raise OSError(f"{copy} ended before its {len(data)} bytes")
                    offset += copied
            finally:
                os.close(handle)
            line += data.count(b"\n", start, end)
            start = end
    return pieces


def _lines_fast(session: duckdb.DuckDBPyConnection, copy: Path, data: bytes, table: str) -> None:
    """The physical lines of `data`, read by DuckDB from `copy` -- a private copy of the
    bytes already read and hashed, in the tenant's own folder outside every landing zone:
    DuckDB never opens the delivered path, which could be a link by now.

    Every line's number is computed from its position in its piece of the file, never
    taken from the order rows are stored in (a parallel read that spills under the memory
    limit may store them in another order)."""
    pieces = _pieces(copy, data)
    try:
        # one statement per piece: a read holds one piece's text, never the whole file's
        for number, (path, first_line) in enumerate(pieces):
            head = (f"create or replace temp table {table}_text as" if number == 0
                    else f"insert into {table}_text")  # fmt: skip
            session.execute(f"""
                {head}
                with piece as (
                    select
                        string_split(content, chr(10)) as lines,
                        -- the end of the piece's last line, not a line of its own
                        right(content, 1) = chr(10) as ended
                    from read_text({sql_string(str(path))})
                ),

                kept as (
                    select case when ended then lines[1:len(lines) - 1] else lines end as lines
                    from piece
                ),

                numbered as (
                    select
                        unnest(range({first_line}, {first_line} + len(lines))) as line,
                        unnest(lines) as text
                    from kept
                )

                select line, nullif(text, '') as raw from numbered
            """)
            path.unlink()
    finally:
        for path, _ in pieces:
            path.unlink(missing_ok=True)
    # the lines are stored once; splitting them into fields is left to the one query that
    # reads them (a stored list column costs more to write and read than the split)
    session.execute(f"""
        create or replace temp view {table} as
        select
            line,
            1 as span,
            raw,
            case when raw is not null then string_split(raw, ',') end as fields,
            case when raw is null then 'blank line' end as problem
        from {table}_text
    """)


def _physical_lines(data: bytes) -> list[tuple[bytes, bytes]]:
    """(line, its end: LF, CRLF, CR or nothing for a last line without one)."""
    pieces = re.split(rb"(\r\n|\r|\n)", data)
    lines = [(pieces[i], pieces[i + 1] if i + 1 < len(pieces) else b"")
             for i in range(0, len(pieces), 2)]  # fmt: skip
    if lines and lines[-1] == (b"", b""):
        lines.pop()  # after the end of the last line: not a line
    return lines


def _lines_python(session: duckdb.DuckDBPyConnection, data: bytes, table: str) -> None:
    """The file's records, read as RFC 4180 says (quoted delimiters, newlines and quotes;
    LF, CRLF or CR line ends; a BOM), each with the physical line it starts on and how many
    it spans; a line that is not UTF-8, holds a NUL byte or is badly quoted is a record
    with its problem, and reading goes on at the next line."""
    import pyarrow as pa  # only for files the fast path cannot read

    had_bom = data.startswith(_BOM)
    lines = _physical_lines(data[len(_BOM) :] if had_bom else data)
    problems: dict[int, str] = {}
    texts: list[str] = []
    ends: list[str] = []
    for number, (raw, end) in enumerate(lines, 1):
        ends.append(end.decode("ascii"))
        if b"\x00" in raw:
            problems[number] = "NUL byte in the line"
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problems.setdefault(number, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                                        f"{exc.start + 1})")  # fmt: skip
            texts.append(raw.decode("utf-8", "replace"))
    # each line with its own end, so that a quoted value keeps the line break it holds
    reader = csv.reader((text + (end or "\n") for text, end in zip(texts, ends, strict=True)),
                        strict=True)  # fmt: skip
    columns: dict[str, list] = {"line": [], "span": [], "raw": [], "fields": [], "problem": []}
    consumed = 0
    while consumed < len(texts):
        start = consumed + 1
        try:
            fields: list[str] | None = next(reader)
            problem = None
        except StopIteration:
            break
        except csv.Error as exc:
            fields, problem = None, f"badly quoted value ({exc})"
        consumed = max(reader.line_num, start)
        if problem and "unexpected end of data" in problem:
            problem = f"a quoted value opened on line {start} is never closed"
        span_problems = [problems[n] for n in range(start, consumed + 1) if n in problems]
        if span_problems:
            fields, problem = None, span_problems[0]
        elif fields == []:
            fields, problem = None, "blank line"
        columns["line"].append(start)
        columns["span"].append(consumed - start + 1)
        columns["raw"].append("".join(
            text + end for text, end in zip(texts[start - 1 : consumed], ends[start - 1 : consumed],
                                            strict=True)).rstrip("\r\n"))  # fmt: skip
        columns["fields"].append(fields)
        columns["problem"].append(problem)
    arrow = pa.table({
        "line": pa.array(columns["line"], pa.int64()),
        "span": pa.array(columns["span"], pa.int32()),
        "raw": pa.array(columns["raw"], pa.string()),
        "fields": pa.array(columns["fields"], pa.list_(pa.string())),
        "problem": pa.array(columns["problem"], pa.string()),
    })  # fmt: skip
    session.register(f"{table}_arrow", arrow)
    try:
        session.execute(f"create or replace temp table {table} as select * from {table}_arrow")
    finally:
        session.unregister(f"{table}_arrow")


def _value_check(column: str, index: int, kind: str) -> tuple[str, str] | None:
    """(is the text v<index> exactly a value of `kind` -- its typed value is t<index> --,
    what to say when not); None for text, which is always exact."""
    value, typed = f"v{index}", f"t{index}"
    shown = f"'''' || left({value}, 40) || ''''"
    lowered = kind.lower()
    if lowered in ("bigint", "integer"):
        # exactly the integer's own spelling: no sign +, leading zero, decimals, exponent,
        # hex, digit separators or spaces -- and in the type's range
        ok = f"coalesce(cast({typed} as varchar) = {value}, false)"
        say = (f"{sql_string(f'{column}: not a valid integer: ')} || {shown} || ' (digits, "
               "an optional leading minus, no leading zeros, decimals or separators)'")  # fmt: skip
    elif lowered.startswith("decimal"):
        scale = int(lowered.split(",")[1].strip(" )"))
        pattern = f"-?(0|[1-9][0-9]*)(\\.[0-9]{{1,{scale}}})?"
        ok = f"({typed} is not null and regexp_full_match({value}, {sql_string(pattern)}))"
        say = (
            f"{sql_string(f'{column}: not a valid decimal: ')} || {shown} || ' (digits with at "
            f"most {scale} decimals and a point, no exponent, separators or rounding)'"
        )
    elif lowered == "date":
        ok = f"coalesce(cast({typed} as varchar) = {value}, false)"
        say = (f"{sql_string(f'{column}: not a valid date: ')} || {shown} || "
               "' (YYYY-MM-DD, a day that exists; no time of day)'")  # fmt: skip
    else:
        return None
    return f"({value} is null or {ok})", say


def _plausibility(column: str, index: int, kind: str, dates: tuple[date, date]) -> list[tuple]:
    """(rule, broken when, what to say) of a column whose values are exact but may not be
    plausible: dates outside the tenant's window, negative ids."""
    value, typed = f"v{index}", f"t{index}"
    lowered = kind.lower()
    if lowered == "date":
        first, last = dates
        window = (f" is outside the plausible window {first}..{last} "
                  "(registry sources.shop.valid_from / future_days)")  # fmt: skip
        return [(
            f"{column}_plausible",
            f"{typed} not between date {sql_string(first.isoformat())} "
            f"and date {sql_string(last.isoformat())}",
            f"{sql_string(f'{column}_plausible: ')} || {value} || {sql_string(window)}",
        )]  # fmt: skip
    if lowered == "bigint" and column.endswith("_id"):
        say = f"{sql_string(f'{column}_not_negative: ')} || {value} || ' is a negative id'"
        return [(f"{column}_not_negative", f"{typed} < 0", say)]
    return []


def _rows_sql(entity: str, table: str, zone_file: ZoneFile, signature: str,
              header_problem: str | None, dates: tuple[date, date]) -> str:  # fmt: skip
    """The records of one file as landed rows: typed when every value converts exactly
    and is plausible, otherwise `rejected` with the first problem, its column and rule.
    Each value is split out, converted and checked once (`failed_at` numbers the first
    check a record fails); the reason is spelled only for the records that fail."""
    contract = CONTRACT[entity]
    columns = tuple(contract)
    width = len(columns)
    indexed = list(enumerate(contract.items(), 1))
    checks = [(i, c, check) for i, (c, t) in indexed if (check := _value_check(c, i, t))]
    rules = [(i, c, *rule) for i, (c, t) in indexed for rule in _plausibility(c, i, t, dates)]
    header = "[" + ", ".join(sql_string(c) for c in columns) + "]::varchar[]"
    whole = sql_string(header_problem) if header_problem else "null"
    fail = "\n".join([
        "case",
        f"    when {whole} is not null then -3",
        "    when problem is not null then -2",
        f"    when n_fields = {width} and fields = {header} then -1",
        f"    when n_fields <> {width} then 0",
        *(f"    when not {ok} then {i}" for i, _, (ok, _) in checks),
        *(f"    when {broken} then {100 + n}" for n, (_, _, _, broken, _) in enumerate(rules)),
        "end",
    ])  # fmt: skip
    reason = "\n".join([
        "case failed_at",
        f"    when -3 then {whole}",
        "    when -2 then problem",
        "    when -1 then 'header line repeated'",
        f"    when 0 then 'too ' || case when n_fields < {width} then 'few' else 'many' end"
        f" || ' fields (' || n_fields || ' of {width})'",
        *(f"    when {i} then {say}" for i, _, (_, say) in checks),
        *(f"    when {100 + n} then {say}" for n, (_, _, _, _, say) in enumerate(rules)),
        "end",
    ])  # fmt: skip
    column = "\n".join([
        "case failed_at",
        *(f"    when {i} then {sql_string(c)}" for i, c, _ in checks),
        *(f"    when {100 + n} then {sql_string(c)}" for n, (_, c, _, _, _) in enumerate(rules)),
        "end",
    ])  # fmt: skip
    rule = "\n".join([
        "case",
        "    when failed_at is null then null",
        *(f"    when failed_at = {100 + n} then {sql_string(name)}"
          for n, (_, _, name, _, _) in enumerate(rules)),
        "    else 'contract'",
        "end",
    ])  # fmt: skip
    values = ", ".join(f"nullif(fields[{i}], '') as v{i}" for i, _ in indexed)
    converted = ", ".join(f"try_cast(v{i} as {t}) as t{i}" for i, (_, t) in indexed)
    typed = ", ".join(f"case when failed_at is null then t{i} end as {c}" for i, (c, _) in indexed)
    return f"""
        with records as (
            select line, span, raw, fields, problem, len(fields) as n_fields, {values}
            from {table}
            where line > 1
        ),

        converted as (
            select *, {converted} from records
        ),

        checked as (
            select *, {fail} as failed_at from converted
        )

        select
            {typed},
            {sql_string(str(zone_file.path))} as _source_file,
            {zone_file.sequence} as _file_sequence,
            {sql_string(signature)} as _file_signature,
            line as _line,
            span as _line_count,
            case when failed_at is null then 'landed' else 'rejected' end as _status,
            {rule} as _reject_rule,
            {column} as _reject_column,
            {reason} as _reject_reason,
            case when failed_at is not null then raw end as _raw_line
        from checked
    """


def _file_row_sql(entity: str, zone_file: ZoneFile, signature: str, reason: str) -> str:
    """One `rejected` row at line 0 for a file that cannot be read at all."""
    typed = ", ".join(f"cast(null as {t}) as {c}" for c, t in CONTRACT[entity].items())
    return (
        f"select {typed}, {sql_string(str(zone_file.path))} as _source_file, "
        f"{zone_file.sequence} as _file_sequence, {sql_string(signature)} as _file_signature, "
        "0 as _line, 0 as _line_count, 'rejected' as _status, 'contract' as _reject_rule, "
        f"null as _reject_column, {sql_string(reason)} as _reject_reason, null as _raw_line"
    )


def _land_file(session: duckdb.DuckDBPyConnection, entity: str, zone_file: ZoneFile,
               index: int, dates: tuple[date, date]) -> tuple[str, str]:  # fmt: skip
    """(signature, the SQL of the file's rows) for one extract file."""
    path = zone_file.path
    work = _work_dir(zone_file)
    try:
        copy = copy_regular(path, work)  # never through a link swapped in since the scan
    except OSError as exc:
        return "unreadable", _file_row_sql(entity, zone_file, "unreadable",
                                           f"file not readable: {exc.strerror}")  # fmt: skip
    try:
        raw = copy.read_bytes()
        signature = bytes_signature(raw)
        compressed = path.name.lower().endswith(".gz")
        try:
            data = _gunzip(raw) if compressed else raw
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            return signature, _file_row_sql(entity, zone_file, signature,
                                            f"not a readable gzip file: {exc}")  # fmt: skip
        if not data:
            empty = "empty file (0 bytes): no header, no lines"
            return signature, _file_row_sql(entity, zone_file, signature, empty)
        table = f"shop_lines_{index}"
        if _fast_path_fits(data):
            if compressed:  # DuckDB reads the decompressed bytes, from a copy of its own
                copy.write_bytes(data)
            _lines_fast(session, copy, data, table)
            (lines,) = session.execute(f"select count(*) from {table}").fetchone()
            # no CR on the fast path: LF ends every line, and a last line may have no end
            if lines != data.count(b"\n") + (not data.endswith(b"\n")):
                _lines_python(session, data, table)  # never expected: read the careful way
        else:
            _lines_python(session, data, table)
    finally:
        copy.unlink(missing_ok=True)
    header = session.execute(f"select fields, problem, raw from {table} where line = 1").fetchone()
    names, problem, text = header if header else ([], "no header", "")
    columns = COLUMNS[entity]
    header_problem = (
        f"header: {problem}" if problem else _header_problem(list(names or []), columns, text)
    )
    if header_problem:
        (records,) = session.execute(f"select count(*) from {table} where line > 1").fetchone()
        if not records:  # nothing to reject line by line: the file itself says why
            shown = repr((text or "")[:40]) if header else "no lines"
            reason = f"{header_problem} in the header {shown}, and no records after it"
            return signature, _file_row_sql(entity, zone_file, signature, reason)
    return signature, _rows_sql(entity, table, zone_file, signature, header_problem, dates)


MARKS = "('build', 'rewrite', 'removed')"  # the `_status` of the marks (_marks_sql)


_EMPTY_COLUMNS = (
    "null::varchar as _source_file, null::bigint as _file_sequence, "
    "null::varchar as _file_signature, null::bigint as _line, null::integer as _line_count, "
    "null::varchar as _status, null::varchar as _reject_rule, null::varchar as _reject_column, "
    "null::varchar as _reject_reason, null::varchar as _raw_line"
)


def land_extract_rows(  # noqa: ANN201
    session: duckdb.DuckDBPyConnection,
    root: Path,
    entity: str,
    landed: dict[str, str] | None = None,
    tenant_id: str | None = None,
    loaded_at: str = "current_timestamp",
    removed: list[str] | None = None,
):
    """The records of the extracts (see _extract_sql) as a relation, and whether they
    rewrite the history landed before. With `removed` (the landed files no longer in the
    zone; a list, possibly empty), marks for the landing's post-hook too (_marks_sql)."""
    sql, rewritten = _extract_sql(session, root, entity, landed, tenant_id, loaded_at, removed)
    return session.sql(sql), rewritten


def _extract_sql(
    session: duckdb.DuckDBPyConnection,
    root: Path,
    entity: str,
    landed: dict[str, str] | None,
    tenant_id: str | None,
    loaded_at: str = "current_timestamp",
    removed: list[str] | None = None,
) -> tuple[str, bool]:
    """Every record of the extract files of `entity`, as one relation: the declared, typed
    columns plus `_source_file`, `_file_sequence`, `_file_signature` (a hash of the file),
    `_line` (where the record starts; the header is line 1), `_line_count` (the physical
    lines it spans), `_status` (`landed` or `rejected`), `_reject_rule`, `_reject_column`,
    `_reject_reason`, `_raw_line` and `_loaded_at` (`loaded_at`, an SQL expression).
    Nothing is dropped and nothing is changed: a record lands only when every value
    converts exactly under the contract; otherwise it is rejected with its reason, and a
    file whose header breaks the contract rejects every one of its records.
    `landed` (file -> signature, from an earlier run) skips the files landed as they are
    now: only new and changed files are read (no rows when there are none); with whether
    that rewrites the history landed before (a landed file changed in place, or a new one
    delivered before a landed one)."""
    dates = window(tenant_id)
    parts = []
    found = [f for f in scan_zone(root) if f.entity == entity or f.relative == "."]
    extracts = [f for f in found if f.status == "extract"]
    if not extracts:
        # every extract of an entity gone at once is a missing delivery, not a retraction:
        # refused (the build fails, readers keep the last audited build), never landed empty
        why = "; ".join(f"{f.relative}: {f.reason}" for f in found[:3])
        raise ValueError(
            f"no {entity} extracts in {root / entity}"
            + (f" ({len(found)} file(s) there, none an extract: {why})" if found else "")
            + f": the shop must deliver at least one {entity}_<sequence>.csv"
        )
    rewritten = delivered_before = False
    for index, zone_file in enumerate(delivery_order(extracts)):
        if landed and str(zone_file.path) in landed:
            try:
                signature = file_signature(zone_file.path)
            except OSError:  # _land_file says why, as the file's own row
                signature = None
            if landed[str(zone_file.path)] == signature:
                # a new file delivered before one already landed reorders the history
                rewritten = rewritten or delivered_before
                continue
            rewritten = True  # a landed file changed in place
        elif landed is not None:
            delivered_before = True
        signature, sql = _land_file(session, entity, zone_file, index, dates)
        parts.append(sql)
    typed = ", ".join(f"cast(null as {t}) as {c}" for c, t in CONTRACT[entity].items())
    parts.append(f"select {typed}, {_EMPTY_COLUMNS} limit 0")
    if removed is not None:
        marks = [(path, "removed") for path in removed]
        marks.append((None, "rewrite" if removed or rewritten else "build"))
        parts.append(_marks_sql(marks))
    lines = " union all by name ".join(f"({p})" for p in parts)
    sql = (
        f"select * replace (cast(_line as bigint) as _line, "
        f"cast(_line_count as integer) as _line_count, "
        f"cast(_file_sequence as bigint) as _file_sequence), "
        f"{loaded_at} as _loaded_at from ({lines})"
    )
    return sql, rewritten


def landed_signatures(session: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """The extract files already in a landed table, with the signature each was landed at."""
    columns = {row[0] for row in session.execute(f"describe {relation}").fetchall()}
    if "_file_signature" not in columns:
        return {}
    # (marks the landing's post-hook did not delete: the first build, created by this
    # cursor, killed before the post-hook ran)
    return dict(session.execute(
        f"select _source_file, any_value(_file_signature) from {relation} "
        f"where _status not in {MARKS} group by all"
    ).fetchall())  # fmt: skip


def build_clock(session: duckdb.DuckDBPyConnection) -> str:
    """The load time of this build's lines, as an SQL literal: the build's start, which
    on-run-start wrote to duckhouse_meta.build_clock (macros/shop_incremental.sql), the same
    for every entity; the current time where no build wrote one."""
    try:
        (clock,) = session.execute(
            "select cast(loaded_at as varchar) from duckhouse_meta.build_clock"
        ).fetchone()
    except duckdb.CatalogException:
        return "current_timestamp"
    return f"cast('{clock}' as timestamp with time zone)"


def _marks_sql(marks: list[tuple[str | None, str]]) -> str:
    """Rows that are no lines, for the landing's post-hook (shop_finish_landing): `_status`
    `build` or `rewrite` (the history changed) for the run, `removed` for each removed file
    (whose lines the model's delete+insert on `_source_file` then removes); every other
    column null (the union by name fills them)."""
    rows = ", ".join(
        f"({'null' if path is None else sql_string(path)}, {sql_string(status)})"
        for path, status in marks
    )
    return f"select * from (values {rows}) as marks (_source_file, _status)"


def land_extract(  # noqa: ANN201
    dbt: Any,
    session: duckdb.DuckDBPyConnection,
    root: Path,
    entity: str,
    tenant_id: str | None = None,
):
    """The body of the `landed_shop__<entity>` models: every record of the extracts on a
    full build; on an incremental one only the new and changed files are read, and each
    removed file is marked for removal. The dates must fit the tenant's window (the model
    passes its id: dbt gives a Python model only the config its own file reads).

    Nothing is written here: the model's delete+insert and its post-hook
    (shop_finish_landing), in one transaction of dbt's, replace the lines of changed
    files, remove those of removed files and restamp the history -- a failed or killed
    build leaves the landing as it was.

    Every line of a build has the build's load time (build_clock). The models below follow
    the landing by `_loaded_at` (macros/shop_incremental.sql): a day's new files add lines
    with a newer load time and change nothing landed before. When the history itself
    changes (a file removed or changed in place, or a new one delivered before a landed one)
    every line kept gets the new load time too, and each model below recomputes
    everything, as a full build would."""
    loaded_at = build_clock(session)
    landed = None
    removed: list[str] = []
    if dbt.is_incremental:
        landed = landed_signatures(session, str(dbt.this))
        present = {str(path) for path in extract_files(root, entity)}
        removed = sorted(path for path in landed if path not in present)
    relation, _ = land_extract_rows(session, root, entity, landed, tenant_id, loaded_at, removed)
    return relation


def zone_inventory(root: Path, known: dict[str, tuple[str, int]] | None = None) -> list[dict]:
    """Every file of the zone, as the quality report lists it: extracts with their physical
    lines; ignored and refused files with why (their lines too, where a file can be read).
    `known` (file -> (stat key, lines), from the last inventory) spares reading a file the
    file system says was not written since it was counted (files.stat_key: any write moves
    its change time), so a daily build reads only the new and changed files."""
    rows = []
    for zone_file in scan_zone(root):
        lines = None
        key = None
        if zone_file.status != "refused":
            key = stat_key(zone_file.path)
            earlier = (known or {}).get(str(zone_file.path))
            if key is not None and earlier is not None and earlier[0] == key:
                lines = earlier[1]
            else:
                try:
                    compressed = zone_file.path.name.lower().endswith(".gz")
                    lines = count_lines(_read_bytes(zone_file.path, compressed))
                except (OSError, EOFError, zlib.error, ValueError):
                    lines = None
                # a key read before the bytes: a write meanwhile moves it, and the next
                # inventory counts again
        rows.append({
            "file_path": str(zone_file.path), "zone_path": zone_file.relative,
            "entity": zone_file.entity, "file_sequence": zone_file.sequence,
            "status": zone_file.status, "reason": zone_file.reason,
            "file_bytes": zone_file.size, "physical_lines": lines,
            "stat_key": key if lines is not None else None,
        })  # fmt: skip
    return rows
