"""Each tenant's dbt models as Dagster assets: one DbtProject (own target, own manifest in
target/<tenant>) and one @dbt_assets per tenant, keys prefixed with the tenant."""

import logging
import os
import subprocess
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from duckhouse.audit import publish_audited
from duckhouse.dashboard.snapshots import prune_snapshots
from duckhouse.dbt import dbt_env, dbt_executable
from duckhouse.defs.tenancy import layer_of, tenant_pool, tenant_tags
from duckhouse.locks import tenant_lock
from duckhouse.paths import PROJECT_DIR, profiles_dir
from duckhouse.tenants import Tenant

DOCS_URL = "http://127.0.0.1:8080"
_log = dg.get_dagster_logger()


class _BronzeLineageFilter(logging.Filter):
    """Bronze models read external files that the adapter cannot describe, so dagster-dbt
    cannot compute their column lineage; its traceback warning on every bronze model in
    every run would bury real problems. Lineage from silver upwards is unaffected."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not (
            message.startswith("An error occurred while building column lineage metadata")
            and "`models/bronze/" in message
        )


logging.getLogger("dagster.builtin").addFilter(_BronzeLineageFilter())


def target_path(tenant_id: str) -> Path:
    return PROJECT_DIR / "target" / tenant_id


def prepare_manifest(tenant_id: str) -> Path:
    """`dbt parse` for the tenant's target: the manifest its assets are defined from."""
    result = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--target", tenant_id,
         "--target-path", str(target_path(tenant_id))],
        cwd=PROJECT_DIR, env=dbt_env(), text=True, capture_output=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(
            f"tenant '{tenant_id}': dbt parse failed\n{result.stdout}\n{result.stderr}"
        )
    return target_path(tenant_id) / "manifest.json"


_PROJECT_INPUTS = ("models", "macros", "seeds", "snapshots", "tests", "analyses", "docs")


def newest_project_file() -> float:
    """Newest modification time of anything dbt parses (a cheap walk, no parse)."""
    newest = max(
        (PROJECT_DIR / name).stat().st_mtime
        for name in ("dbt_project.yml", "packages.yml")
        if (PROJECT_DIR / name).exists()
    )
    for folder in _PROJECT_INPUTS:
        for path in (PROJECT_DIR / folder).rglob("*"):
            if path.suffix in (".sql", ".yml", ".yaml", ".md", ".csv", ".py"):
                newest = max(newest, path.stat().st_mtime)
    profiles = profiles_dir() / "profiles.yml"
    return max(newest, profiles.stat().st_mtime) if profiles.exists() else newest


def manifest_is_stale(tenant_id: str, newest_input: float) -> bool:
    manifest = target_path(tenant_id) / "manifest.json"
    return not manifest.is_file() or manifest.stat().st_mtime < newest_input


def prepare_stale_manifests(tenant_ids: list[str], newest_input: float) -> None:
    """Parse, as many at a time as there are cores, the tenants whose manifest is missing
    (a new tenant) or older than the project (changed since `duckhouse prepare`)."""
    stale = [t for t in tenant_ids if manifest_is_stale(t, newest_input)]
    if not stale:
        return
    _log.info(f"manifests missing or stale, running dbt parse for: {', '.join(stale)}")
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(prepare_manifest, stale))


def tenant_project(tenant: Tenant, newest_input: float | None = None) -> DbtProject:
    newest_input = newest_project_file() if newest_input is None else newest_input
    prepare_stale_manifests([tenant.id], newest_input)
    return DbtProject(
        project_dir=PROJECT_DIR,
        profiles_dir=profiles_dir(),
        target=tenant.id,
        target_path=target_path(tenant.id),
    )


class TenantTranslator(DagsterDbtTranslator):
    """Asset keys `<tenant>/<layer>/<model>`, groups `<tenant>_<layer>`, sources mapped to
    the tenant's landing asset, docs links and freshness from the model's meta."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            settings=DagsterDbtTranslatorSettings(
                enable_asset_checks=True, enable_duplicate_source_asset_keys=True
            )
        )
        self.tenant_id = tenant_id

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # every table of a source is landed by one landing asset
            return dg.AssetKey([self.tenant_id, "landing", dbt_resource_props["source_name"]])
        return dg.AssetKey(
            [self.tenant_id, layer_of(dbt_resource_props), dbt_resource_props["name"]]
        )

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return f"{self.tenant_id}_{layer_of(dbt_resource_props)}"

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        return {**super().get_tags(dbt_resource_props), **tenant_tags(self.tenant_id)}

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        metadata = dict(super().get_metadata(dbt_resource_props))
        unique_id = dbt_resource_props["unique_id"]
        kind = dbt_resource_props["resource_type"]
        metadata["docs"] = dg.MetadataValue.url(f"{DOCS_URL}/#!/{kind}/{unique_id}")
        metadata["dbt file"] = dg.MetadataValue.path(dbt_resource_props["original_file_path"])
        return metadata

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        hours = (props.get("config", {}).get("meta") or {}).get("freshness_hours")
        if hours:
            spec = spec.replace_attributes(
                freshness_policy=dg.FreshnessPolicy.time_window(
                    fail_window=timedelta(hours=float(hours)),
                    warn_window=timedelta(hours=float(hours) * 0.75),
                )
            )
        return spec


def build_dbt_assets(tenant: Tenant, newest_input: float | None = None) -> dg.AssetsDefinition:
    project = tenant_project(tenant, newest_input)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=TenantTranslator(tenant.id),
        name=f"{tenant.id}_dbt_build",
        pool=tenant_pool(tenant.id),
    )
    def _tenant_dbt_assets(context: dg.AssetExecutionContext) -> Iterator[Any]:
        # the resource carries the tenant's target, so row counts and column metadata are
        # fetched from this tenant's warehouse (never another's)
        dbt = DbtCliResource(
            project_dir=project,
            profiles_dir=profiles_dir(),
            target=tenant.id,
            dbt_executable=dbt_executable(),
        )
        # the tenant's lock for the build and its publish (duckhouse.locks): a `delete`
        # or a CLI build of the tenant waits or is refused, never cuts it short
        with tenant_lock(tenant.id, f"dagster run {context.run_id[:8]}"):
            try:
                yield from (
                    # one artifacts folder per tenant, reused: the tenant's pool runs one
                    # build at a time (dagster-dbt would otherwise leave a folder per run)
                    dbt.cli(
                        ["build"], context=context, target_path=target_path(tenant.id) / "dagster"
                    )
                    .stream()
                    .fetch_row_counts()
                    .fetch_column_metadata()
                )
            finally:
                release_warehouse()
            # reached only when every node passed (a failed build raises above): audited,
            # so readers may see it (duckhouse.audit); a failed one is never published
            prune_snapshots(tenant.id)
            published = publish_audited(tenant.id)
        context.log.info(
            f"{tenant.id}: audited build published to readers in {published.seconds:.1f}s "
            f"({published.path})"
        )

    return _tenant_dbt_assets


def release_warehouse() -> None:
    """Close the warehouse connection the metadata queries opened in this process.

    fetch_row_counts and fetch_column_metadata query the warehouse through dbt-duckdb, whose
    connection is process-wide and outlives the step. A process that materializes in-process
    (tests, `dagster asset materialize` with the in-process executor) would otherwise keep the
    tenant's DuckDB file locked, and the tenant's next run would fail on the writer lock.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()
