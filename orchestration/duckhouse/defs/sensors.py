"""A sensor per tenant: new files in its landing zone start a run of what depends on them.

Files are dropped into `<landing>/<source>/...` by the systems that export them. The
sensor keeps the newest modification time it has seen as its cursor; files newer than
that start one run that builds the assets downstream of that source's landing asset
(not the landing asset itself: the files are already there).
"""

import json
from pathlib import Path

import dagster as dg

from duckhouse.defs.schedules import tenant_job_name
from duckhouse.defs.tenancy import tenant_tags
from duckhouse.paths import landing_dir
from duckhouse.tenants import Tenant


def _newest_files(landing: Path, since_ns: int) -> dict[str, int]:
    """For each source folder, the newest mtime of a data file newer than `since_ns`."""
    newest: dict[str, int] = {}
    if not landing.is_dir():
        return newest
    for source_dir in sorted(p for p in landing.iterdir() if p.is_dir()):
        if source_dir.name.startswith("."):
            continue  # staging folders of a landing in progress
        for path in source_dir.rglob("*"):
            if path.is_file() and not path.name.startswith(("_", ".")):
                mtime = path.stat().st_mtime_ns
                if mtime > since_ns:
                    newest[source_dir.name] = max(newest.get(source_dir.name, 0), mtime)
    return newest


def build_landing_sensor(tenant: Tenant) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{tenant.id}_landing_sensor",
        job_name=tenant_job_name(tenant.id),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Runs {tenant.id}'s models when new files land in its landing zone.",
    )
    def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        cursor = json.loads(context.cursor) if context.cursor else {"since_ns": 0}
        fresh = _newest_files(landing_dir(tenant.id), cursor["since_ns"])
        if not fresh:
            return dg.SensorResult(skip_reason="no new files in the landing zone")
        newest = max(fresh.values())
        landing_keys = [dg.AssetKey([tenant.id, "landing", source]) for source in sorted(fresh)]
        selection = dg.AssetSelection.assets(*landing_keys).downstream() - dg.AssetSelection.assets(
            *landing_keys
        )
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{tenant.id}:{newest}",
                    asset_selection=list(selection.resolve(context.repository_def.asset_graph)),
                    tags={**tenant_tags(tenant.id), "duckhouse/sources": ",".join(sorted(fresh))},
                )
            ],
            cursor=json.dumps({"since_ns": newest}),
        )

    return landing_sensor
