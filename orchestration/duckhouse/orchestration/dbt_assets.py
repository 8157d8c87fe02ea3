"""Each tenant's dbt models as Dagster assets: one DbtProject (own target, own manifest in
target/<tenant>) and one @dbt_assets per tenant, keys prefixed with the tenant."""

from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from duckhouse.locks import tenant_lock
from duckhouse.orchestration.tenancy import tenant_pool, tenant_tags
from duckhouse.paths import PROJECT_DIR, profiles_dir, warehouse_path
from duckhouse.pipeline import after_build
from duckhouse.sqltext import sql_identifier
from duckhouse.tenants import Tenant
from duckhouse.warehouse.dbt import (
    dbt_executable,
    layer_of,
    prepare_manifests,
    stale_manifests,
    target_path,
)

DOCS_URL = "http://127.0.0.1:8080"
_log = dg.get_dagster_logger()


def table_metadata(warehouse: Path, nodes: Mapping[str, Mapping[str, Any]]) -> dict[str, dict]:
    """Row count (tables only: counting a view runs its query) and column schema of each
    built node, by unique id, read from the warehouse in one read-only connection once dbt
    has exited -- dagster-dbt's own fetches open an adapter connection per model and wait
    for dbt's writer lock, ~20 s a build whatever the data. The column descriptions come
    from the manifest."""
    if not nodes or not warehouse.is_file():
        return {}
    metadata: dict[str, dict] = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, data_type in connection.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_catalog = current_database() "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall():
            columns.setdefault((schema, table), []).append((column, data_type))
        for unique_id, node in nodes.items():
            key = (node["schema"], node["alias"])
            if key not in columns:
                continue  # not in the warehouse (an ephemeral model, a failed node)
            documented = node.get("columns") or {}
            schema = dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name=name,
                        type=data_type,
                        description=(documented.get(name) or {}).get("description") or None,
                    )
                    for name, data_type in columns[key]
                ]
            )
            entry: dict[str, Any] = {"dagster/column_schema": schema}
            if node["config"]["materialized"] != "view":
                (rows,) = connection.execute(
                    f"select count(*) from {sql_identifier(node['schema'])}."
                    f"{sql_identifier(node['alias'])}"
                ).fetchone()
                entry["dagster/row_count"] = rows
            metadata[unique_id] = entry
    return metadata


def with_table_metadata(
    events: list[Any], manifest: Mapping[str, Any], warehouse: Path
) -> Iterator[Any]:
    """The materializations of a run, in order, each with its table_metadata."""
    built = {}
    for event in events:
        if isinstance(event, dg.Output | dg.AssetMaterialization):
            unique_id = event.metadata.get("unique_id")
            if unique_id is not None and unique_id.value in manifest["nodes"]:
                built[unique_id.value] = manifest["nodes"][unique_id.value]
    metadata = table_metadata(warehouse, built)
    for event in events:
        if isinstance(event, dg.Output | dg.AssetMaterialization):
            unique_id = event.metadata.get("unique_id")
            extra = metadata.get(unique_id.value, {}) if unique_id is not None else {}
            if extra:
                event = event.with_metadata({**event.metadata, **extra})
        yield event


def prepare_stale_manifests(tenant_ids: list[str], newest_input: float) -> None:
    """Parse the tenants whose manifest is missing (a new tenant) or older than the
    project (changed since `duckhouse prepare`); checked once per code-location load."""
    stale = stale_manifests(tenant_ids, newest_input)
    if stale:
        _log.info(f"manifests missing or stale, running dbt parse for: {', '.join(stale)}")
        prepare_manifests(stale)


def tenant_project(tenant: Tenant) -> DbtProject:
    """The tenant's dbt project: its own target and artifacts folder. Its manifest is
    prepared by the caller (prepare_stale_manifests), once for all tenants."""
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
                enable_asset_checks=True,
                enable_duplicate_source_asset_keys=True,
                # each asset links to its model's file (dagster-dbt's code references)
                enable_code_references=True,
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


def build_dbt_assets(tenant: Tenant) -> dg.AssetsDefinition:
    project = tenant_project(tenant)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=TenantTranslator(tenant.id),
        name=f"{tenant.id}_dbt_build",
        pool=tenant_pool(tenant.id),
    )
    def _tenant_dbt_assets(context: dg.AssetExecutionContext) -> Iterator[Any]:
        # the resource carries the tenant's target: dbt builds this tenant's warehouse
        dbt = DbtCliResource(
            project_dir=project,
            profiles_dir=profiles_dir(),
            target=tenant.id,
            dbt_executable=dbt_executable(),
        )
        # the tenant's lock for the build and its publish (duckhouse.locks): a `delete`
        # or a CLI build of the tenant waits or is refused, never cuts it short
        with tenant_lock(tenant.id, f"dagster run {context.run_id[:8]}"):
            # one artifacts folder per tenant, reused: the tenant's pool runs one build
            # at a time (dagster-dbt would otherwise leave a folder per run)
            invocation = dbt.cli(
                ["build"], context=context, target_path=target_path(tenant.id) / "dagster"
            )
            # checks are reported as they finish; materializations are held until dbt exits
            # (the warehouse is dbt's until then), get their table metadata in one read,
            # and are reported -- those of a failed build too, before its failure
            held: list[Any] = []
            warehouse = warehouse_path(tenant.id)
            try:
                for event in invocation.stream():
                    if isinstance(event, dg.Output | dg.AssetMaterialization):
                        held.append(event)
                    else:
                        yield event
            except Exception:
                yield from with_table_metadata(held, invocation.manifest, warehouse)
                raise
            yield from with_table_metadata(held, invocation.manifest, warehouse)
            # reached only when every node passed (a failed build raises above): audited,
            # so readers may see it (duckhouse.pipeline); a failed one is never published
            published = after_build(tenant.id)
        context.log.info(
            f"{tenant.id}: audited build published to readers in {published.seconds:.1f}s "
            f"({published.path})"
        )

    return _tenant_dbt_assets
