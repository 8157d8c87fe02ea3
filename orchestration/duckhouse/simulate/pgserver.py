"""A local PostgreSQL server that plays a tenant's operational database (docs/sources.md, "The
sources"): start, stop, provision TPC-H into a tenant's database, and move the business
on with TPC-H's refresh functions (RF1 inserts new orders, RF2 deletes old ones).

The server lives in `<data>/postgres/` (Debian's `postgresql` binaries, `initdb` into the
project-local directory), listens on 127.0.0.1 only, and accepts TCP connections with a
password (scram-sha-256). The superuser is reached through the Unix socket inside the
server directory only. When duckhouse runs as root (CI), the server runs as the
`postgres` system user, as PostgreSQL requires.

Every operation is idempotent: starting a running server, provisioning a provisioned
tenant, or stopping a stopped server changes nothing and does not fail.
"""

from __future__ import annotations

import glob
import math
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from duckhouse.extensions import load_extension
from duckhouse.ingest.postgres import (
    TPCH_DDL,
    PostgresError,
    password_for,
)
from duckhouse.ingest.tpch import TPCH_TABLES
from duckhouse.paths import data_dir
from duckhouse.sqltext import sql_identifier, sql_string
from duckhouse.tenants import PostgresConnection, Tenant

META_TABLE = "duckhouse_source"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
PG_DIR_ENV = "DUCKHOUSE_PG_DIR"  # where local servers live (default <data>/_postgres)
PG_DIR_NAME = "_postgres"  # not a valid tenant id: no tenant folder can be it


def _bindir() -> Path:
    """Directory of Debian's PostgreSQL server binaries (initdb, pg_ctl, postgres)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresError(
        "PostgreSQL server binaries not found: install Debian's `postgresql` package "
        "(`make postgres` does it as root)"
    )


@dataclass(frozen=True)
class LocalServer:
    """The project-local demo server on 127.0.0.1:`port`."""

    port: int
    directory: Path

    @classmethod
    def for_port(cls, port: int) -> LocalServer:
        root = os.environ.get(PG_DIR_ENV)
        return cls(port=port, directory=Path(root or data_dir() / PG_DIR_NAME) / str(port))

    @property
    def pgdata(self) -> Path:
        return self.directory / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.directory / "socket"

    @property
    def log_file(self) -> Path:
        return self.directory / "server.log"

    @property
    def superuser(self) -> str:
        return "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(_bindir() / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, text=True, capture_output=True, check=False)

    def is_running(self) -> bool:
        return (
            self.pgdata.is_dir()
            and self._run("pg_ctl", "status", "-D", str(self.pgdata)).returncode == 0
        )

    def start(self) -> bool:
        """Initialise (first time) and start the server; False if it was already running."""
        if self.is_running():
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        # the socket takes the superuser without a password (trust): only its owner may
        # reach it (the folder 0700, the socket too), no other local user
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        self.socket_dir.chmod(0o700)
        if os.geteuid() == 0:
            # the server runs as the postgres system user: the folders duckhouse made on
            # the way to its directory (0700 under duckhouse's umask) must let it pass --
            # traverse only (0711): nobody can list them, tenant folders stay 0700
            root = data_dir()
            for parent in self.directory.parents:
                if parent != root and root not in parent.parents:
                    break  # only the data dir and what is inside it are duckhouse's
                if parent.stat().st_uid == 0 and not parent.stat().st_mode & 0o001:
                    parent.chmod(parent.stat().st_mode | 0o011)
            for path in (self.directory, self.socket_dir):
                shutil.chown(path, "postgres", "postgres")
            reachable = subprocess.run(
                ["runuser", "-u", "postgres", "--", "test", "-w", str(self.directory)],
                check=False,
            )
            if reachable.returncode != 0:
                raise PostgresError(
                    f"the postgres system user cannot reach {self.directory}: make its "
                    f"parent folders traversable, or point ${PG_DIR_ENV} elsewhere"
                )
        if not (self.pgdata / "PG_VERSION").is_file():
            result = self._run(
                "initdb", "-D", str(self.pgdata), "-U", self.superuser, "--encoding=UTF8",
                "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
            )  # fmt: skip
            if result.returncode != 0:
                raise PostgresError(f"initdb into {self.pgdata} failed:\n{result.stderr}")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.socket_dir} -c unix_socket_permissions=0700 "
            "-c fsync=off"
        )
        result = self._run(
            "pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.log_file), "-w",
            "-t", "60", "-o", options,
        )  # fmt: skip
        if result.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise PostgresError(
                f"PostgreSQL on 127.0.0.1:{self.port} did not start:\n{result.stderr}\n{log}"
            )
        return True

    def stop(self) -> bool:
        """Stop the server; False if it was not running."""
        if not self.is_running():
            return False
        result = self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w")
        if result.returncode != 0:
            raise PostgresError(
                f"PostgreSQL on 127.0.0.1:{self.port} did not stop:\n{result.stderr}"
            )
        return True

    def psql(self, database: str, sql: str, *, single_transaction: bool = False) -> str:
        """Run `sql` as the superuser through the server's socket; return what it printed.
        The SQL goes through psql's standard input, never its command line: it may hold a
        role's password, and every local user can read a command line (`ps`)."""
        command = [
            shutil.which("psql") or str(_bindir() / "psql"),
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.socket_dir), "-p", str(self.port), "-U", self.superuser,
            "-d", database, "-f", "-",
        ]  # fmt: skip
        if single_transaction:
            command.insert(1, "--single-transaction")
        result = subprocess.run(command, input=sql, text=True, capture_output=True, check=False)
        if result.returncode != 0:
            raise PostgresError(
                f"PostgreSQL 127.0.0.1:{self.port}/{database}: {result.stderr.strip()}"
            )
        return result.stdout.strip()

    def admin_dsn(self, database: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} dbname={database} user={self.superuser}"


def _duckdb() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    load_extension(connection, "postgres_scanner")
    return connection


def require_local(tenant: Tenant) -> PostgresConnection:
    source = tenant.tpch.postgres
    if tenant.tpch.mode != "postgres" or source is None:
        raise PostgresError(f"tenant '{tenant.id}': its TPC-H source is not PostgreSQL")
    if source.host not in LOCAL_HOSTS:
        raise PostgresError(
            f"tenant '{tenant.id}': its PostgreSQL is at {source.host}; duckhouse only "
            "provisions the local demo server (127.0.0.1)"
        )
    return source


def provision(tenant: Tenant, *, force: bool = False) -> dict[str, int] | None:
    """Start the local server if needed, create the tenant's role and database and load
    TPC-H at the tenant's scale factor. Returns row counts, or None if already loaded."""
    source = require_local(tenant)
    password = password_for(tenant)
    server = LocalServer.for_port(source.port)
    server.start()
    database, user = sql_string(source.database), sql_string(source.user)
    role, owned = sql_identifier(source.user), sql_identifier(source.database)
    has_role = server.psql("postgres", f"select count(*) from pg_roles where rolname = {user}")
    verb = "alter" if has_role == "1" else "create"
    server.psql("postgres", f"{verb} role {role} login password {sql_string(password)}")
    if (
        server.psql("postgres", f"select count(*) from pg_database where datname = {database}")
        == "0"
    ):
        server.psql("postgres", f"create database {owned} owner {role}")
    exists = f"select to_regclass({sql_string(META_TABLE)}) is not null"
    loaded = server.psql(
        source.database,
        f"select scale_factor from {META_TABLE}"
        if server.psql(source.database, exists) == "t"
        else "select null",
    )
    if loaded and not force and float(loaded) == tenant.tpch.scale_factor:
        return None
    statements = [f"drop table if exists {t} cascade" for t in (META_TABLE, *TPCH_TABLES)]
    statements += [f"create table {t} ({TPCH_DDL[t]})" for t in TPCH_TABLES]
    server.psql(source.database, "; ".join(statements), single_transaction=True)
    counts: dict[str, int] = {}
    with _duckdb() as connection:
        load_extension(connection, "tpch")
        connection.execute("call dbgen(sf = ?)", [tenant.tpch.scale_factor])
        dsn = sql_string(server.admin_dsn(source.database))
        connection.execute(f"attach {dsn} as src (type postgres)")
        for table in TPCH_TABLES:
            connection.execute(f"insert into src.public.{table} select * from memory.main.{table}")
            (counts[table],) = connection.execute(
                f"select count(*) from memory.main.{table}"
            ).fetchone()
    server.psql(
        source.database,
        f"create table {META_TABLE} (scale_factor numeric not null, loaded_at timestamptz "
        f"not null default now(), refresh_batches integer not null default 0); "
        f"insert into {META_TABLE} (scale_factor) values ({tenant.tpch.scale_factor}); "
        f"grant select on all tables in schema public to {role}",
        single_transaction=True,
    )
    server.psql(source.database, "analyze")
    return counts


def refresh(tenant: Tenant, orders: int | None = None) -> dict[str, int]:
    """Move the business on, as TPC-H's refresh functions do, in one transaction:
    RF1 inserts `orders` new orders (keys above the highest, dates 30 days after the
    newest ones they copy) with their lines; RF2 deletes as many of the oldest orders and
    their lines. Default batch: scale factor x 1500 orders, the spec's refresh size."""
    source = require_local(tenant)
    server = LocalServer.for_port(source.port)
    if not server.is_running():
        raise PostgresError(
            f"tenant '{tenant.id}': no server on 127.0.0.1:{source.port}; "
            f"run `duckhouse pg up {tenant.id}`"
        )
    batch = orders or max(1, math.ceil(tenant.tpch.scale_factor * 1500))
    count = "select count(*) from orders"
    before = int(server.psql(source.database, count))
    server.psql(
        source.database,
        f"""
        create temp table rf_new on commit drop as
          select o.*, (select max(o_orderkey) from orders)
                      + row_number() over (order by o.o_orderkey) as new_key
          from (select * from orders order by o_orderkey desc limit {batch}) as o;
        insert into orders
          select new_key, o_custkey, o_orderstatus, o_totalprice, o_orderdate + 30,
                 o_orderpriority, o_clerk, o_shippriority, o_comment
          from rf_new;
        insert into lineitem
          select n.new_key, l.l_partkey, l.l_suppkey, l.l_linenumber, l.l_quantity,
                 l.l_extendedprice, l.l_discount, l.l_tax, l.l_returnflag, l.l_linestatus,
                 l.l_shipdate + 30, l.l_commitdate + 30, l.l_receiptdate + 30,
                 l.l_shipinstruct, l.l_shipmode, l.l_comment
          from lineitem as l join rf_new as n on l.l_orderkey = n.o_orderkey;
        create temp table rf_old on commit drop as
          select o_orderkey from orders order by o_orderkey limit {batch};
        delete from lineitem where l_orderkey in (select o_orderkey from rf_old);
        delete from orders where o_orderkey in (select o_orderkey from rf_old);
        update {META_TABLE} set refresh_batches = refresh_batches + 1;
        """,
        single_transaction=True,
    )
    after = int(server.psql(source.database, count))
    return {"inserted_orders": batch, "deleted_orders": batch, "orders_before": before,
            "orders_after": after}  # fmt: skip
