"""Landing is atomic and idempotent; the CLI fails clearly with usable exit codes."""

from __future__ import annotations

import pytest

from conftest import Lakehouse, make_env, run_cli, write_registry
from duckhouse.ingest.tpch import TPCH_TABLES, land_tpch, read_manifest
from duckhouse.tenants import Schedule, Tenant, TpchSource


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DUCKHOUSE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _tenant(scale_factor: float) -> Tenant:
    return Tenant(
        "landme", "Land me", TpchSource("generated", scale_factor), Schedule("0 1 * * *", "UTC")
    )


@pytest.mark.fast
def test_landing_is_idempotent_and_replaced_on_change(data_dir) -> None:
    first = land_tpch(_tenant(0.01))
    assert not first.skipped
    files = {t: (first.path / f"{t}.parquet").stat().st_mtime_ns for t in TPCH_TABLES}
    assert first.row_counts["lineitem"] > 0 and first.row_counts["region"] == 5

    again = land_tpch(_tenant(0.01))
    assert again.skipped
    assert files == {t: (again.path / f"{t}.parquet").stat().st_mtime_ns for t in TPCH_TABLES}

    bigger = land_tpch(_tenant(0.02))
    assert not bigger.skipped
    assert bigger.row_counts["orders"] == 2 * first.row_counts["orders"]
    assert read_manifest("landme")["scale_factor"] == 0.02
    # no staging or retired folders are left behind
    assert sorted(p.name for p in first.path.parent.iterdir()) == ["tpch"]


def _house(tmp_path) -> Lakehouse:
    registry = tmp_path / "tenants.yml"
    write_registry(registry, {"solo": 0.01})
    return Lakehouse(
        tmp_path / "data", registry, tmp_path / "profiles", make_env(tmp_path, registry)
    )


@pytest.mark.fast
def test_unknown_tenant_is_a_usage_error(tmp_path) -> None:
    result = _house(tmp_path).cli("build", "nobody", check=False)
    assert result.returncode == 2
    assert "unknown tenant 'nobody'" in result.stderr
    assert "solo" in result.stderr


@pytest.mark.fast
def test_invalid_tenant_id_is_a_usage_error(tmp_path) -> None:
    result = _house(tmp_path).cli("land", "../etc", check=False)
    assert result.returncode == 2
    assert "invalid tenant id '../etc'" in result.stderr


@pytest.mark.fast
def test_broken_registry_is_a_usage_error(tmp_path) -> None:
    house = _house(tmp_path)
    house.registry.write_text("tenants:\n  - id: Bad\n")
    result = house.cli("build", check=False)
    assert result.returncode == 2
    assert "invalid tenant id 'Bad'" in result.stderr


def test_failed_dbt_build_names_the_tenant(tmp_path) -> None:
    house = _house(tmp_path)
    house.cli("land", "solo")
    (house.data_dir / "solo" / "landing" / "tpch" / "orders.parquet").write_text("not parquet")
    result = house.cli("build", "solo", check=False)
    assert result.returncode == 1
    assert "tenant 'solo'" in result.stderr and "dbt build" in result.stderr


@pytest.mark.fast
def test_a_data_dir_that_sql_would_misread_is_refused(tmp_path) -> None:
    house = _house(tmp_path)
    for bad in ("it's", "glob*", "set[1]"):
        env = dict(house.env, DUCKHOUSE_DATA_DIR=str(tmp_path / bad / "data"))
        result = run_cli(env, "land", "solo", check=False)
        assert result.returncode == 2, result.stderr
        assert "DUCKHOUSE_DATA_DIR" in result.stderr and "glob characters" in result.stderr
        assert not (tmp_path / bad).exists(), "nothing was created"
