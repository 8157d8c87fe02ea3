"""A sensor per tenant: new files in its landing zone start a run of what depends on them.

Files arrive in `<landing>/<source>/...`, dropped by the systems that export them. A file
is new when it is newer than both the sensor's cursor and the files that the source's
landing asset recorded at its last materialization: what the project landed itself never
triggers a second run. While a run of the tenant is queued or in flight the sensor waits
(it would race that run's own landing); the files are picked up on a later tick. A run it
starts builds the assets downstream of the source's landing asset, not the landing asset
itself: the files are already there.
"""

import json
import os
import stat
from pathlib import Path

import dagster as dg

from duckhouse.orchestration.schedules import tenant_job_name
from duckhouse.orchestration.tenancy import TENANT_TAG, tenant_tags
from duckhouse.paths import landing_dir
from duckhouse.tenants import Tenant

NEWEST_FILE_KEY = "newest_file_ns"
_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def newest_file_ns(folder: Path) -> int:
    """Newest modification time (ns) of a data file under `folder`; 0 when there is none.
    Links are not followed (a delivered zone may hold one; it is never read)."""
    if not folder.is_dir() or folder.is_symlink():
        return 0
    newest = 0
    for here, _dirs, files in os.walk(folder, followlinks=False):
        for name in files:
            if name.startswith(("_", ".")):
                continue
            try:
                info = os.lstat(os.path.join(here, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                newest = max(newest, info.st_mtime_ns)
    return newest


def _landed_through(instance: dg.DagsterInstance, key: dg.AssetKey) -> int:
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return 0
    value = event.asset_materialization.metadata.get(NEWEST_FILE_KEY)
    return int(value.value) if value is not None else 0


def build_landing_sensor(tenant: Tenant) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{tenant.id}_landing_sensor",
        job_name=tenant_job_name(tenant.id),
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Builds what depends on a source of {tenant.id} when new files land in its "
            "landing zone."
        ),
    )
    def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        active = context.instance.get_run_records(
            filters=dg.RunsFilter(tags={TENANT_TAG: tenant.id}, statuses=_ACTIVE), limit=1
        )
        if active:
            return dg.SensorResult(skip_reason=f"a run of tenant '{tenant.id}' is in progress")
        cursor = json.loads(context.cursor) if context.cursor else {}
        graph = context.repository_def.asset_graph
        landing = landing_dir(tenant.id)
        fresh: dict[str, int] = {}
        for source_dir in sorted(p for p in landing.glob("*") if p.is_dir()):
            source = source_dir.name
            key = dg.AssetKey([tenant.id, "landing", source])
            if source.startswith(".") or not graph.has(key):
                continue  # staging folders of a landing in progress, unknown folders
            seen = max(cursor.get(source, 0), _landed_through(context.instance, key))
            newest = newest_file_ns(source_dir)
            if newest > seen:
                fresh[source] = newest
        if not fresh:
            return dg.SensorResult(skip_reason="no new files in the landing zone")
        landing_keys = [dg.AssetKey([tenant.id, "landing", source]) for source in fresh]
        selection = dg.AssetSelection.assets(*landing_keys)
        assets = (selection.downstream() - selection).resolve(graph)
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    run_key=f"{tenant.id}:{json.dumps(fresh, sort_keys=True)}",
                    asset_selection=sorted(assets),
                    tags={**tenant_tags(tenant.id), "duckhouse/sources": ",".join(sorted(fresh))},
                )
            ],
            cursor=json.dumps({**cursor, **fresh}),
        )

    return landing_sensor
