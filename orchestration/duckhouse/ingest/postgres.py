"""The TPC-H source in a tenant's PostgreSQL: its contract (TPC-H's tables and column
types) and the pre-flight every build runs first, as the tenant, read-only.

What reads the source; the demo server that duckhouse can run for a tenant is
duckhouse.simulate.pgserver, which loads data in this contract's shape.
"""

from __future__ import annotations

import os
import re

import duckdb

from duckhouse.extensions import load_extension
from duckhouse.tenants import Tenant

# TPC-H's own column types (spec clause 1.4): identifiers, numeric(15,2) money, dates.
TPCH_DDL = {
    "region": "r_regionkey integer primary key, r_name char(25) not null, r_comment varchar(152)",
    "nation": "n_nationkey integer primary key, n_name char(25) not null, "
    "n_regionkey integer not null, n_comment varchar(152)",
    "supplier": "s_suppkey bigint primary key, s_name char(25) not null, "
    "s_address varchar(40) not null, s_nationkey integer not null, "
    "s_phone char(15) not null, s_acctbal numeric(15, 2) not null, "
    "s_comment varchar(101) not null",
    "customer": "c_custkey bigint primary key, c_name varchar(25) not null, "
    "c_address varchar(40) not null, c_nationkey integer not null, "
    "c_phone char(15) not null, c_acctbal numeric(15, 2) not null, "
    "c_mktsegment char(10) not null, c_comment varchar(117) not null",
    "part": "p_partkey bigint primary key, p_name varchar(55) not null, "
    "p_mfgr char(25) not null, p_brand char(10) not null, p_type varchar(25) not null, "
    "p_size integer not null, p_container char(10) not null, "
    "p_retailprice numeric(15, 2) not null, p_comment varchar(23) not null",
    "partsupp": "ps_partkey bigint not null, ps_suppkey bigint not null, "
    "ps_availqty bigint not null, ps_supplycost numeric(15, 2) not null, "
    "ps_comment varchar(199) not null, primary key (ps_partkey, ps_suppkey)",
    "orders": "o_orderkey bigint primary key, o_custkey bigint not null, "
    "o_orderstatus char(1) not null, o_totalprice numeric(15, 2) not null, "
    "o_orderdate date not null, o_orderpriority char(15) not null, "
    "o_clerk char(15) not null, o_shippriority integer not null, "
    "o_comment varchar(79) not null",
    "lineitem": "l_orderkey bigint not null, l_partkey bigint not null, "
    "l_suppkey bigint not null, l_linenumber integer not null, "
    "l_quantity numeric(15, 2) not null, l_extendedprice numeric(15, 2) not null, "
    "l_discount numeric(15, 2) not null, l_tax numeric(15, 2) not null, "
    "l_returnflag char(1) not null, l_linestatus char(1) not null, "
    "l_shipdate date not null, l_commitdate date not null, l_receiptdate date not null, "
    "l_shipinstruct char(25) not null, l_shipmode char(10) not null, "
    "l_comment varchar(44) not null, primary key (l_orderkey, l_linenumber)",
}


class PostgresError(RuntimeError):
    """The local PostgreSQL server or a tenant's source database cannot do what was asked."""


def password_for(tenant: Tenant) -> str:
    source = tenant.tpch.postgres
    assert source is not None
    password = os.environ.get(source.password_env)
    if not password:
        raise PostgresError(
            f"tenant '{tenant.id}': set the PostgreSQL password in ${source.password_env} "
            "(it is never read from a file)"
        )
    return password


def _duckdb() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    load_extension(connection, "postgres_scanner")
    return connection


_COLUMN = re.compile(r"(\w+) (integer|bigint|date|numeric\(15, 2\)|char\(\d+\)|varchar\(\d+\))")
_DUCKDB_TYPE = {"integer": "INTEGER", "bigint": "BIGINT", "date": "DATE",
                "numeric(15, 2)": "DECIMAL(15,2)"}  # fmt: skip


def _expected_types() -> dict[str, dict[str, str]]:
    """The DuckDB type each TPC-H column must arrive as (from the DDL above)."""
    return {
        table: {name: _DUCKDB_TYPE.get(kind, "VARCHAR") for name, kind in _COLUMN.findall(ddl)}
        for table, ddl in TPCH_DDL.items()
    }


def check_source(tenant: Tenant) -> dict[str, int]:
    """Connect to the tenant's PostgreSQL as the tenant (read-only), check that the eight
    tables exist with TPC-H's column types, and count their rows. Every failure names the
    tenant, the server and, where it applies, the table."""
    source = tenant.tpch.postgres
    if tenant.tpch.mode != "postgres" or source is None:
        raise PostgresError(f"tenant '{tenant.id}': its TPC-H source is not PostgreSQL")
    where = f"tenant '{tenant.id}': PostgreSQL {source.host}:{source.port}/{source.database}"
    password = password_for(tenant)
    with _duckdb() as connection:
        connection.execute(
            "create temporary secret tenant_pg (type postgres, host ?, port ?, database ?, "
            "user ?, password ?)",
            [source.host, str(source.port), source.database, source.user, password],
        )
        try:
            connection.execute("attach '' as src (type postgres, secret tenant_pg, read_only)")
        except duckdb.Error as exc:
            reason = str(exc).replace(password, "***").splitlines()[0]
            raise PostgresError(f"{where}: cannot connect as {source.user}: {reason}") from exc
        actual: dict[str, dict[str, str]] = {}
        for table, column, kind in connection.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = 'src' and table_schema = 'public'"
        ).fetchall():
            actual.setdefault(table, {})[column] = kind
        counts: dict[str, int] = {}
        for table, columns in _expected_types().items():
            if table not in actual:
                raise PostgresError(f"{where}: table public.{table} is missing")
            for column, kind in columns.items():
                found = actual[table].get(column)
                if found is None:
                    raise PostgresError(f"{where}: table public.{table} has no column {column}")
                if found != kind:
                    raise PostgresError(
                        f"{where}: table public.{table} column {column} is {found}, expected {kind}"
                    )
            (counts[table],) = connection.execute(
                f"select count(*) from src.public.{table}"
            ).fetchone()
    return counts
