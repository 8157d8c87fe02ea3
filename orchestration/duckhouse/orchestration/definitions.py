"""The duckhouse Dagster code location: every tenant in the registry, its landing and dbt
assets (dbt tests as asset checks), its job, schedule and landing sensor.

Start it with `make dagster`; a tenant added to tenants.yml appears on the next load.
"""

from __future__ import annotations

import os

import dagster as dg

from duckhouse.folders import private_umask
from duckhouse.orchestration.dbt_assets import (
    build_dbt_assets,
    prepare_stale_manifests,
)
from duckhouse.orchestration.landing import build_landing_assets
from duckhouse.orchestration.schedules import build_tenant_job, build_tenant_schedule
from duckhouse.orchestration.sensors import build_landing_sensor
from duckhouse.paths import DATA_DIR_ENV, data_dir, profiles_dir, registry_path
from duckhouse.tenants import load_registry
from duckhouse.warehouse.dbt import newest_project_file
from duckhouse.warehouse.profiles import ensure_profiles


def build_definitions() -> dg.Definitions:
    private_umask()  # runs and what they write are this user's alone (duckhouse.folders)
    # dbt runs as a subprocess of the run worker: pin the data dir it resolves paths from
    os.environ[DATA_DIR_ENV] = str(data_dir())
    assets: list[dg.AssetsDefinition] = []
    jobs, schedules, sensors = [], [], []
    tenants = load_registry(registry_path())
    # a tenant added to the registry gets its dbt target before its manifest is parsed
    ensure_profiles(tenants, profiles_dir())
    # staleness checked once, for every tenant; a stale or new tenant's manifest is parsed
    prepare_stale_manifests([tenant.id for tenant in tenants], newest_project_file())
    for tenant in tenants:
        assets += build_landing_assets(tenant)
        assets.append(build_dbt_assets(tenant))
        job = build_tenant_job(tenant)
        jobs.append(job)
        schedules.append(build_tenant_schedule(tenant, job))
        sensors.append(build_landing_sensor(tenant))
    # one process per run, not one per step: a tenant's steps run one after the other
    # anyway (its landing feeds its one dbt step), and each step process would load the
    # code location again (~4 s each); tenants still run in parallel, one run each
    return dg.Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Loaded lazily by Dagster (`dagster dev -m duckhouse.orchestration.definitions`),
    not on import."""
    return build_definitions()
