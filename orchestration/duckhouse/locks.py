"""One lock per tenant, taken by everything that writes the tenant's files or reads its build
warehouse: landing, the build and its publish (the CLI's and Dagster's), the demo lake's and
shop's generators, `delete`, and `list` (shared, to read the build warehouse).

It is an advisory `flock` on `<data>/_locks/<tenant>.lock` (a folder no tenant id can
name): the kernel drops it when the holder dies, so a killed build never leaves a stale
lock. Writers wait for each other (a second build of a tenant starts when the first ends);
`delete` and `list` never wait: they say who holds the tenant. A reader of the build
warehouse holds it shared for the moment it reads, so a build waits for that moment instead
of failing on DuckDB's file lock; readers of the audited build (`duckhouse query`, the
dashboard) read the published copy and take no lock at all.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from duckhouse.paths import data_dir
from duckhouse.tenants import validate_tenant_id

LOCKS_DIR_NAME = "_locks"


class TenantBusyError(RuntimeError):
    """The tenant is being landed, built or deleted by another process."""


def lock_path(tenant_id: str) -> Path:
    return data_dir() / LOCKS_DIR_NAME / f"{validate_tenant_id(tenant_id)}.lock"


def holder(tenant_id: str) -> str:
    """Who holds (or last held) the tenant's lock exclusively: `<what> (pid N, since T)`."""
    try:
        found = json.loads(lock_path(tenant_id).with_suffix(".holder").read_text())
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(found["since"]))
        return f"{found['what']} (pid {found['pid']}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


@contextmanager
def tenant_lock(
    tenant_id: str, what: str, *, shared: bool = False, wait: bool = True
) -> Iterator[None]:
    """Hold the tenant's lock for `what` (e.g. "build"). `wait=False`: raise TenantBusyError
    naming the holder instead of waiting. Re-entrant within a process is not needed: every
    holder takes it once, around the whole of what it does."""
    path = lock_path(tenant_id)
    for attempt in range(3):  # `forget` may remove the empty folder in between
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(descriptor, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise TenantBusyError(
                    f"tenant '{tenant_id}' is busy: {holder(tenant_id)}; try again when it "
                    "has finished"
                ) from None
            print(f"[{tenant_id}] waiting for {holder(tenant_id)} to finish", flush=True)
            fcntl.flock(descriptor, mode)
        if not shared:
            record = path.with_suffix(".holder")
            partial = record.with_suffix(f".{os.getpid()}")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as file:
                json.dump({"what": what, "pid": os.getpid(), "since": time.time()}, file)
            os.replace(partial, record)
        yield
    finally:
        os.close(descriptor)  # closing the descriptor releases the lock


def forget(tenant_id: str) -> None:
    """Remove a deleted tenant's lock files; called by `delete` while it holds the lock. A
    process that was waiting for it then holds a lock on a file no one else can open, and
    finds the tenant gone from the registry (the CLI's build checks again under the lock)."""
    path = lock_path(tenant_id)
    for stale in (path, path.with_suffix(".holder")):
        stale.unlink(missing_ok=True)
    with suppress(OSError):  # not empty: other tenants' locks are there
        path.parent.rmdir()  # the last tenant's: nothing of it is left in the data dir
