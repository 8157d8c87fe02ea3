"""What reading a delivered file means, for every source: never through a link, never
blocked by a pipe, identified by a hash of its bytes, and named in text any reader can
store."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import unicodedata
from pathlib import Path

BLOCK = 1 << 24


def open_regular(path: Path) -> int:
    """A descriptor of `path`, only if it is a regular file: a link is never followed
    (O_NOFOLLOW) and a FIFO never blocks the build (O_NONBLOCK)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OSError(f"{path} is not a regular file")
    return descriptor


def read_regular(path: Path) -> bytes:
    """Every byte of a regular file (see open_regular)."""
    with os.fdopen(open_regular(path), "rb") as handle:
        return handle.read()


def copy_regular(path: Path, directory: Path) -> Path:
    """A private copy (0600, in `directory`) of a regular file (see open_regular), made by
    the kernel (copy_file_range: no pass through Python). What is read from the copy is
    what the copy holds, whatever the delivered path becomes meanwhile."""
    directory.mkdir(mode=0o700, exist_ok=True)
    source = open_regular(path)
    try:
        target, name = tempfile.mkstemp(dir=directory, suffix=".copy")
        try:
            size = os.fstat(source).st_size
            copied = 0
            try:
                while copied < size and (n := os.copy_file_range(source, target, size - copied)):
                    copied += n
            except OSError:  # a file system without it: the plain way, from the start
                os.lseek(source, 0, os.SEEK_SET)
                os.ftruncate(target, 0)
                os.lseek(target, 0, os.SEEK_SET)
                while block := os.read(source, BLOCK):
                    os.write(target, block)
            # a file still growing: the rest too, so the copy is the file as read to its end
            while block := os.read(source, BLOCK):
                os.write(target, block)
        except BaseException:
            os.close(target)
            os.unlink(name)
            raise
        os.close(target)
        return Path(name)
    finally:
        os.close(source)


def stat_key(path: Path) -> str | None:
    """When the file was last written, as the file system says it, links not followed:
    size, modification and change time, inode and device. The change time (ctime) moves
    with every write, and with `touch`, `cp -p`, `rsync -t` or `os.utime` putting an old
    modification time back; no user tool can set it. A file whose key is the one it was
    hashed at holds the bytes it was hashed at: its hash is reused instead of reading
    gigabytes again every build."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{info.st_dev}"


def bytes_signature(raw: bytes) -> str:
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def file_signature(path: Path) -> str:
    """What identifies one version of a delivered file: the sha256 of its bytes (a file
    corrected in place may keep its size and modification time, never its content)."""
    digest = hashlib.sha256()
    with os.fdopen(open_regular(path), "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"


def printable(text: str) -> str:
    """A path as text that any reader can store: bytes that are not UTF-8 as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def terminal_safe(text: str) -> str:
    """Text from a delivery (a file name, a reason quoting one) as a terminal may show it:
    control and format characters as \\xNN or \\uNNNN -- an escape sequence in a delivered
    file's name would otherwise clear the operator's screen or retitle the window."""
    return "".join(
        (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if unicodedata.category(c).startswith("C")
        else c
        for c in printable(text)
    )


def confined_zone(session: object, configured: str) -> Path:
    """The landing zone a Python model was configured with, if it lies inside a folder the
    model's own DuckDB session may reach (its sandbox: the tenant's folder,
    duckhouse.warehouse.sandbox);
    refuse it otherwise. The model reads the zone in Python, which DuckDB's sandbox does not
    see: this keeps those reads inside the same walls, whatever a `--vars` or a changed
    config says."""
    zone = os.path.abspath(configured)
    allowed, external = session.execute(  # type: ignore[attr-defined]
        "select current_setting('allowed_directories'), current_setting('enable_external_access')"
    ).fetchone()
    if external:
        raise PermissionError(
            f"landing zone {zone}: this DuckDB session has no sandbox (no "
            "duckhouse.warehouse.sandbox "
            "plugin in its target): refusing to read files for it"
        )
    for directory in allowed:
        root = os.path.abspath(directory)
        if zone == root or zone.startswith(root.rstrip("/") + "/"):
            return Path(zone)
    raise PermissionError(
        f"landing zone {zone} is outside this tenant's sandbox ({', '.join(allowed) or 'none'}):"
        " refused"
    )
