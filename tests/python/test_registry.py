"""The tenant registry is validated, and profiles.yml is rendered from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from duckhouse.paths import PROJECT_DIR, tenant_dir
from duckhouse.tenants import RegistryError, load_registry, validate_tenant_id
from duckhouse.warehouse.profiles import render_profiles

pytestmark = pytest.mark.fast

BAD_IDS = ["../x", "a;drop", "Acme", "", "x" * 41, "1abc", "a b", "a-b", "acme/../globex"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_tenant_ids_are_refused(bad: str) -> None:
    with pytest.raises(RegistryError, match="invalid tenant id"):
        validate_tenant_id(bad)
    with pytest.raises(RegistryError):
        tenant_dir(bad)


def test_good_tenant_ids_pass() -> None:
    for good in ("acme", "globex", "t1", "a_b_c", "x" * 40):
        assert validate_tenant_id(good) == good


def test_committed_profiles_match_the_registry() -> None:
    tenants = load_registry(PROJECT_DIR / "tenants.yml")
    committed = (PROJECT_DIR / "profiles" / "profiles.yml").read_text()
    assert committed == render_profiles(tenants), "run `duckhouse profiles` and commit"
    assert {"acme", "globex"} <= {t.id for t in tenants}


def test_demo_tenants_differ_in_scale() -> None:
    tenants = {t.id: t for t in load_registry(PROJECT_DIR / "tenants.yml")}
    assert tenants["acme"].tpch.scale_factor > tenants["globex"].tpch.scale_factor


def _registry(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tenants.yml"
    path.write_text(body)
    return path


TENANT = """\
  - id: {id}
    display_name: X
    sources: {{tpch: {{mode: generated, scale_factor: {sf}}}, ksqldb: {{mode: generated}},
      shop: {{mode: generated}}}}
    schedule: {{cron: "0 1 * * *", timezone: UTC}}
"""


def test_registry_errors_name_the_file_and_tenant(tmp_path: Path) -> None:
    path = _registry(tmp_path, "tenants:\n" + TENANT.format(id="ok", sf="-1"))
    with pytest.raises(RegistryError, match=r"tenants.yml: tenant 'ok'.*scale_factor"):
        load_registry(path)

    path = _registry(tmp_path, "tenants:\n" + TENANT.format(id="Bad", sf=1))
    with pytest.raises(RegistryError, match="invalid tenant id 'Bad'"):
        load_registry(path)

    path = _registry(tmp_path, "tenants:\n" + TENANT.format(id="a", sf=1) * 2)
    with pytest.raises(RegistryError, match="tenant 'a' is declared twice"):
        load_registry(path)

    path = _registry(tmp_path, "tenants:\n  - id: a\n    display_name: A\n")
    with pytest.raises(RegistryError, match="tenant 'a': missing required field 'sources'"):
        load_registry(path)

    with pytest.raises(RegistryError, match="not found"):
        load_registry(tmp_path / "missing.yml")
