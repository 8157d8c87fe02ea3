"""Dagster: the definitions load for every tenant, a tenant materializes in-process with
its checks passing, and two runs of one tenant wait for each other instead of failing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import dagster as dg
import pytest

from conftest import PROJECT_DIR, make_env, write_registry

DEMO = ("acme", "globex")


@pytest.fixture
def demo_env(monkeypatch):
    for name in ("DUCKHOUSE_REGISTRY", "DUCKHOUSE_DATA_DIR", "DBT_PROFILES_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def dagster_tenant(tmp_path_factory):
    """A tenant of its own for the Dagster tests (registry, profiles, data, instance)."""
    root = tmp_path_factory.mktemp("dagster")
    registry = root / "tenants.yml"
    write_registry(registry, {"dag_t": 0.01})
    env = make_env(root, registry)
    env["DAGSTER_HOME"] = str(root / "dagster_home")
    (root / "dagster_home").mkdir()
    shutil.copy(PROJECT_DIR / "orchestration" / "dagster.yaml", root / "dagster_home")
    subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", "profiles"], env=env, cwd=PROJECT_DIR, check=True
    )
    return root, env


def _definitions() -> dg.Definitions:
    from duckhouse.definitions import build_definitions

    return build_definitions()


def test_demo_definitions_load_with_both_tenants(demo_env) -> None:
    defs = _definitions()
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for tenant in DEMO:
        assert f"{tenant}/landing/tpch" in keys
        assert f"{tenant}/bronze/stg_tpch__lineitem" in keys
        assert f"{tenant}/silver/fct_order_lines" in keys
        assert f"{tenant}/gold/mart_finance__monthly_revenue" in keys
        assert f"{tenant}/views/finance_revenue_monthly" in keys
        # lineage runs from the landed files to the views
        bronze = graph.get(dg.AssetKey([tenant, "bronze", "stg_tpch__orders"]))
        assert bronze.parent_keys == {dg.AssetKey([tenant, "landing", "tpch"])}
        view = graph.get(dg.AssetKey([tenant, "views", "finance_revenue_monthly"]))
        assert view.group_name == f"{tenant}_views"
        assert view.freshness_policy is not None, "gold and views declare freshness"
        checks = {c.name for c in graph.asset_check_keys if c.asset_key.path[0] == tenant}
        assert "unique_fct_orders_order_id" in checks
        schedule = defs.resolve_schedule_def(f"{tenant}_schedule")
        assert schedule.execution_timezone
        assert defs.resolve_sensor_def(f"{tenant}_landing_sensor")
    # no asset of one tenant depends on another tenant's
    for key in graph.get_all_asset_keys():
        assert all(parent.path[0] == key.path[0] for parent in graph.get(key).parent_keys)


def test_materialize_one_tenant_in_process(dagster_tenant, monkeypatch) -> None:
    root, env = dagster_tenant
    for name in ("DUCKHOUSE_REGISTRY", "DUCKHOUSE_DATA_DIR", "DBT_PROFILES_DIR"):
        monkeypatch.setenv(name, env[name])
    defs = _definitions()
    result = defs.resolve_job_def("dag_t_build").execute_in_process(
        instance=dg.DagsterInstance.ephemeral()
    )
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


def test_two_runs_of_one_tenant_wait_for_each_other(dagster_tenant) -> None:
    """Two runs of one tenant started at the same moment both succeed: the second waits for
    the tenant's pool slot instead of failing on DuckDB's single-writer lock."""
    _root, env = dagster_tenant
    command = [
        str(PROJECT_DIR / ".venv" / "bin" / "dagster"), "job", "execute",
        "-m", "duckhouse.definitions", "-j", "dag_t_build",
    ]  # fmt: skip
    runs = [
        subprocess.Popen(command, cwd=PROJECT_DIR, env=env, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output[-3000:]
        assert "lock" not in output.lower() or "Conflicting lock" not in output

    os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
    try:
        with dg.DagsterInstance.get() as instance:
            records = instance.get_run_records()
            assert len(records) == 2
            assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
            windows = []
            for record in records:
                events = instance.all_logs(record.dagster_run.run_id)
                starts = [e.timestamp for e in events if e.dagster_event
                          and e.dagster_event.event_type_value == "STEP_START"
                          and "dbt_build" in (e.step_key or "")]  # fmt: skip
                ends = [e.timestamp for e in events if e.dagster_event
                        and e.dagster_event.event_type_value == "STEP_SUCCESS"
                        and "dbt_build" in (e.step_key or "")]  # fmt: skip
                windows.append((min(starts), max(ends)))
    finally:
        del os.environ["DAGSTER_HOME"]
    first, second = sorted(windows)
    assert first[1] <= second[0], f"dbt steps of one tenant overlapped: {windows}"
