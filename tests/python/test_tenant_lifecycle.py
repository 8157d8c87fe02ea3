"""Tenants are created, listed and deleted from one command, through the real CLI, dbt,
DuckDB and a Dagster instance; bad ids are refused wherever they can enter; two tenants
built at once in separate processes hold only their own data."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import tarfile
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, Lakehouse, make_env

REGISTRY = """\
# the registry of a test: this comment and the layout must survive every edit
tenants:
  # the tenant that stays
  - id: keeper
    display_name: Keeper
    sources:
      tpch: {mode: generated, scale_factor: 0.01}
      ksqldb: {mode: generated, days: 1, events_per_day: 50}
      shop: {mode: generated, customers: 50, products: 10, orders: 100}
    schedule:
      cron: "0 3 * * *"
      timezone: UTC
"""
SMALL = ["--scale-factor", "0.01", "--ksqldb-days", "1", "--ksqldb-events-per-day", "50",
         "--shop-customers", "50", "--shop-products", "10", "--shop-orders", "100"]  # fmt: skip
BAD_IDS = ["../x", "a;drop", "Upper", "", "a" * 41, "x/y", "-rf"]


def _house(tmp_path: Path, registry: str = REGISTRY) -> Lakehouse:
    path = tmp_path / "tenants.yml"
    path.write_text(registry)
    env = make_env(tmp_path, path)
    env["DAGSTER_HOME"] = str(tmp_path / "dagster_home")
    (tmp_path / "dagster_home").mkdir()
    return Lakehouse(tmp_path / "data", path, tmp_path / "profiles", env)


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def _dagster_keys(house: Lakehouse) -> list[list[str]]:
    script = (
        "import json, dagster as dg\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    print(json.dumps([k.path for k in instance.get_asset_keys()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=house.env, cwd=PROJECT_DIR,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def _answer_on_a_terminal(house: Lakehouse, answer: str, *args: str) -> int:
    """Run the CLI with a terminal as stdin (as a person would) and type `answer`."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "duckhouse.cli", *args], stdin=terminal, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=house.env, cwd=PROJECT_DIR,
    )  # fmt: skip
    os.write(controller, answer.encode() + b"\n")
    process.communicate(timeout=120)
    os.close(controller)
    os.close(terminal)
    return process.returncode


def test_create_build_list_delete_leaves_only_the_archive(tmp_path: Path) -> None:
    house = _house(tmp_path)
    original = house.registry.read_text()
    target = tmp_path / "target" / "newt"  # the tenant's dbt artifacts (make_env)

    house.cli("create", "newt", "--display-name", "Newt Ltd", *SMALL, "--cron", "15 4 * * *",
              "--timezone", "Europe/Berlin", "--build")  # fmt: skip
    # registry: appended, everything before kept byte for byte, and valid
    assert house.registry.read_text().startswith(original)
    assert "  - id: newt\n    display_name: Newt Ltd\n" in house.registry.read_text()
    assert "    newt:\n" in (house.profiles_dir / "profiles.yml").read_text()  # its dbt target
    assert (target / "manifest.json").is_file()  # its Dagster assets load without a parse
    with house.connect("newt") as connection:
        revenue_rows = connection.execute("select count(*) from finance.revenue_monthly").fetchone()
        tenants = connection.execute("select distinct tenant_id from finance.revenue_monthly")
        assert tenants.fetchall() == [("newt",)]
    assert revenue_rows[0] > 0

    listed = {t["id"]: t for t in json.loads(house.cli("list", "--json").stdout)}
    assert listed["newt"]["status"] == "ok" and listed["newt"]["last_build"]
    assert listed["newt"]["view_rows"]["finance.revenue_monthly"] == revenue_rows[0]
    assert all(count > 0 for count in listed["newt"]["view_rows"].values())
    assert listed["newt"]["schedule"] == "15 4 * * * (Europe/Berlin)"
    assert listed["keeper"]["status"] == "never built" and listed["keeper"]["view_rows"] is None
    table = house.cli("list").stdout
    assert "newt" in table and "Newt Ltd" in table and "never built" in table

    # the Dagster instance knows newt's assets (a materialization reported for one)
    script = (
        "import dagster as dg\n"
        "with dg.DagsterInstance.get() as instance:\n"
        "    instance.report_runless_asset_event(\n"
        "        dg.AssetMaterialization(asset_key=['newt', 'gold', 'mart_sales__kpi_summary']))\n"
    )
    subprocess.run([sys.executable, "-c", script], env=house.env, check=True)
    assert ["newt", "gold", "mart_sales__kpi_summary"] in _dagster_keys(house)

    # no confirmation, nothing deleted: no terminal, or a wrong answer on one
    refused = house.cli("delete", "newt", check=False)
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    assert _answer_on_a_terminal(house, "keeper", "delete", "newt") == 1
    assert "newt" in house.registry.read_text() and house.warehouse("newt").is_file()

    deleted = house.cli("delete", "newt", "--yes")
    assert "deleted tenant newt" in deleted.stdout
    assert house.registry.read_text() == original  # comments and layout as they were
    assert "newt" not in (house.profiles_dir / "profiles.yml").read_text()
    assert not target.exists()
    assert _dagster_keys(house) == []
    # nothing left of newt but its archive
    (archive,) = (house.data_dir / "_archive").glob("newt-*.tar.gz")
    assert _files(house.data_dir) == {"_archive", f"_archive/{archive.name}"}
    with tarfile.open(archive) as tar:
        entry = tar.extractfile("newt/registry-entry.yml").read().decode()
        assert entry.startswith("  - id: newt\n") and "Europe/Berlin" in entry
        tar.extract("newt/data/newt.duckdb", tmp_path / "restored", filter="data")
    with duckdb.connect(str(tmp_path / "restored/newt/data/newt.duckdb"), read_only=True) as db:
        assert db.execute("select count(*) from finance.revenue_monthly").fetchone() == revenue_rows
    assert house.cli("delete", "newt", "--yes", check=False).returncode == 2  # gone


def test_delete_without_archive_and_a_created_tenant_the_day_it_starts(tmp_path: Path) -> None:
    house = _house(tmp_path)
    house.cli("create", "bare", *SMALL)  # not built: a landing zone and an empty warehouse
    assert sorted(_files(house.data_dir / "bare")) == ["bare.duckdb", "landing"]
    assert json.loads(house.cli("list", "--json").stdout)[1]["status"] == "never built"
    house.cli("delete", "bare", "--yes", "--no-archive")
    assert _files(house.data_dir) == set()
    assert house.registry.read_text() == REGISTRY


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_tenant_ids_are_refused_by_every_command(tmp_path: Path, bad: str) -> None:
    house = _house(tmp_path)
    for args in (["create", bad], ["delete", bad, "--yes"], ["build", bad], ["land", bad],
                 ["query", bad, "select 1"], ["shop", "generate", bad]):  # fmt: skip
        result = house.cli(*args, check=False)
        assert result.returncode == 2, (args, result.stderr)
        assert "error: " in result.stderr  # argparse names the argument and the rule
        assert bad.startswith("-") or "invalid tenant id" in result.stderr, result.stderr
    # ... in the environment and on dbt's own command line
    dbt = [str(Path(sys.executable).parent / "dbt"), "build"]
    house.cli("profiles")
    runs = [({"DBT_TARGET": bad}, [], "does not have a target named")] if bad else []
    runs.append(({}, ["--target", "lint", "--vars", json.dumps({"tenant_id": bad})],
                 "invalid tenant id"))  # fmt: skip
    for extra_env, args, message in runs:
        result = subprocess.run([*dbt, *args], env={**house.env, **extra_env}, cwd=PROJECT_DIR,
                                capture_output=True, text=True, check=False)  # fmt: skip
        assert result.returncode != 0 and message in result.stdout, result.stdout[-2000:]
    assert house.registry.read_text() == REGISTRY and not house.data_dir.exists()
    # ... and in the registry file itself
    house.registry.write_text(REGISTRY.replace("id: keeper", f"id: {json.dumps(bad)}"))
    result = house.cli("list", check=False)
    assert result.returncode == 2 and str(house.registry) in result.stderr
    assert "invalid tenant id" in result.stderr


def test_create_refuses_what_exists_or_is_wrong_and_changes_nothing(tmp_path: Path) -> None:
    house = _house(tmp_path)
    cases = {
        ("create", "keeper"): "tenant 'keeper' already exists",
        ("create", "tz", "--timezone", "Mars/Olympus"): "not an IANA time zone",
        ("create", "cron", "--cron", "* *"): "a cron expression has five fields",
        ("create", "sf", "--scale-factor", "-1"): "scale_factor must be a number",
        ("create", "pg", "--tpch-mode", "postgres", "--pg-user", "pg_x"): "reserved",
        ("delete", "nobody", "--yes"): "unknown tenant 'nobody'",
    }
    for args, message in cases.items():
        result = house.cli(*args, check=False)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
    (house.data_dir / "orphan").mkdir(parents=True)  # left behind by hand
    result = house.cli("create", "orphan", check=False)
    assert result.returncode == 2 and "already exists" in result.stderr
    assert house.registry.read_text() == REGISTRY
    assert _files(house.data_dir) == {"orphan"}


@pytest.mark.fast
def test_every_verb_has_help(tmp_path: Path) -> None:
    house = _house(tmp_path)
    overview = house.cli("--help").stdout
    for verb in ("create", "list", "delete", "build", "land", "query", "demo"):
        assert verb in overview
        assert house.cli(verb, "--help").stdout.startswith(f"usage: duckhouse {verb}")
    assert "Exit codes" in overview


def test_two_tenants_built_at_once_hold_only_their_own_data(tmp_path: Path) -> None:
    house = _house(tmp_path)
    house.cli("create", "alpha", *SMALL)
    house.cli("create", "beta", *SMALL[2:], "--scale-factor", "0.02")

    def build(tenant: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "duckhouse.cli", "build", tenant], env=house.env,
            cwd=PROJECT_DIR, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    builds = [build("alpha"), build("beta")]
    outputs = [build.communicate(timeout=900)[0] for build in builds]
    assert [build.returncode for build in builds] == [0, 0], outputs
    orders = {}
    for tenant in ("alpha", "beta"):
        with house.connect(tenant) as connection:
            for view in ("finance.revenue_monthly", "marketing.at_risk_customers"):
                found = connection.execute(f"select distinct tenant_id from {view}").fetchall()
                assert found == [(tenant,)], (tenant, view, found)
            files = connection.execute(
                "select distinct _source_file from bronze.stg_tpch__orders "
                "union all select distinct _source_file from bronze.stg_shop__orders"
            ).fetchall()
            own = str(house.landing(tenant))
            assert files and all(f.startswith(own + "/") for (f,) in files), files
            (orders[tenant],) = connection.execute(
                "select count(*) from bronze.stg_tpch__orders"
            ).fetchone()
    assert orders["beta"] == 2 * orders["alpha"]  # sf 0.02 vs 0.01: each read its own
    for tenant in ("alpha", "beta"):
        house.cli("delete", tenant, "--yes", "--no-archive")
