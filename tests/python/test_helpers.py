"""Unit tests of the pure helpers and of the contracts Python shares with the dbt project:
no warehouse is built and no server started (the fast tier, `pytest -m fast`)."""

from __future__ import annotations

import ast
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

import conftest
from conftest import PROJECT_DIR
from duckhouse import project
from duckhouse.pipeline import LANDING_STEPS
from duckhouse.sqltext import sql_identifier, sql_list, sql_string
from duckhouse.tenants import (
    LINT_TARGET,
    KsqldbSource,
    PostgresConnection,
    RegistryError,
    Schedule,
    ShopSource,
    Tenant,
    TpchSource,
    describe_sources,
)
from duckhouse.warehouse import dbt
from duckhouse.warehouse.queries import BUILD_SOURCES, source_freshness
from duckhouse.warehouse.sandbox import Plugin

pytestmark = pytest.mark.fast

HOSTILE_TEXT = [
    "it's",
    "''",
    "'; drop table x; --",
    "back\\slash",
    "new\nline",
    "tab\tand ünïcode €",
    "",
    "/data/acme's landing/*.csv",
]


@pytest.fixture(scope="session")
def project_manifest() -> dict:
    """The project's manifest, parsed once for the lint target (in-memory: no warehouse, no
    file) into the session's target folder (conftest.checkout_untouched)."""
    dbt.run_dbt(LINT_TARGET, "parse", "--quiet", capture=True)
    return dbt.load_manifest(dbt.manifest_path(LINT_TARGET))


# -- duckhouse.warehouse.dbt --------------------------------------------------------------


def _node(kind: str, fqn: list[str], **extra: object) -> dict:
    return {"resource_type": kind, "fqn": fqn, "name": fqn[-1], **extra}


@pytest.mark.parametrize(
    ("node", "layer"),
    [
        (_node("model", ["duckhouse", "bronze", "tpch", "stg_tpch__orders"]), "bronze"),
        (_node("model", ["duckhouse", "silver", "shop", "fct_shop_orders"]), "silver"),
        (_node("model", ["duckhouse", "gold", "sales", "mart_sales__monthly_sales"]), "gold"),
        (_node("model", ["duckhouse", "views", "finance", "finance_revenue_monthly"]), "views"),
        (_node("seed", ["duckhouse", "currency_rates"]), "seeds"),
        (_node("snapshot", ["duckhouse", "shop", "snp_customers"]), "snapshots"),
        (_node("source", ["duckhouse", "bronze", "tpch", "orders"]), "landing"),
        # a model directly in models/, or in a folder that is no layer
        (_node("model", ["duckhouse", "loose_model"]), "other"),
        (_node("model", ["duckhouse", "scratch", "x"]), "other"),
        ({"resource_type": "model", "name": "no_fqn"}, "other"),
    ],
)
def test_layer_of_is_the_folder_under_models(node: dict, layer: str) -> None:
    assert dbt.layer_of(node) == layer


def test_public_views_are_the_public_models_by_schema_and_alias() -> None:
    manifest = {
        "nodes": {
            "model.duckhouse.finance_revenue_monthly": _node(
                "model", ["duckhouse", "views", "finance_revenue_monthly"],
                access="public", schema="finance", alias="revenue_monthly",
            ),
            "model.duckhouse.marketing_top_brands": _node(
                "model", ["duckhouse", "views", "marketing_top_brands"],
                access="public", schema="marketing", alias=None,
            ),
            "model.duckhouse.mart_x": _node(
                "model", ["duckhouse", "gold", "mart_x"], access="protected", schema="gold",
            ),
            "seed.duckhouse.rates": _node(
                "seed", ["duckhouse", "rates"], access="public", schema="reference",
            ),
            "test.duckhouse.t": _node("test", ["duckhouse", "t"], schema="finance"),
        }
    }  # fmt: skip
    assert dbt.public_views(manifest) == (
        "finance.revenue_monthly",
        "marketing.marketing_top_brands",
    )
    assert dbt.public_views({"nodes": {}}) == ()


@pytest.mark.parametrize("target", ["acme", "acme_trino", "t1", LINT_TARGET])
def test_check_target_accepts_the_projects_targets(target: str) -> None:
    assert dbt.check_target(target) == target


@pytest.mark.parametrize("target", ["", "Acme", "../acme", "acme/../globex", "_trino", "a;b"])
def test_check_target_refuses_anything_else(target: str) -> None:
    with pytest.raises(RegistryError):
        dbt.check_target(target)
    with pytest.raises(RegistryError):
        dbt.target_path(target)


def test_target_path_follows_the_target_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DUCKHOUSE_TARGET_DIR", str(tmp_path / "artifacts"))
    assert dbt.target_path("acme") == tmp_path / "artifacts" / "acme"
    assert (
        dbt.manifest_path("acme_trino") == tmp_path / "artifacts" / "acme_trino" / "manifest.json"
    )
    monkeypatch.delenv("DUCKHOUSE_TARGET_DIR")
    assert dbt.target_path("acme") == PROJECT_DIR / "target" / "acme"


def _touch(path: Path, when: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("x\n")
    os.utime(path, (when, when))


def test_stale_manifests_are_missing_or_older_than_the_project(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DUCKHOUSE_TARGET_DIR", str(tmp_path / "target"))
    now = time.time()
    _touch(tmp_path / "target" / "fresh" / "manifest.json", now)
    _touch(tmp_path / "target" / "old" / "manifest.json", now - 60)
    (tmp_path / "target" / "folder_only").mkdir()
    (tmp_path / "target" / "a_folder" / "manifest.json").mkdir(parents=True)
    tenants = ["fresh", "old", "folder_only", "a_folder", "never_parsed"]
    assert dbt.stale_manifests(tenants, now - 30) == [
        "old",
        "folder_only",
        "a_folder",
        "never_parsed",
    ]
    assert dbt.stale_manifests(tenants, now - 120) == ["folder_only", "a_folder", "never_parsed"]
    assert dbt.stale_manifests([], now) == []


PROJECT_FILES = {
    # what dbt parses
    "dbt_project.yml": True, "packages.yml": True,
    "models/gold/sales/mart_x.sql": True, "models/gold/sales/_sales__models.yml": True,
    "models/bronze/shop/landed.py": True, "models/bronze/_docs.md": True,
    "macros/sales.sql": True, "seeds/rates.csv": True, "snapshots/snp.sql": True,
    "tests/generic/test_x.sql": True, "tests/singular/assert_x.sql": True,
    "analyses/a.sql": True, "docs/_shared__docs.md": True,
    # what it does not: the pytest suite, the package, Python outside models/, notes
    "tests/python/test_x.py": False, "tests/python/conftest.py": False,
    "macros/helper.py": False, "orchestration/duckhouse/pipeline.py": False,
    "models/README.txt": False, "README.md": False, "Makefile": False,
}  # fmt: skip


@pytest.fixture
def small_project(tmp_path: Path, monkeypatch) -> tuple[Path, float]:
    """A project of one file per kind, all older than tenant t1's manifest."""
    root, before = tmp_path / "project", time.time() - 3600
    for name in PROJECT_FILES:
        _touch(root / name, before)
    _touch(tmp_path / "profiles" / "profiles.yml", before)
    _touch(tmp_path / "target" / "t1" / "manifest.json", before + 60)
    monkeypatch.setattr(dbt, "PROJECT_DIR", root)
    monkeypatch.setenv("DUCKHOUSE_TARGET_DIR", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(tmp_path / "profiles"))
    return root, before + 120


@pytest.mark.parametrize("name", sorted(PROJECT_FILES))
def test_only_what_dbt_parses_makes_a_manifest_stale(small_project, name: str) -> None:
    """Editing a test module or the package re-parses nothing; editing a model does."""
    root, later = small_project
    assert dbt.stale_manifests(["t1"], dbt.newest_project_file()) == []
    _touch(root / name, later)
    stale = dbt.stale_manifests(["t1"], dbt.newest_project_file())
    assert stale == (["t1"] if PROJECT_FILES[name] else []), name


def test_a_changed_profiles_file_makes_a_manifest_stale(small_project, tmp_path) -> None:
    _root, later = small_project
    _touch(tmp_path / "profiles" / "profiles.yml", later)
    assert dbt.stale_manifests(["t1"], dbt.newest_project_file()) == ["t1"]


def test_the_public_views_are_the_models_of_the_views_folder(project_manifest) -> None:
    """The seven views readers may rely on, read from the manifest (the models' `access:
    public`), are the models of models/views/, which dbt_project.yml makes public."""
    views = dbt.public_views(project_manifest)
    assert len(views) == 7 and len(set(views)) == 7
    assert views == dbt.project_public_views()
    public_files = sorted(
        PROJECT_DIR / node["original_file_path"]
        for node in project_manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("access") == "public"
    )
    assert public_files == sorted((PROJECT_DIR / "models" / "views").rglob("*.sql"))
    assert {view.split(".")[0] for view in views} == {"finance", "marketing"}


def test_every_model_is_in_a_layer(project_manifest) -> None:
    models = [n for n in project_manifest["nodes"].values() if n["resource_type"] == "model"]
    assert models
    assert {dbt.layer_of(node) for node in models} == set(dbt.LAYERS)


def test_the_landing_steps_are_the_dbt_sources(project_manifest) -> None:
    """One landing step per dbt source, named alike (the landing asset every table of the
    source maps to in Dagster)."""
    sources = {source["source_name"] for source in project_manifest["sources"].values()}
    assert set(LANDING_STEPS) == sources


# -- duckhouse.project --------------------------------------------------------------------


def test_project_var_reads_dbt_project_yml() -> None:
    declared = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    assert project.PROJECT_DIR == PROJECT_DIR
    for name in ("tenant_id_pattern", "freshness_hours", "shop_order_statuses"):
        assert project.project_var(name) == declared[name]
    assert "cancelled" in project.project_var("shop_order_statuses")


def test_project_var_names_what_is_missing() -> None:
    with pytest.raises(KeyError, match=r"dbt_project\.yml has no var 'no_such_var'"):
        project.project_var("no_such_var")


# -- duckhouse.sqltext --------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_sql_string_is_read_back_as_the_same_text(text: str) -> None:
    literal = sql_string(text)
    assert literal.startswith("'") and literal.endswith("'")
    with duckdb.connect() as connection:
        assert connection.execute(f"select {literal}").fetchone() == (text,)
        # nothing after the literal is SQL: it cannot end early
        assert connection.execute(f"select {literal} as x, 1 as y").fetchall() == [(text, 1)]


def test_sql_string_takes_paths_and_sql_list_many() -> None:
    assert sql_string(Path("/data/acme's/x.parquet")) == "'/data/acme''s/x.parquet'"
    assert sql_string("it's") == "'it''s'"
    assert sql_list(["a", "b'c", 3]) == "['a', 'b''c', '3']"
    with duckdb.connect() as connection:
        assert connection.execute(f"select {sql_list(HOSTILE_TEXT)}").fetchone() == (HOSTILE_TEXT,)
        assert connection.execute(f"select {sql_list([])}").fetchone() == ([],)


@pytest.mark.parametrize("name", ['we"ird', 'x" as y --', "it's", "with space", "ünï"])
def test_sql_identifier_names_exactly_one_object(name: str) -> None:
    with duckdb.connect() as connection:
        connection.execute(f"create schema {sql_identifier(name)}")
        connection.execute(f"create table {sql_identifier(name)}.{sql_identifier(name)} (a int)")
        assert connection.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall() == [(name, name)]


def test_the_sandbox_allows_its_directories_whatever_their_names(tmp_path: Path) -> None:
    """The sandbox's directory list is SQL text (sql_list): a folder named with a quote
    or brackets is allowed as itself, and nothing beside it."""
    own = tmp_path / "it's [a] tenant"
    plugin = Plugin("duckhouse.warehouse.sandbox", {"allowed_directories": [str(own)]})
    with duckdb.connect() as connection:
        plugin.configure_cursor(connection)
        allowed, external = connection.execute(
            "select current_setting('allowed_directories'),"
            " current_setting('enable_external_access')"
        ).fetchone()
    assert f"{own}/" in allowed and external is False
    assert not any(entry.startswith(str(tmp_path)) and entry != f"{own}/" for entry in allowed)


# -- duckhouse.warehouse.queries ----------------------------------------------------------


def test_source_freshness_per_source() -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # UTC, as builds log it
    rows = [
        ("b1", "tpch", now - timedelta(hours=30), "ok"),
        ("b2", "tpch", now - timedelta(hours=2), "ok"),
        ("b1", "shop", now - timedelta(hours=30), "ok"),
        ("b2", "shop", now - timedelta(hours=2), "error"),
        ("b2", "ksqldb", now - timedelta(hours=2), "error"),
    ]
    with duckdb.connect() as connection:
        schema = BUILD_SOURCES.split(".")[0]
        connection.execute(f"create schema {schema}")
        connection.execute(
            f"create table {BUILD_SOURCES} (invocation_id varchar, source_name varchar,"
            " finished_at timestamp, nodes integer, errors integer, status varchar)"
        )
        for invocation, source, finished, status in rows:
            connection.execute(
                f"insert into {BUILD_SOURCES} values (?, ?, ?, 1, 0, ?)",
                [invocation, source, finished, status],
            )
        served = connection.execute(source_freshness(24)).fetchall()
        lenient = connection.execute(source_freshness(48)).fetchall()
    by_source = {row[0]: row for row in served}
    assert [row[0] for row in served] == ["ksqldb", "shop", "tpch"]  # ordered by source
    ksqldb, shop, tpch = by_source["ksqldb"], by_source["shop"], by_source["tpch"]
    # (name, last successful, last build, last status, hours since success, is fresh)
    assert tpch[1:4] == (now - timedelta(hours=2), now - timedelta(hours=2), "ok")
    assert 1.9 <= float(tpch[4]) <= 2.2 and tpch[5] is True
    assert shop[1:4] == (now - timedelta(hours=30), now - timedelta(hours=2), "error")
    assert 29.9 <= float(shop[4]) <= 30.2 and shop[5] is False
    assert ksqldb[1] is None and ksqldb[3] == "error" and ksqldb[4] is None
    assert ksqldb[5] is False, "a source never built successfully is not fresh"
    assert {row[0]: row[5] for row in lenient} == {"ksqldb": False, "shop": True, "tpch": True}


def test_source_freshness_takes_only_a_number() -> None:
    assert "<= 26.0" in source_freshness(26)
    with pytest.raises(ValueError):
        source_freshness("1; drop table builds")  # type: ignore[arg-type]


# -- duckhouse.tenants --------------------------------------------------------------------


def test_describe_sources_in_a_few_words() -> None:
    schedule = Schedule("0 3 * * *", "UTC")
    generated = Tenant(
        "acme", "Acme", TpchSource("generated", 0.5), schedule,
        KsqldbSource(days=30, events_per_day=1200), ShopSource(orders=25_000),
    )  # fmt: skip
    assert describe_sources(generated) == {
        "tpch": "sf 0.5 generated",
        "ksqldb": "30 d x 1,200 events",
        "shop": "25,000 orders",
    }
    postgres = PostgresConnection("db.internal", 5433, "acme_tpch", "acme", "DUCKHOUSE_PG_X")
    from_pg = Tenant("initech", "Initech", TpchSource("postgres", 1.0, postgres), schedule)
    described = describe_sources(from_pg)
    assert described["tpch"] == "sf 1 from db.internal:5433/acme_tpch"
    assert "DUCKHOUSE_PG_X" not in str(described)
    assert set(described) == set(LANDING_STEPS)


# -- duckhouse.dashboard ------------------------------------------------------------------


def test_the_dashboard_calls_only_what_streamlit_has() -> None:
    """Every `st.<name>` the dashboard's modules use is Streamlit's (a misspelt one, like
    `st.altairchart`, fails only when a page draws)."""
    import streamlit  # imported here: a second of start-up the other tests do not need

    used = set()
    for path in (PROJECT_DIR / "orchestration" / "duckhouse" / "dashboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "st"
            ):
                used.add(node.attr)
    assert {"altair_chart", "metric", "columns"} & used
    assert sorted(name for name in used if not hasattr(streamlit, name)) == []


# -- the session's guard (conftest.checkout_untouched) ------------------------------------


def test_the_guard_sees_a_changed_or_removed_tracked_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(conftest, "PROJECT_DIR", tmp_path)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text("duckhouse: {}\n")
    (tmp_path / "tenants.yml").write_text("tenants: []\n")
    before = conftest.tracked_digest()
    assert set(before) == set(conftest.TRACKED_FILES) and None not in before.values()
    (tmp_path / "tenants.yml").write_text("tenants: []\n")  # rewritten, the same bytes
    assert conftest.tracked_digest() == before
    (tmp_path / "profiles" / "profiles.yml").write_text("duckhouse: {outputs: {}}\n")
    changed = conftest.tracked_digest()
    assert changed["profiles/profiles.yml"] != before["profiles/profiles.yml"]
    assert changed["tenants.yml"] == before["tenants.yml"]
    (tmp_path / "tenants.yml").unlink()
    assert conftest.tracked_digest()["tenants.yml"] is None


def test_the_session_points_every_path_variable_outside_the_checkout() -> None:
    for name in conftest.PATH_VARIABLES:
        assert not Path(os.environ[name]).resolve().is_relative_to(PROJECT_DIR), name
    assert not dbt.target_path("acme").is_relative_to(PROJECT_DIR)
