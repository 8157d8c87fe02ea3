"""Land TPC-H for a tenant as Parquet files (the embedded default, no server needed).

Files land in `<landing>/tpch/<table>.parquet`: the same shape a PostgreSQL extract
lands later. A landing is atomic (written to a staging folder, then swapped in) and
idempotent (a landing at the same scale factor is kept unless forced).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from duckhouse.extensions import load_extension
from duckhouse.folders import swap_in
from duckhouse.paths import landing_dir
from duckhouse.sqltext import sql_string
from duckhouse.tenants import Tenant

TPCH_TABLES = (
    "region",
    "nation",
    "customer",
    "supplier",
    "part",
    "partsupp",
    "orders",
    "lineitem",
)
MANIFEST_NAME = "_manifest.json"


@dataclass(frozen=True)
class LandingResult:
    tenant_id: str
    path: Path
    row_counts: dict[str, int]
    seconds: float
    skipped: bool


def tpch_landing_dir(tenant_id: str) -> Path:
    return landing_dir(tenant_id) / "tpch"


def read_manifest(tenant_id: str) -> dict | None:
    manifest = tpch_landing_dir(tenant_id) / MANIFEST_NAME
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text())


def _is_current(tenant: Tenant) -> bool:
    manifest = read_manifest(tenant.id)
    target = tpch_landing_dir(tenant.id)
    return (
        manifest is not None
        and manifest.get("scale_factor") == tenant.tpch.scale_factor
        and all((target / f"{table}.parquet").is_file() for table in TPCH_TABLES)
    )


def land_tpch(tenant: Tenant, *, force: bool = False) -> LandingResult:
    """Generate TPC-H at the tenant's scale factor into its landing zone."""
    target = tpch_landing_dir(tenant.id)
    if not force and _is_current(tenant):
        manifest = read_manifest(tenant.id) or {}
        return LandingResult(tenant.id, target, manifest.get("row_counts", {}), 0.0, True)

    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tpch-staging-", dir=target.parent))
    try:
        connection = duckdb.connect(config={"temp_directory": str(staging / ".spill")})
        try:
            load_extension(connection, "tpch")
            connection.execute("call dbgen(sf = ?)", [tenant.tpch.scale_factor])
            row_counts: dict[str, int] = {}
            for table in TPCH_TABLES:
                out = staging / f"{table}.parquet"
                connection.execute(
                    f"copy {table} to {sql_string(out)} (format parquet, compression zstd)"
                )
                (count,) = connection.execute(f"select count(*) from {table}").fetchone()
                row_counts[table] = int(count)
        finally:
            connection.close()
        shutil.rmtree(staging / ".spill", ignore_errors=True)
        manifest = {
            "tenant_id": tenant.id,
            "source": "tpch",
            "mode": tenant.tpch.mode,
            "scale_factor": tenant.tpch.scale_factor,
            "row_counts": row_counts,
            "landed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
        swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return LandingResult(tenant.id, target, row_counts, time.perf_counter() - started, False)
