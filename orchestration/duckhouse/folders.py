"""Folders duckhouse writes: private to the user that runs it, and replaced whole.

Everything the project writes is for its own user only: every entry point (the CLI, the
Dagster code location, the sandbox plugin in every dbt run) sets the umask to 0077, so new
files are 0600 and new folders 0700 -- warehouses, archives, snapshots, published copies,
generated zones, logs --, and tenant folders made by an older version are tightened to 0700
when the tenant is built (docs/security.md).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path


def swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` (same file system) in two renames; the old folder is
    removed afterwards. Only for folders duckhouse owns (generated zones)."""
    retired = None
    if target.exists():
        retired = target.with_name(f".{target.name}-retired-{time.time_ns()}")
        target.rename(retired)
    staging.rename(target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """From now on this process (and what it starts) creates files 0600, folders 0700."""
    os.umask(PRIVATE_UMASK)


def make_private_dir(path: Path) -> Path:
    """Create `path` (and its parents) if missing and make it 0700, also if it existed."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path
