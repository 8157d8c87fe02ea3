"""The Trino (scale-out) targets: every node compiles for a tenant's `<tenant>_trino` target
without a server, the same models serve both engines, and the compiled SQL is Trino SQL
for two independent parsers. The checker is shown to catch DuckDB SQL, so that a pass
means something. No Trino server can be installed here (docs/trino.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROJECT_DIR, make_env, write_registry

TENANT = "trino_t"
PASSWORD = "trino-secret-do-not-leak"


@pytest.fixture(scope="module")
def trino_house(tmp_path_factory):
    root = tmp_path_factory.mktemp("trino")
    registry = root / "tenants.yml"
    write_registry(registry, {TENANT: 0.01})
    env = make_env(root, registry)
    env.update(DUCKHOUSE_TRINO_HOST="trino.example.internal", DUCKHOUSE_TRINO_PASSWORD=PASSWORD)
    check = subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", "trino-check", TENANT],
        cwd=PROJECT_DIR, env=env, text=True, capture_output=True, check=False,
    )  # fmt: skip
    return root, env, check


def _manifest_models(path: Path) -> dict[str, dict]:
    nodes = json.loads(path.read_text())["nodes"]
    return {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}


def test_every_node_compiles_for_trino_and_is_trino_sql(trino_house) -> None:
    root, _env, check = trino_house
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"[{TENANT}] {TENANT}_trino:" in check.stdout
    assert "all Trino SQL" in check.stdout, check.stdout + check.stderr
    compiled = root / "target" / f"{TENANT}_trino" / "compiled" / "duckhouse"
    models = list((compiled / "models").rglob("*.sql"))
    assert len(models) >= 70  # every model (the DuckDB-only Python ones have SQL twins)
    assert any((compiled / "tests").rglob("*.sql")) and any((compiled / "snapshots").rglob("*"))


def test_the_same_models_serve_both_engines(trino_house, tmp_path) -> None:
    root, env, _check = trino_house
    trino = _manifest_models(root / "target" / f"{TENANT}_trino" / "manifest.json")
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "parse", "--target", TENANT,
         "--target-path", str(tmp_path)],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    duckdb_models = _manifest_models(tmp_path / "manifest.json")
    assert set(trino) == set(duckdb_models)
    # Python models are DuckDB's; on Trino a SQL model of the same name stands in
    assert all(node["language"] == "sql" for node in trino.values())
    python = {name for name, node in duckdb_models.items() if node["language"] == "python"}
    assert python == {
        "inventory_ksqldb__lake_files", "landed_shop__customers", "landed_shop__products",
        "landed_shop__orders", "inventory_shop__files",
    }  # fmt: skip
    for name in python:
        assert "/trino/" in trino[name]["original_file_path"]
    # the tenant's own catalog, named after it
    assert {node["database"] for node in trino.values()} == {TENANT}


def test_connection_comes_from_the_environment_and_never_leaks(trino_house) -> None:
    root, _env, _check = trino_house
    profile = (root / "profiles" / "profiles.yml").read_text()
    assert f"{TENANT}_trino:" in profile
    for variable in ("HOST", "PORT", "USER", "PASSWORD"):
        assert f"env_var(''DUCKHOUSE_TRINO_{variable}''" in profile
    assert PASSWORD not in profile and "trino.example.internal" not in profile
    for path in (root / "target" / f"{TENANT}_trino").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".sql", ".txt", ".log"):
            assert PASSWORD not in path.read_text(errors="replace"), path


def test_the_checker_catches_duckdb_sql(trino_house, tmp_path) -> None:
    """The same project compiled for DuckDB is not Trino SQL, and the checker says where."""
    from duckhouse.warehouse.trino import check_compiled

    _root, env, _check = trino_house
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--target", "lint",
         "--target-path", str(tmp_path)],
        cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
    )  # fmt: skip
    _files, problems = check_compiled(tmp_path / "compiled")
    found = {(Path(p.file).stem, p.message.split(" ")[0]) for p in problems}
    assert ("stg_tpch__order_extract", "read_parquet()") in found  # an external file source
    # the stream's casts (bronze) unpack its structs and parse its files' export times
    assert ("stg_ksqldb__transaction_stream", "struct_extract()") in found
    assert ("stg_ksqldb__transaction_stream", "strptime()") in found
    assert ("mart_sales__daily_sales", "generate_series()") in found


@pytest.mark.fast
@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("select * exclude (a) from t", "exclude"),
        ("select a from t union all by name select a from u", "by name"),
        ("select t.a from t anti join u on t.a = u.a", "anti join"),
        ("select a from t qualify row_number() over (partition by a) = 1", "sqlglot"),
        ("select cast(a as int), b::int from t", "`::`"),
        ("select make_date(2024, 1, 2) from t", "make_date() is not a Trino function"),
        ("select first(a) from t", "first() is not Trino's spelling"),
        ("select a from t where d > current_date - interval 1 day", "sqlfluff"),
    ],
)
def test_duckdb_constructs_are_refused(sql: str, problem: str, tmp_path: Path) -> None:
    from duckhouse.warehouse.trino import _check_file

    path = tmp_path / "snippet.sql"
    path.write_text(sql)
    problems = _check_file(path)
    assert any(problem in message for message in problems), problems


@pytest.mark.fast
def test_trino_sql_passes() -> None:
    from duckhouse.warehouse.trino import check_trino_sql

    sql = """
        with ranked as (
            select a, date_parse(b, '%Y%m%d'), row_number() over (partition by a) as r,
                arbitrary(c), date_add('day', -90, current_date), "$path"
            from cat.sch.t cross join unnest(sequence(1, 3)) as s (n)
        )
        select * from ranked where r = 1
    """
    assert check_trino_sql(sql) == []
