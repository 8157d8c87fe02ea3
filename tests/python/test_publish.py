"""Publishing gold to a real S3 server (SeaweedFS from its PyPI wheel, on loopback): Iceberg
tables read back through DuckDB's iceberg extension equal the warehouse, a re-publish is a
new snapshot and the earlier one still gives the earlier numbers (time travel), the Parquet
copies match, and one tenant's identity cannot read another tenant's files or catalog."""

from __future__ import annotations

import socket
from pathlib import Path

import duckdb
import pytest

from conftest import Lakehouse, free_port, make_env

TENANT, OTHER = "pub_a", "pub_b"
REGISTRY = """\
tenants:
"""
ENTRY = """\
  - id: {id}
    display_name: Publisher {id}
    sources:
      tpch: {{mode: generated, scale_factor: 0.01}}
      ksqldb: {{mode: generated, days: 2, events_per_day: 40}}
      shop: {{mode: generated, customers: 40, products: 8, orders: 80}}
    schedule:
      cron: "0 3 * * *"
      timezone: UTC
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("publish")
    registry = root / "tenants.yml"
    registry.write_text(REGISTRY + ENTRY.format(id=TENANT) + ENTRY.format(id=OTHER))
    env = make_env(root, registry)
    env.update(
        DUCKHOUSE_S3_DIR=str(root / "s3"),
        DUCKHOUSE_S3_PORT=str(free_port()),
        DUCKHOUSE_ICEBERG_PORT=str(free_port()),
    )
    house = Lakehouse(root / "data", registry, root / "profiles", env)
    house.cli("build", TENANT)
    up = house.cli("s3", "up")
    assert f"catalog duckhouse-pub-a, files s3://duckhouse/{TENANT}/gold/" in up.stdout
    credentials = root / "s3" / "credentials.env"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"
    for line in credentials.read_text().splitlines():
        name, _, value = line.partition("=")
        env[name] = value
    try:
        yield house
    finally:
        house.cli("s3", "down", check=False)


@pytest.fixture
def as_env(store, monkeypatch):
    """Run in-process code with the store's environment."""
    for name, value in store.env.items():
        monkeypatch.setenv(name, value)
    return store


def _warehouse_relations(house: Lakehouse) -> list[tuple[str, str]]:
    from duckhouse.services.publish import published_relations

    with duckdb.connect() as connection:
        connection.execute(f"attach '{house.warehouse(TENANT)}' as {TENANT} (read_only)")
        return published_relations(connection, TENANT)


def _differences(lake: duckdb.DuckDBPyConnection, house: Lakehouse, relation: str) -> int:
    """Rows in one of the lake's table and the warehouse's relation and not the other."""
    lake.execute(f"attach if not exists '{house.warehouse(TENANT)}' as {TENANT} (read_only)")
    ours, theirs = f"lake.{relation}", f"{TENANT}.{relation}"
    return lake.execute(
        f"select count(*) from ((select * from {ours} except all select * from {theirs}) "
        f"union all (select * from {theirs} except all select * from {ours}))"
    ).fetchone()[0]


def test_published_gold_reads_back_equal_to_the_warehouse(as_env) -> None:
    from duckhouse.services.objectstore import parquet_prefix
    from duckhouse.services.publish import connect_lake

    house = as_env
    result = house.cli("publish", TENANT)
    relations = _warehouse_relations(house)
    assert len(relations) >= 25 and ("finance", "revenue_monthly") in relations
    assert f"published {len(relations)} tables" in result.stdout
    lake = connect_lake(TENANT)
    for schema, name in relations:
        assert _differences(lake, house, f'"{schema}"."{name}"') == 0, (schema, name)
        parquet = f"{parquet_prefix(TENANT)}/{schema}/{name}.parquet"
        (rows,) = lake.execute(f"select count(*) from '{parquet}'").fetchone()
        (expected,) = lake.execute(f'select count(*) from {TENANT}."{schema}"."{name}"').fetchone()
        assert rows == expected, (schema, name)
    lake.close()


def test_a_republish_is_a_new_snapshot_and_the_old_one_stays_readable(as_env) -> None:
    from duckhouse.services.publish import connect_lake

    house = as_env
    table = "lake.gold_payments.mart_payments__daily_volumes"
    house.cli("publish", TENANT)
    lake = connect_lake(TENANT)
    before = lake.execute(f"select count(*), sum(transaction_count) from {table}").fetchone()
    (first,) = lake.execute(
        f"select snapshot_id from iceberg_snapshots({table}) order by sequence_number desc limit 1"
    ).fetchone()
    lake.close()
    # a new day of payments arrives, the tenant is built and published again
    house.cli("lake", "append-day", TENANT)
    house.cli("build", TENANT)
    house.cli("publish", TENANT)
    lake = connect_lake(TENANT)
    after = lake.execute(f"select count(*), sum(transaction_count) from {table}").fetchone()
    assert after != before and after[0] > before[0]
    volumes = "gold_payments.mart_payments__daily_volumes"
    with duckdb.connect(str(house.warehouse(TENANT)), read_only=True) as warehouse:
        built = warehouse.execute(f"select count(*), sum(transaction_count) from {volumes}")
        assert after == built.fetchone()
    snapshots = [row[0] for row in lake.execute(
        f"select snapshot_id from iceberg_snapshots({table}) order by sequence_number"
    ).fetchall()]  # fmt: skip
    assert first in snapshots and snapshots[-1] != first
    travelled = lake.execute(
        f"select count(*), sum(transaction_count) from {table} at (version => {first})"
    ).fetchone()
    assert travelled == before
    lake.close()


def test_one_tenants_identity_cannot_read_another_tenants_data(as_env, monkeypatch) -> None:
    from duckhouse.services.objectstore import ObjectStoreError, parquet_prefix, tenant_credentials
    from duckhouse.services.publish import connect_lake

    house = as_env
    house.cli("publish", TENANT)
    theirs = f"{parquet_prefix(TENANT)}/finance/revenue_monthly.parquet"
    other = connect_lake(OTHER)  # pub_b's identity, pub_b's catalog
    with pytest.raises(duckdb.Error, match=r"403|Forbidden|Access Denied"):
        other.execute(f"select count(*) from '{theirs}'").fetchone()
    with pytest.raises(duckdb.Error, match=r"403|Forbidden|Access Denied"):
        other.execute(f"copy (select 1 as x) to '{parquet_prefix(TENANT)}/planted.parquet'")
    assert other.execute("select count(*) from (show all tables)").fetchone()[0] == 0
    other.close()
    # pub_b's keys pointed at pub_a's catalog: refused
    monkeypatch.setenv("DUCKHOUSE_S3_KEY_ID_PUB_A", tenant_credentials(OTHER).key_id)
    monkeypatch.setenv("DUCKHOUSE_S3_SECRET_PUB_A", tenant_credentials(OTHER).secret)
    with pytest.raises(duckdb.Error):
        borrowed = connect_lake(TENANT)
        borrowed.execute("select count(*) from lake.finance.revenue_monthly").fetchone()
    # and without keys, the error says which variables to set
    monkeypatch.delenv("DUCKHOUSE_S3_SECRET_PUB_A")
    with pytest.raises(ObjectStoreError, match=r"\$DUCKHOUSE_S3_SECRET_PUB_A"):
        tenant_credentials(TENANT)


def test_deleting_the_tenant_removes_what_it_published(as_env) -> None:
    from duckhouse.services import objectstore

    house = as_env
    house.cli("publish", TENANT)
    state = objectstore.require_running()
    assert "duckhouse-pub-a" in objectstore._shell(state, ["fs.ls /buckets"])
    result = house.cli("delete", TENANT, "--yes", "--no-archive")
    assert f"removed s3://duckhouse/{TENANT}/gold/ from the object store" in result.stdout
    assert "removed Iceberg catalog duckhouse-pub-a" in result.stdout
    buckets = objectstore._shell(state, ["fs.ls /buckets"]).split()
    assert "duckhouse-pub-a" not in buckets and "duckhouse-pub-b" in buckets
    assert TENANT not in objectstore._shell(state, ["fs.ls /buckets/duckhouse"]).split()


def test_secrets_stay_out_of_tracked_files_and_the_store_stops(store) -> None:
    house = store
    secret = house.env["DUCKHOUSE_S3_SECRET_PUB_B"]
    project = Path(__file__).resolve().parents[2]
    for path in (house.profiles_dir / "profiles.yml", project / "tenants.yml"):
        assert secret not in path.read_text()
    assert house.cli("s3", "status").returncode == 0
    house.cli("s3", "down")
    status = house.cli("s3", "status", check=False)
    assert status.returncode == 1 and "not running" in status.stdout
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(house.env["DUCKHOUSE_S3_PORT"]))) != 0
