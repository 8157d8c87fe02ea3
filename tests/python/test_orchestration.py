"""Dagster: the definitions load for every tenant, a tenant materializes in-process with
its checks passing, and two runs of one tenant wait for each other instead of failing."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from conftest import PROJECT_DIR, make_env, use_env, write_registry

DEMO = ("acme", "globex")
DEFINITIONS = "duckhouse.orchestration.definitions"
IN_FLIGHT = {dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED}
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@pytest.fixture(scope="module")
def demo_definitions(tmp_path_factory):
    """The definitions of the demo registry (a copy of the tracked tenants.yml), loaded once
    with profiles, data and dbt artifacts of their own: loading writes profiles.yml and
    parses every tenant's manifest, never into the checkout. Yields the definitions and
    the calls made while loading to the staleness check and the project walk."""
    from duckhouse.warehouse import dbt

    root = tmp_path_factory.mktemp("demo")
    registry = root / "tenants.yml"
    shutil.copy(PROJECT_DIR / "tenants.yml", registry)
    calls: dict[str, list[tuple]] = {"stale_manifests": [], "newest_project_file": []}
    with pytest.MonkeyPatch.context() as patch:
        use_env(patch, make_env(root, registry))
        for name in calls:
            original = getattr(dbt, name)

            def counted(*args, _name=name, _original=original):
                calls[_name].append(args)
                return _original(*args)

            # the function wherever it was imported by name (dbt_assets, definitions)
            for module in list(sys.modules.values()):
                if getattr(module, "__name__", "").startswith("duckhouse") and (
                    getattr(module, name, None) is original
                ):
                    patch.setattr(module, name, counted)
        yield _definitions(), calls


@pytest.fixture(scope="module")
def dagster_tenant(tmp_path_factory):
    """A tenant of its own for the Dagster tests (registry, profiles, data, instance)."""
    root = tmp_path_factory.mktemp("dagster")
    registry = root / "tenants.yml"
    write_registry(registry, {"dag_t": 0.01})
    env = make_env(root, registry)
    subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", "profiles"], env=env, cwd=PROJECT_DIR, check=True
    )
    return root, env


def _definitions() -> dg.Definitions:
    from duckhouse.orchestration.definitions import build_definitions

    return build_definitions()


def test_demo_definitions_load_with_both_tenants(demo_definitions) -> None:
    defs, _calls = demo_definitions
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for tenant in DEMO:
        assert f"{tenant}/landing/tpch" in keys
        assert f"{tenant}/bronze/stg_tpch__lineitem" in keys
        assert f"{tenant}/silver/fct_order_lines" in keys
        assert f"{tenant}/gold/mart_finance__monthly_revenue" in keys
        assert f"{tenant}/views/finance_revenue_monthly" in keys
        # lineage runs from the landed files to the views
        bronze = graph.get(dg.AssetKey([tenant, "bronze", "stg_tpch__order_extract"]))
        assert bronze.parent_keys == {dg.AssetKey([tenant, "landing", "tpch"])}
        inventory = graph.get(dg.AssetKey([tenant, "bronze", "stg_ksqldb__transaction_stream"]))
        assert dg.AssetKey([tenant, "landing", "ksqldb"]) in inventory.parent_keys
        assert f"{tenant}/gold/mart_payments__daily_volumes" in keys
        view = graph.get(dg.AssetKey([tenant, "views", "finance_revenue_monthly"]))
        assert view.group_name == f"{tenant}_views"
        assert view.freshness_policy is not None, "gold and views declare freshness"
        checks = {c.name for c in graph.asset_check_keys if c.asset_key.path[0] == tenant}
        assert "primary_key_fct_orders_order_id" in checks
        schedule = defs.resolve_schedule_def(f"{tenant}_schedule")
        assert schedule.execution_timezone
        assert defs.resolve_sensor_def(f"{tenant}_landing_sensor")
    # no asset of one tenant depends on another tenant's
    for key in graph.get_all_asset_keys():
        assert all(parent.path[0] == key.path[0] for parent in graph.get(key).parent_keys)


def test_each_dbt_asset_links_to_its_models_file(demo_definitions) -> None:
    """dagster-dbt's code references (enable_code_references): the asset's metadata names
    the model's file in the project, which the UI links to."""
    defs, _calls = demo_definitions
    graph = defs.resolve_asset_graph()
    for key, path in (
        (["acme", "views", "finance_revenue_monthly"], "models/views/finance"),
        (["globex", "bronze", "stg_tpch__orders"], "models/bronze/tpch"),
    ):
        references = graph.get(dg.AssetKey(key)).metadata["dagster/code_references"]
        (reference,) = references.code_references
        assert isinstance(reference, dg.LocalFileCodeReference)
        assert Path(reference.file_path) == PROJECT_DIR / path / f"{key[-1]}.sql"
        assert Path(reference.file_path).is_file()


def test_loading_the_definitions_checks_staleness_once(demo_definitions) -> None:
    """One walk of the project and one staleness check for every tenant per load of the
    code location, not one per tenant; the demo registry's tenants are all in it."""
    _defs, calls = demo_definitions
    assert len(calls["newest_project_file"]) == 1, calls["newest_project_file"]
    assert len(calls["stale_manifests"]) == 1, calls["stale_manifests"]
    ((tenant_ids, newest),) = calls["stale_manifests"]
    assert sorted(tenant_ids) == sorted(DEMO)
    assert isinstance(newest, float)


def test_materialize_one_tenant_in_process(dagster_tenant, monkeypatch) -> None:
    root, env = dagster_tenant
    use_env(monkeypatch, env)
    defs = _definitions()
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("dag_t_build").execute_in_process(instance=instance)
    assert result.success
    warehouse = root / "data" / "dag_t" / "dag_t.duckdb"
    assert warehouse.is_file()

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) > 150
    failed = [e.check_name for e in evaluations if not e.passed]
    assert not failed, failed

    landed = json.loads((root / "data/dag_t/landing/tpch/_manifest.json").read_text())
    materialized = {
        event.asset_key.to_user_string(): event.event_specific_data.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    orders = materialized["dag_t/silver/fct_orders"]
    assert orders["dagster/row_count"].value == landed["row_counts"]["orders"]
    assert "dagster/column_schema" in materialized["dag_t/views/finance_revenue_monthly"]
    assert materialized["dag_t/landing/tpch"]["rows"].value == sum(landed["row_counts"].values())
    # dbt's artifacts go to the tenant's own folder, not a new folder per run
    assert (root / "target" / "dag_t" / "dagster" / "run_results.json").is_file()
    assert not list((root / "target").glob("dag_t_dbt_build-*"))
    # the metadata was read in this process; it must not keep the warehouse locked
    # (table_metadata): another process can write it, and so can a second run here
    writer = f"import duckdb; duckdb.connect({str(warehouse)!r}).close()"
    subprocess.run([sys.executable, "-c", writer], check=True)
    again = defs.resolve_job_def("dag_t_build").execute_in_process(
        instance=instance,
        asset_selection=[dg.AssetKey(["dag_t", "silver", "fct_orders"])],
    )
    assert again.success
    (event,) = again.get_asset_materialization_events()
    metadata = event.event_specific_data.materialization.metadata
    assert metadata["dagster/row_count"].value == landed["row_counts"]["orders"]


def test_landing_sensor_ignores_own_landing_and_builds_on_dropped_files(
    dagster_tenant, monkeypatch
) -> None:
    """What the landing asset wrote never triggers a run (no feedback loop); a file dropped
    into the landing zone later starts a run of everything downstream of that source."""
    root, env = dagster_tenant
    use_env(monkeypatch, env)
    defs = _definitions()
    instance = dg.DagsterInstance.ephemeral()
    # every source's landing, as a run of the tenant's job does
    landing_keys = [
        dg.AssetKey(["dag_t", "landing", source]) for source in ("tpch", "ksqldb", "shop")
    ]
    result = dg.materialize(
        [defs.resolve_assets_def(key) for key in landing_keys],
        instance=instance,
        selection=landing_keys,
    )
    assert result.success
    sensor = defs.resolve_sensor_def("dag_t_landing_sensor")
    repository = defs.get_repository_def()

    def tick(cursor: str | None = None):
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, repository_def=repository
        )
        return sensor.evaluate_tick(context)

    quiet = tick()
    assert not quiet.run_requests
    assert quiet.skip_message == "no new files in the landing zone"

    dropped = root / "data" / "dag_t" / "landing" / "tpch" / "orders.parquet"
    later = time.time() + 5
    os.utime(dropped, (later, later))
    data = tick()
    (request,) = data.run_requests
    selected = {key.to_user_string() for key in request.asset_selection}
    assert "dag_t/bronze/stg_tpch__orders" in selected
    assert "dag_t/views/finance_revenue_monthly" in selected
    assert "dag_t/landing/tpch" not in selected, "the files are already there"
    assert request.tags["duckhouse/tenant"] == "dag_t"
    # the cursor remembers the drop: the next tick is quiet again
    assert not tick(data.cursor).run_requests


def _dagster(*args: str) -> list[str]:
    return [str(PROJECT_DIR / ".venv" / "bin" / "dagster"), *args]


def _step_windows(instance: dg.DagsterInstance, step: str) -> list[tuple[float, float]]:
    """(start, end) of the named step in every run of the instance."""
    windows = []
    for record in instance.get_run_records():
        events = [
            e for e in instance.all_logs(record.dagster_run.run_id)
            if e.dagster_event and step in (e.step_key or "")
        ]  # fmt: skip
        starts = [e.timestamp for e in events if e.dagster_event.event_type_value == "STEP_START"]
        ends = [e.timestamp for e in events if e.dagster_event.event_type_value == "STEP_SUCCESS"]
        windows.append((min(starts), max(ends)))
    return sorted(windows)


def _fresh_home(home: Path) -> str:
    """An instance directory with the project's dagster.yaml, its storage created up front
    (two processes creating the SQLite storage at once race each other)."""
    home.mkdir()
    shutil.copy(PROJECT_DIR / "orchestration" / "dagster.yaml", home)
    with _instance(str(home)):
        pass
    return str(home)


def _instance(home: str) -> dg.DagsterInstance:
    os.environ["DAGSTER_HOME"] = home
    try:
        return dg.DagsterInstance.get()
    finally:
        del os.environ["DAGSTER_HOME"]


def test_two_runs_of_one_tenant_wait_for_each_other(dagster_tenant) -> None:
    """Two runs of one tenant executed at the same moment, outside any queue, both succeed:
    the second waits for the tenant's pool slot instead of failing on DuckDB's
    single-writer lock."""
    root, env = dagster_tenant
    env = {**env, "DAGSTER_HOME": _fresh_home(root / "home_direct")}
    logs = [root / f"direct_{n}.log" for n in range(2)]
    runs = []
    for log in logs:
        # output goes to files: a full pipe would stall a run while it holds the slot
        with log.open("w") as out:
            runs.append(subprocess.Popen(
                _dagster("job", "execute", "-m", DEFINITIONS, "-j", "dag_t_build"),
                cwd=PROJECT_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
            ))  # fmt: skip
    for run, log in zip(runs, logs, strict=True):
        assert run.wait(timeout=900) == 0, log.read_text()[-3000:]
    assert any("blocked by limit for pool tenant_dag_t" in log.read_text() for log in logs)

    with _instance(env["DAGSTER_HOME"]) as instance:
        statuses = [r.dagster_run.status for r in instance.get_run_records()]
        assert statuses == [dg.DagsterRunStatus.SUCCESS] * 2
        first, second = _step_windows(instance, "dbt_build")
    assert first[1] <= second[0], f"dbt steps of one tenant overlapped: {first}, {second}"


def test_queued_runs_of_one_tenant_run_one_after_the_other(dagster_tenant) -> None:
    """Two runs of one tenant submitted to the run queue: the daemon starts the second only
    when the first has finished (tag limit duckhouse/tenant = 1), and both succeed."""
    root, env = dagster_tenant
    env = {**env, "DAGSTER_HOME": _fresh_home(root / "home_queued")}
    launch = _dagster("job", "launch", "-m", DEFINITIONS, "-j", "dag_t_build")
    for _ in range(2):
        subprocess.run(launch, cwd=PROJECT_DIR, env=env, check=True, capture_output=True)

    with _instance(env["DAGSTER_HOME"]) as instance:
        assert {r.dagster_run.status for r in instance.get_run_records()} == {
            dg.DagsterRunStatus.QUEUED
        }
        daemon_log = (root / "daemon.log").open("w")
        daemon = subprocess.Popen(
            [str(PROJECT_DIR / ".venv" / "bin" / "dagster-daemon"), "run",
             "-m", DEFINITIONS],
            cwd=PROJECT_DIR, env=env, stdout=daemon_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                records = instance.get_run_records()
                running = [r for r in records if r.dagster_run.status in IN_FLIGHT]
                assert len(running) <= 1, "two runs of one tenant were in flight at once"
                if all(r.dagster_run.status in FINISHED for r in records):
                    break
                time.sleep(1)
            else:
                pytest.fail((root / "daemon.log").read_text()[-3000:])
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
            daemon_log.close()
        records = instance.get_run_records()
        launched = [r for r in records if "dagster/sensor_name" not in r.dagster_run.tags]
        assert len(launched) == 2
        # every run of the tenant (the two launched, any the landing sensor added) succeeded
        assert {r.dagster_run.status for r in records} == {dg.DagsterRunStatus.SUCCESS}
        windows = sorted((r.start_time, r.end_time) for r in records)
    for earlier, later in itertools.pairwise(windows):
        assert earlier[1] <= later[0], f"runs of one tenant overlapped: {windows}"
