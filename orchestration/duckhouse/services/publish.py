"""Publish a tenant's gold and views to the object store: as Iceberg tables in the tenant's
own catalog (a new snapshot each time; earlier ones stay readable: time travel) and as
Parquet files for tools that only read files. Runs with the tenant's own S3 identity.

The connection that holds the S3 keys and reaches the network never runs the tenant's
SQL: the relations to publish are first copied, as plain tables, into a staging database
in the tenant's folder by a sandboxed connection (duckhouse.warehouse.readers.connect_sandboxed: a
view or macro the tenant's build made cannot read a file outside the tenant's folder),
and the S3 connection reads only that copy."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from duckhouse.extensions import load_extension
from duckhouse.paths import published_warehouse_path, tenant_dir
from duckhouse.services.objectstore import (
    REGION,
    ObjectStoreError,
    ServerState,
    parquet_prefix,
    require_running,
    table_bucket,
    tenant_credentials,
)
from duckhouse.sqltext import sql_identifier, sql_string
from duckhouse.tenants import LAKE_ALIAS, STAGED_ALIAS, validate_tenant_id
from duckhouse.warehouse.readers import connect_sandboxed

# what is published: the gold marts and the finance and marketing views
PUBLISHED_SCHEMAS = ("finance", "marketing")
PUBLISHED_SCHEMA_PREFIX = "gold_"
LAKE = LAKE_ALIAS  # the tenant's Iceberg catalog, attached under this name


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    name: str
    rows: int
    snapshot_id: int
    parquet: str


def connect_lake(tenant_id: str, state: ServerState | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the tenant's Iceberg catalog attached as `lake` and S3
    access to the object store, both as the tenant's identity."""
    state = state or require_running()
    credentials = tenant_credentials(tenant_id)
    connection = duckdb.connect()
    for extension in ("httpfs", "avro", "iceberg"):  # iceberg needs avro loaded first
        load_extension(connection, extension)
    connection.execute(
        "create secret lake_s3 (type s3, key_id ?, secret ?, endpoint ?, url_style 'path', "
        "use_ssl false, region ?)",
        [credentials.key_id, credentials.secret, state.s3_endpoint, REGION],
    )
    connection.execute(
        "create secret lake_catalog (type iceberg, client_id ?, client_secret ?, "
        "oauth2_server_uri ?)",
        [credentials.key_id, credentials.secret, f"{state.iceberg_endpoint}/v1/oauth/tokens"],
    )
    connection.execute(
        f"attach {sql_string(table_bucket(tenant_id))} as {LAKE} "
        f"(type iceberg, endpoint {sql_string(state.iceberg_endpoint)}, secret lake_catalog)"
    )
    return connection


def published_relations(
    connection: duckdb.DuckDBPyConnection, catalog: str
) -> list[tuple[str, str]]:
    """(schema, name) of every gold table and public view of an attached warehouse."""
    return connection.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and (table_schema like ? or table_schema in ?) "
        "order by table_schema, table_name",
        [catalog, PUBLISHED_SCHEMA_PREFIX + "%", list(PUBLISHED_SCHEMAS)],
    ).fetchall()


def publish(tenant_id: str) -> list[PublishedTable]:
    """Publish the tenant's last audited build (its published warehouse, read-only): a
    failed build is never published (duckhouse.warehouse.audit)."""
    validate_tenant_id(tenant_id)
    warehouse = published_warehouse_path(tenant_id)
    if not warehouse.is_file():
        raise ObjectStoreError(
            f"tenant '{tenant_id}' has no audited build at {warehouse}: build it"
        )
    with tempfile.TemporaryDirectory(prefix=".publish-", dir=tenant_dir(tenant_id)) as staging:
        copy = Path(staging) / f"{tenant_id}.duckdb"
        relations = _stage(tenant_id, warehouse, copy)
        if not relations:
            raise ObjectStoreError(f"tenant '{tenant_id}': nothing to publish in {warehouse}")
        connection = connect_lake(tenant_id)
        try:
            # under the tenant's name, as the warehouse's relations are
            connection.execute(f"attach {sql_string(copy)} as {tenant_id} (read_only)")
            return [_publish_one(connection, tenant_id, schema, name) for schema, name in relations]
        except duckdb.Error as error:
            hint = ""
            if "table bucket" in str(error) and "not found" in str(error):
                hint = " (`duckhouse s3 up` creates every registered tenant's catalog)"
            raise ObjectStoreError(
                f"tenant '{tenant_id}': publishing failed{hint}: {error}"
            ) from error
        finally:
            connection.close()


def _stage(tenant_id: str, warehouse: Path, copy: Path) -> list[tuple[str, str]]:
    """Copy the relations to publish, as tables of plain values, into `copy` -- in a
    sandboxed connection confined to the staging folder."""
    with connect_sandboxed(warehouse, read_only=True, allowed=(copy.parent,)) as source:
        relations = published_relations(source, tenant_id)
        source.execute(f"attach {sql_string(copy)} as {STAGED_ALIAS} (read_write)")
        for schema, name in relations:
            relation = f"{sql_identifier(schema)}.{sql_identifier(name)}"
            source.execute(f"create schema if not exists {STAGED_ALIAS}.{sql_identifier(schema)}")
            source.execute(
                f"create table {STAGED_ALIAS}.{relation} as select * from {tenant_id}.{relation}"
            )
        source.execute(f"detach {STAGED_ALIAS}")
    return relations


def _publish_one(
    connection: duckdb.DuckDBPyConnection, tenant_id: str, schema: str, name: str
) -> PublishedTable:
    relation = f"{sql_identifier(schema)}.{sql_identifier(name)}"
    source, target = f"{tenant_id}.{relation}", f"{LAKE}.{relation}"
    parquet = f"{parquet_prefix(tenant_id)}/{schema}/{name}.parquet"
    connection.execute(f"copy (select * from {source}) to {sql_string(parquet)} (format parquet)")
    connection.execute(f"create schema if not exists {LAKE}.{sql_identifier(schema)}")
    exists = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [LAKE, schema, name],
    ).fetchone()[0]
    if exists:
        # a new snapshot of the same table: the earlier ones stay readable (time travel)
        connection.execute("begin")
        connection.execute(f"delete from {target}")
        connection.execute(f"insert into {target} select * from {source}")
        connection.execute("commit")
    else:
        connection.execute(f"create table {target} as select * from {source}")
    (rows,) = connection.execute(f"select count(*) from {target}").fetchone()
    (snapshot,) = connection.execute(
        f"select snapshot_id from iceberg_snapshots({target}) order by sequence_number desc limit 1"
    ).fetchone()
    return PublishedTable(schema, name, rows, snapshot, parquet)
