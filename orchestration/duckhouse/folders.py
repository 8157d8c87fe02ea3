"""Replacing a folder that readers may be reading: they see the old one or the new one."""

from __future__ import annotations

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
