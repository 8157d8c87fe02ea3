"""The object store as an attacker on loopback sees it (docs/security.md, "The object store";
duckhouse.services.objectstore says how each port is protected). One real SeaweedFS for the module,
started by `duckhouse s3 up` with two tenants: sec_a attacks, sec_b is the victim, whose
gold is published to its Parquet prefix and its Iceberg catalog by the publishing code.

Every TCP port the server process listens on is found from its sockets (/proc), not from
a list, and tried without credentials: HTTP reads and uploads of the victim's object in
every style SeaweedFS knows (filer paths, volume file ids, S3 paths, the master's assign,
lookup and submit, the admin UI's file browser), WebDAV, and gRPC in plain text, without
a client certificate and with a foreign one, on every port and Unix socket. S3, the S3
Tables API and the Iceberg REST catalog are tried with no key and with the attacker's
key. Each case asserts the refusal *and* that the victim's objects are unchanged (listed
and hashed through the admin identity before and after). Then: a tenant named like one of
SeaweedFS's built-in accounts, the modes of everything in the server dir, and the weed
process's command line and environment (no secret).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import stat
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import grpc
import pytest

from conftest import Lakehouse, free_port, make_env, write_registry
from duckhouse.services import objectstore
from duckhouse.tenants import RegistryError, Schedule, Tenant, TpchSource

ATTACKER, VICTIM = "sec_a", "sec_b"
VICTIM_TABLE = ("finance", "revenue_monthly")
VICTIM_OBJECT = f"{VICTIM}/gold/finance/revenue_monthly.parquet"  # in the duckhouse bucket
FILER_PATH = f"/buckets/{objectstore.PARQUET_BUCKET}/{VICTIM_OBJECT}"
PLANTED_BUCKET = "sec-a-planted"
DECOY = "decoy-secret-in-the-callers-environment"


@dataclass(frozen=True)
class Store:
    house: Lakehouse
    state: objectstore.ServerState
    directory: Path
    pid: int
    victim_bytes: bytes
    victim_fids: tuple[str, ...]

    def key(self, who: str) -> tuple[str, str]:
        if who == "admin":
            names = (objectstore.ADMIN_KEY_ENV, objectstore.ADMIN_SECRET_ENV)
        else:
            names = objectstore.credential_env(who)
        return self.house.env[names[0]], self.house.env[names[1]]

    @property
    def s3(self) -> str:
        return f"http://{self.state.s3_endpoint}"


# -- clients: plain HTTP, AWS signature version 4, gRPC ----------------------------------


def _http(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None
) -> tuple[int, bytes] | None:
    """One request to 127.0.0.1:`port`; (status, body), or None if the port would not
    speak HTTP (a gRPC port closes the connection, a TLS one resets it)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    except (ConnectionError, http.client.HTTPException, TimeoutError):
        return None
    finally:
        connection.close()


def _signed(
    method: str,
    url: str,
    key: tuple[str, str] | None,
    body: bytes = b"",
    headers: dict | None = None,
    service: str = "s3",
) -> tuple[int, bytes]:
    """An S3 (or S3 Tables) request signed with `key` (id, secret), or unsigned if None."""
    parts = urllib.parse.urlsplit(url)
    headers = {name.lower(): value for name, value in (headers or {}).items()}
    if key is not None:
        now = datetime.datetime.now(datetime.UTC)
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(body).hexdigest()
        headers.update({"host": parts.netloc, "x-amz-date": stamp, "x-amz-content-sha256": payload})
        names = sorted(headers)
        query = "&".join(
            f"{urllib.parse.quote(name, safe='-_.~')}={urllib.parse.quote(value, safe='-_.~')}"
            for name, value in sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        )
        canonical = "\n".join(
            [
                method,
                urllib.parse.quote(parts.path or "/", safe="/-_.~"),
                query,
                "".join(f"{name}:{str(headers[name]).strip()}\n" for name in names),
                ";".join(names),
                payload,
            ]
        )
        scope = f"{day}/{objectstore.REGION}/{service}/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        signing = ("AWS4" + key[1]).encode()
        for part in (day, objectstore.REGION, service, "aws4_request"):
            signing = hmac.new(signing, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={key[0]}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


LIST_ENTRIES = "/filer_pb.SeaweedFiler/ListEntries"
GRPC_ATTEMPTS = {
    # the victim's folder: its files and their chunks' file ids
    LIST_ENTRIES: (
        True,
        b"\x0a"
        + bytes([len(f"/buckets/duckhouse/{VICTIM}/gold/finance")])
        + f"/buckets/duckhouse/{VICTIM}/gold/finance".encode(),
    ),
    # a file id and the JWT that lets its holder write it to a volume server
    "/master_pb.Seaweed/Assign": (False, b"\x08\x01"),
    # an identity of the caller's choosing (an empty request: the call must not get through)
    "/s3_pb.SeaweedS3IamCache/PutIdentity": (False, b""),
}


def _grpc(
    target: str,
    credentials: grpc.ChannelCredentials | None,
    method: str,
    request: bytes,
    stream: bool,
) -> list[bytes]:
    """One gRPC call; the responses, or grpc.RpcError."""
    options = [("grpc.ssl_target_name_override", "localhost")]
    channel = (
        grpc.insecure_channel(target)
        if credentials is None
        else grpc.secure_channel(target, credentials, options=options)
    )
    try:
        if stream:
            call = channel.unary_stream(method, request_serializer=None, response_deserializer=None)
            return list(call(request, timeout=5))
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        return [call(request, timeout=5)]
    finally:
        channel.close()


# -- what the attacker finds: the server's sockets ---------------------------------------


def _process_group(pid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[2]) == pid:  # the process group id
                members.append(int(entry.name))
    return members


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for member in _process_group(pid):
        for descriptor in (Path("/proc") / str(member) / "fd").iterdir():
            try:
                target = os.readlink(descriptor)
            except FileNotFoundError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes


def _listening_tcp(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the server's processes listen on, IPv4 and 6."""
    inodes, found = _socket_inodes(pid), set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port = fields[1].split(":")
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    text = ".".join(str(b) for b in raw[::-1])
                else:
                    text = ":".join(raw[i : i + 4][::-1].hex() for i in range(0, 16, 4))
                found.add((text, int(port, 16)))
    return found


def _listening_unix(pid: int) -> set[str]:
    inodes, paths = _socket_inodes(pid), set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 8 and fields[6] in inodes and fields[5] == "01":  # LISTEN
            paths.add(fields[7])
    return paths


# -- the victim's objects, as the admin sees them ----------------------------------------


def _keys(store: Store, bucket: str, prefix: str = "") -> list[str]:
    status, body = _signed(
        "GET", f"{store.s3}/{bucket}?list-type=2&prefix={prefix}", store.key("admin")
    )
    assert status == 200, body
    namespace = {"s3": "http://s3.amazonaws.com/doc/2006-03-01/"}
    root = ElementTree.fromstring(body)
    assert root.findtext("s3:IsTruncated", namespaces=namespace) == "false"
    return [element.text for element in root.iterfind("s3:Contents/s3:Key", namespace)]


def _victim_digest(store: Store) -> dict[str, str]:
    """sha256 of every object of the victim's: its Parquet prefix and its table bucket."""
    digest = {}
    for bucket, prefix in (
        (objectstore.PARQUET_BUCKET, f"{VICTIM}/"),
        (objectstore.table_bucket(VICTIM), ""),
    ):
        for key in _keys(store, bucket, prefix):
            status, body = _signed("GET", f"{store.s3}/{bucket}/{key}", store.key("admin"))
            assert status == 200, (key, body)
            digest[f"{bucket}/{key}"] = hashlib.sha256(body).hexdigest()
    assert f"{objectstore.PARQUET_BUCKET}/{VICTIM_OBJECT}" in digest
    assert any(key.endswith(".metadata.json") for key in digest), digest
    return digest


def _publish_victim(root: Path) -> None:
    """The victim's gold, published by duckhouse.services.publish with the victim's identity."""
    from duckhouse.services.publish import _publish_one, connect_lake

    warehouse = root / "victim.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema finance")
        connection.execute(
            "create table finance.revenue_monthly as select range as month, "
            "'victim revenue ' || range as secret from range(500)"
        )
    lake = connect_lake(VICTIM)
    try:
        lake.execute(f"attach '{warehouse}' as {VICTIM} (read_only)")
        _publish_one(lake, VICTIM, *VICTIM_TABLE)
    finally:
        lake.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("objectstore_security")
    registry = root / "tenants.yml"
    write_registry(registry, {ATTACKER: 0.01, VICTIM: 0.01})
    env = make_env(root, registry)
    env.update(
        DUCKHOUSE_S3_DIR=str(root / "s3"),
        DUCKHOUSE_S3_PORT=str(free_port()),
        DUCKHOUSE_ICEBERG_PORT=str(free_port()),
    )
    # a secret of the caller's that the server has no business seeing
    env["DUCKHOUSE_TEST_DECOY_SECRET"] = DECOY
    house = Lakehouse(root / "data", registry, root / "profiles", env)
    house.cli("s3", "up")
    try:
        for line in (root / "s3" / "credentials.env").read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            state = objectstore.require_running()
            _publish_victim(root)
            listing = objectstore._shell(state, [f"fs.meta.cat {FILER_PATH}"])
            fids = tuple(re.findall(r'"fileId":\s*"([^"]+)"', listing))
            assert fids, listing
            url = f"http://{state.s3_endpoint}/duckhouse/{VICTIM_OBJECT}"
            key = tuple(env[name] for name in objectstore.credential_env(VICTIM))
            status, victim_bytes = _signed("GET", url, key)
            assert status == 200 and victim_bytes.startswith(b"PAR1"), victim_bytes[:200]
            yield Store(house, state, root / "s3", state.pid, victim_bytes, fids)
    finally:
        house.cli("s3", "down", check=False)


@pytest.fixture
def unchanged(store: Store) -> Iterator[None]:
    """The victim's objects are the same after the test as before it."""
    before = _victim_digest(store)
    yield
    assert _victim_digest(store) == before


# -- every port, without credentials -----------------------------------------------------


def test_the_server_listens_on_loopback_only_and_not_for_webdav(store: Store) -> None:
    ports = _listening_tcp(store.pid)
    assert {address for address, _ in ports} == {"127.0.0.1"}, ports
    numbers = {port for _, port in ports}
    assert {store.state.s3_port, store.state.iceberg_port, store.state.master_port} <= numbers
    # master, volume, filer and the admin server: HTTP and gRPC each; S3 and its gRPC;
    # Iceberg REST. No WebDAV, debug, metrics or Lance port
    assert len(numbers) == 11, sorted(numbers)
    for port in numbers:
        answer = _http(port, "PROPFIND", f"/buckets/duckhouse/{VICTIM}/", headers={"Depth": "1"})
        assert answer is None or answer[0] >= 400, (port, answer)


def _http_attempts(store: Store) -> list[tuple[str, str, bytes | None, dict]]:
    planted = b"planted by " + ATTACKER.encode()
    form = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="p.parquet"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + planted + b"\r\n--x--\r\n"
    )
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    folder = FILER_PATH.rsplit("/", 1)[0]
    attempts = [
        ("GET", FILER_PATH, None, {}),  # the filer's HTTP API
        ("GET", f"/{objectstore.PARQUET_BUCKET}/{VICTIM_OBJECT}", None, {}),  # S3, no key
        ("GET", "/dir/assign", None, {}),  # the master hands out writable file ids
        ("PUT", f"{folder}/planted.parquet", planted, {}),
        ("POST", f"{folder}/", form, multipart),
        ("POST", "/submit", form, multipart),  # the master stores an upload
        ("PUT", f"/{objectstore.PARQUET_BUCKET}/{VICTIM}/gold/planted.parquet", planted, {}),
        ("DELETE", FILER_PATH, None, {}),
        ("PROPFIND", f"/buckets/duckhouse/{VICTIM}/", None, {"Depth": "1"}),  # WebDAV
        # the admin UI's file browser and user management
        ("GET", f"/api/files/download?path={FILER_PATH}", None, {}),
        ("POST", f"/api/files/upload?path={folder}", form, multipart),
        ("GET", "/api/users", None, {}),
    ]
    for fid in store.victim_fids:  # the volume server's own file ids of the victim's object
        attempts += [
            ("GET", f"/{fid}", None, {}),
            ("GET", f"/dir/lookup?fileId={fid}&read=yes", None, {}),  # a read JWT
            ("POST", f"/{fid}", form, multipart),
            ("DELETE", f"/{fid}", None, {}),
        ]
    return attempts


def test_every_port_refuses_http_reads_and_writes_without_credentials(
    store: Store, unchanged: None
) -> None:
    ports = sorted(port for _, port in _listening_tcp(store.pid))
    answered = {}
    for port in ports:
        for method, path, body, headers in _http_attempts(store):
            answer = _http(port, method, path, body, headers)
            if answer is not None:
                status, content = answer
                assert status >= 400, (port, method, path, status, content[:300])
                assert store.victim_bytes not in content, (port, method, path)
                answered[port] = status
    # the HTTP ports did answer (and refused): the requests reached a server
    assert {store.state.s3_port, store.state.iceberg_port} <= set(answered), answered
    assert len(answered) == 6, answered  # master, volume, filer, admin, S3, Iceberg
    # nothing was planted
    assert not [key for key in _keys(store, objectstore.PARQUET_BUCKET) if "planted" in key]


def _foreign_certificate(folder: Path) -> tuple[bytes, bytes]:
    """A client certificate with the server's own subject, but not signed by its CA."""
    folder.mkdir(exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "1",
            "-subj",
            f"/CN={objectstore.CERTIFICATE_NAME}",
        ],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return (folder / "key.pem").read_bytes(), (folder / "cert.pem").read_bytes()


def test_every_port_refuses_grpc_without_the_servers_certificate(
    store: Store, unchanged: None, tmp_path: Path
) -> None:
    tls = store.directory / "tls"
    authority = (tls / "ca.crt").read_bytes()
    foreign_key, foreign_certificate = _foreign_certificate(tmp_path)
    attackers = {
        "plaintext": None,
        # trusting the server's CA (more than an attacker has), but no client certificate
        "no client certificate": grpc.ssl_channel_credentials(root_certificates=authority),
        "a foreign certificate": grpc.ssl_channel_credentials(
            root_certificates=authority,
            private_key=foreign_key,
            certificate_chain=foreign_certificate,
        ),
    }
    recorded = json.loads((store.directory / "server.json").read_text())
    sockets = recorded["grpc_sockets"]
    assert len(sockets) == 5 and _listening_unix(store.pid) >= set(sockets)
    targets = [f"127.0.0.1:{port}" for _, port in sorted(_listening_tcp(store.pid))]
    targets += [f"unix://{path}" for path in sockets]
    own = grpc.ssl_channel_credentials(
        root_certificates=authority,
        private_key=(tls / "node.key").read_bytes(),
        certificate_chain=(tls / "node.crt").read_bytes(),
    )
    # which targets are gRPC servers: with the server's own certificate, an unknown method
    # is answered as such
    servers = []
    for target in targets:
        with pytest.raises(grpc.RpcError) as answer:
            _grpc(target, own, "/duckhouse.Probe/Probe", b"", False)
        if answer.value.code() == grpc.StatusCode.UNIMPLEMENTED and (
            "unknown service" in (answer.value.details() or "")
        ):
            servers.append(target)
    for target in targets:
        for who, credentials in attackers.items():
            for method, (stream, request) in GRPC_ATTEMPTS.items():
                with pytest.raises(grpc.RpcError) as refused:
                    _grpc(target, credentials, method, request, stream)
                if target in servers:  # refused before any method is looked at
                    code = refused.value.code()
                    assert code == grpc.StatusCode.UNAVAILABLE, (target, who, method, code)
    # master, volume, filer, S3, admin: a port and a socket each
    assert len(servers) == 10, servers
    # the same listing with the server's own certificate: the filer's gRPC port and socket
    # answer with the victim's file -- the requests above were the right ones
    listed = []
    for target in servers:
        try:
            responses = _grpc(target, own, LIST_ENTRIES, GRPC_ATTEMPTS[LIST_ENTRIES][1], True)
        except grpc.RpcError:
            continue
        if any(b"revenue_monthly.parquet" in response for response in responses):
            listed.append(target)
    assert len(listed) == 2 and any(t.startswith("unix://") for t in listed), listed


def test_the_unix_sockets_are_the_servers_users_alone(store: Store) -> None:
    recorded = json.loads((store.directory / "server.json").read_text())
    for path in _listening_unix(store.pid):
        info = Path(path).lstat()
        assert stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid(), path
        assert not info.st_mode & 0o077, (path, oct(info.st_mode))
        # in the 0700 server dir, or SeaweedFS's fixed gRPC sockets in /tmp
        assert Path(path).parent == store.directory or path in recorded["grpc_sockets"], path


# -- S3, the S3 Tables API and Iceberg REST: no key, another tenant's key ---------------


def test_s3_refuses_no_key_and_another_tenants_key(store: Store, unchanged: None) -> None:
    bucket, tables = objectstore.PARQUET_BUCKET, objectstore.table_bucket(VICTIM)
    attacker_secret = store.key(ATTACKER)[1]
    victim_id = store.key(VICTIM)[0]
    for key in (None, store.key(ATTACKER), (victim_id, attacker_secret)):
        attempts = [
            ("GET", f"/{bucket}/{VICTIM_OBJECT}", b""),
            ("HEAD", f"/{bucket}/{VICTIM_OBJECT}", b""),
            ("GET", f"/{bucket}?list-type=2&prefix={VICTIM}/", b""),
            ("GET", f"/{bucket}?list-type=2", b""),
            ("PUT", f"/{bucket}/{VICTIM}/gold/finance/planted.parquet", b"planted"),
            ("PUT", f"/{bucket}/{VICTIM_OBJECT}", b"overwritten"),
            ("DELETE", f"/{bucket}/{VICTIM_OBJECT}", b""),
            ("GET", f"/{tables}?list-type=2", b""),
            ("PUT", f"/{tables}/finance/planted.parquet", b"planted"),
            ("DELETE", f"/{tables}", b""),
            ("PUT", f"/{PLANTED_BUCKET}", b""),
            ("GET", "/", b""),  # list buckets
        ]
        for method, path, body in attempts:
            status, content = _signed(method, store.s3 + path, key, body)
            if path == "/" and key == store.key(ATTACKER):
                # the attacker may list buckets, but sees only names, never the victim's data
                assert status == 200 and VICTIM_OBJECT.encode() not in content
                continue
            assert status == 403, (key and key[0], method, path, status, content[:300])
    # the attacker's own prefix works with the attacker's key, and the victim's with its own
    own = f"{store.s3}/{bucket}/{ATTACKER}/gold/own.parquet"
    assert _signed("PUT", own, store.key(ATTACKER), b"own")[0] == 200
    assert _signed("DELETE", own, store.key(ATTACKER))[0] == 204
    assert _signed("GET", f"{store.s3}/{bucket}/{VICTIM_OBJECT}", store.key(VICTIM)) == (
        200,
        store.victim_bytes,
    )
    assert PLANTED_BUCKET not in _signed("GET", store.s3 + "/", store.key("admin"))[1].decode()


def _table_api(
    store: Store, key: tuple[str, str] | None, operation: str, request: dict
) -> tuple[int, bytes]:
    return _signed(
        "POST",
        store.s3 + "/",
        key,
        json.dumps(request).encode(),
        {"X-Amz-Target": f"S3Tables.{operation}", "Content-Type": "application/x-amz-json-1.1"},
        service="s3tables",
    )


def test_the_s3_tables_api_refuses_another_tenants_catalog(store: Store, unchanged: None) -> None:
    account, name = objectstore.tenant_account(VICTIM), objectstore.table_bucket(VICTIM)
    arn = f"arn:aws:s3tables:{objectstore.REGION}:{account}:bucket/{name}"
    namespace, table = [VICTIM_TABLE[0]], VICTIM_TABLE[1]
    attempts = [
        ("GetTableBucket", {"tableBucketARN": arn}),
        ("ListNamespaces", {"tableBucketARN": arn}),
        ("ListTables", {"tableBucketARN": arn, "namespace": namespace}),
        ("GetTable", {"tableBucketARN": arn, "namespace": namespace, "name": table}),
        ("CreateNamespace", {"tableBucketARN": arn, "namespace": ["planted"]}),
        ("DeleteTable", {"tableBucketARN": arn, "namespace": namespace, "name": table}),
        ("DeleteNamespace", {"tableBucketARN": arn, "namespace": namespace}),
        ("DeleteTableBucket", {"tableBucketARN": arn}),
        (
            "PutTableBucketPolicy",
            {
                "tableBucketARN": arn,
                "resourcePolicy": json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": "*",
                                "Action": "s3tables:*",
                                "Resource": "*",
                            }
                        ],
                    }
                ),
            },
        ),
    ]
    for key in (None, store.key(ATTACKER)):
        for operation, request in attempts:
            status, content = _table_api(store, key, operation, request)
            assert status in (403, 404), (key and key[0], operation, status, content[:300])
            assert b"victim revenue" not in content
    status, content = _table_api(store, store.key(ATTACKER), "ListTableBuckets", {})
    listed = [bucket["name"] for bucket in json.loads(content)["tableBuckets"]]
    assert status == 200 and listed == [objectstore.table_bucket(ATTACKER)], content
    status, content = _table_api(
        store, store.key(VICTIM), "ListTables", {"tableBucketARN": arn, "namespace": namespace}
    )
    assert status == 200 and table.encode() in content, content  # the victim's own key


def _iceberg(
    store: Store, method: str, path: str, token: str | None = None, body: dict | None = None
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    answer = _http(store.state.iceberg_port, method, path, data, headers)
    assert answer is not None
    return answer


def _token(store: Store, key_id: str, secret: str) -> tuple[int, str | None]:
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": key_id,
            "client_secret": secret,
            "scope": "PRINCIPAL_ROLE:ALL",
        }
    )
    answer = _http(
        store.state.iceberg_port,
        "POST",
        "/v1/oauth/tokens",
        form.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer is not None
    status, content = answer
    return status, json.loads(content).get("access_token") if status == 200 else None


def test_the_iceberg_catalog_refuses_no_key_and_another_tenants_key(
    store: Store, unchanged: None
) -> None:
    prefix = f"/v1/{objectstore.table_bucket(VICTIM)}"
    schema = {
        "type": "struct",
        "schema-id": 0,
        "fields": [{"id": 1, "name": "x", "required": False, "type": "long"}],
    }
    namespace, table = VICTIM_TABLE
    attempts = [
        ("GET", f"{prefix}/namespaces", None),
        ("GET", f"{prefix}/namespaces/{namespace}", None),
        ("GET", f"{prefix}/namespaces/{namespace}/tables", None),
        ("GET", f"{prefix}/namespaces/{namespace}/tables/{table}", None),
        ("POST", f"{prefix}/namespaces", {"namespace": ["planted"]}),
        ("POST", f"{prefix}/namespaces/{namespace}/tables", {"name": "planted", "schema": schema}),
        (
            "POST",
            f"{prefix}/namespaces/{namespace}/tables/{table}",
            {
                "identifier": {"namespace": [namespace], "name": table},
                "requirements": [],
                "updates": [{"action": "set-properties", "updates": {"owner": ATTACKER}}],
            },
        ),
        ("DELETE", f"{prefix}/namespaces/{namespace}/tables/{table}?purgeRequested=true", None),
        ("DELETE", f"{prefix}/namespaces/{namespace}", None),
    ]
    attacker_id, attacker_secret = store.key(ATTACKER)
    victim_id, victim_secret = store.key(VICTIM)
    # a token for the victim's key id needs the victim's secret
    assert _token(store, victim_id, attacker_secret)[0] == 401
    _, attacker_token = _token(store, attacker_id, attacker_secret)
    assert attacker_token
    for token in (None, "forged", attacker_token):
        for method, path, body in attempts:
            status, content = _iceberg(store, method, path, token, body)
            assert status in (401, 403, 404), (
                token == attacker_token,
                method,
                path,
                status,
                content[:300],
            )
            assert b"metadata-location" not in content
    # the victim's own token sees its table, still there
    _, victim_token = _token(store, victim_id, victim_secret)
    status, content = _iceberg(
        store, "GET", f"{prefix}/namespaces/{namespace}/tables", victim_token
    )
    assert status == 200
    assert json.loads(content)["identifiers"] == [{"namespace": [namespace], "name": table}]
    status, content = _iceberg(store, "GET", f"{prefix}/namespaces", victim_token)
    assert json.loads(content)["namespaces"] == [[namespace]]


# -- accounts, files, command lines ------------------------------------------------------


def _tenant(tenant_id: str) -> Tenant:
    return Tenant(
        tenant_id,
        f"Tenant {tenant_id}",
        TpchSource("generated", 0.01),
        Schedule("0 3 * * *", "UTC"),
    )


def _values(tenants: list[Tenant]) -> dict[str, str]:
    values = {objectstore.ADMIN_KEY_ENV: "admin-id", objectstore.ADMIN_SECRET_ENV: "x"}
    for tenant in tenants:
        values.update(dict.fromkeys(objectstore.credential_env(tenant.id), "k"))
    return values


@pytest.mark.parametrize("builtin", sorted(objectstore.SEAWEEDFS_BUILTIN_ACCOUNTS))
def test_a_tenant_named_like_a_builtin_account_never_is_that_account(
    builtin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the registry refuses the name outright (duckhouse.tenants reserves it); were it not,
    # the account would still be namespaced
    try:
        config = objectstore.identities([_tenant(builtin)], _values([_tenant(builtin)]))
    except RegistryError:
        pass
    else:
        assert config["identities"][1]["account"]["id"] == f"duckhouse-tenant-{builtin}"
    # and were it let through (an older or looser check), the account is still namespaced
    monkeypatch.setattr(objectstore, "validate_tenant_id", lambda tenant_id: tenant_id)
    tenants = [_tenant(builtin), _tenant(builtin + "1")]
    config = objectstore.identities(tenants, _values(tenants))["identities"]
    for identity, tenant in zip(config[1:], tenants, strict=True):
        assert identity["account"]["id"] == identity["name"] == f"duckhouse-tenant-{tenant.id}"
    for identity in config:
        assert identity["name"] not in objectstore.SEAWEEDFS_BUILTIN_ACCOUNTS
        assert identity.get("account", {}).get("id") not in objectstore.SEAWEEDFS_BUILTIN_ACCOUNTS
    # and the code itself refuses to hand out a built-in account, whatever the prefix
    monkeypatch.setattr(objectstore, "TENANT_ACCOUNT_PREFIX", "")
    with pytest.raises(objectstore.ObjectStoreError, match="built-in"):
        objectstore.tenant_account(builtin)
    with pytest.raises(objectstore.ObjectStoreError, match="built-in"):
        objectstore.identities([_tenant(builtin)], _values([_tenant(builtin)]))


def test_the_running_servers_accounts_are_namespaced(store: Store) -> None:
    config = json.loads((store.directory / "identities.json").read_text())["identities"]
    names = {identity["name"] for identity in config}
    assert names == {objectstore.ADMIN_IDENTITY, "duckhouse-tenant-sec_a", "duckhouse-tenant-sec_b"}
    for identity in config:
        assert identity["name"] not in objectstore.SEAWEEDFS_BUILTIN_ACCOUNTS
        if identity["name"] != objectstore.ADMIN_IDENTITY:
            assert identity["account"]["id"] == identity["name"]
    for tenant_id in (ATTACKER, VICTIM):
        name = objectstore.table_bucket(tenant_id)
        account = objectstore.tenant_account(tenant_id)
        found = objectstore._shell(
            store.state, [f"s3tables.bucket -get -name {name} -account {account}"]
        )
        assert f"OwnerAccountID: duckhouse-tenant-{tenant_id}\n" in found, found


def test_everything_in_the_server_dir_is_private(store: Store) -> None:
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    seen = 0
    for folder, dirs, files in os.walk(store.directory):
        for name in dirs:
            mode = stat.S_IMODE((Path(folder) / name).lstat().st_mode)
            assert mode == 0o700, (folder, name, oct(mode))
        for name in files:
            mode = stat.S_IMODE((Path(folder) / name).lstat().st_mode)
            seen += 1
            if name.endswith(".vif"):
                # SeaweedFS sets its volume-info files (no data, no key) to 0644 itself,
                # whatever the umask: only the 0700 folders above keep them private
                assert mode & 0o7133 == 0, (folder, name, oct(mode))
                continue
            assert mode & 0o077 == 0, (folder, name, oct(mode))
    for name in (
        "server.json",
        "credentials.env",
        "identities.json",
        "security.toml",
        "weed.log",
        "layout",
        "tls/node.key",
        "tls/node.crt",
        "tls/ca.crt",
    ):
        assert stat.S_IMODE((store.directory / name).stat().st_mode) == 0o600, name
    assert not (store.directory / "tls" / "ca.key").exists()  # no other certificate can be made
    assert seen > 20  # the data folder was walked


def _secrets(store: Store) -> list[str]:
    found = []
    for line in (store.directory / "credentials.env").read_text().splitlines():
        found.append(line.partition("=")[2])
    found += re.findall(
        r'^key = "([0-9a-f]+)"$', (store.directory / "security.toml").read_text(), re.MULTILINE
    )
    for name in (".mini_kek_passphrase", ".mini_sse_kek"):  # mini's own (SSE-S3)
        found.append((store.directory / "data" / name).read_text().strip())
    key = (store.directory / "tls" / "node.key").read_text()
    found += [line for line in key.splitlines() if len(line) >= 16 and "-----" not in line]
    assert len(found) >= 6 + 4 + 2 + 1 and all(len(secret) >= 16 for secret in found), found
    return [*found, DECOY]


def test_no_secret_is_on_the_weed_command_line_or_in_its_environment(store: Store) -> None:
    members = _process_group(store.pid)
    assert store.pid in members
    listed = subprocess.run(
        ["ps", "-ww", "-o", "args=", "-p", ",".join(map(str, members))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "weed" in listed and " mini " in listed, listed
    for member in members:
        arguments = (Path("/proc") / str(member) / "cmdline").read_bytes().decode()
        environment = (Path("/proc") / str(member) / "environ").read_bytes().decode()
        for secret in _secrets(store):
            assert secret not in listed and secret not in arguments, "a secret in ps"
            assert secret not in environment, "a secret in the server's environment"
        assert "DUCKHOUSE_S3_SECRET" not in environment


def test_a_store_of_the_older_layout_is_reset_and_a_current_one_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before accounts were namespaced a table bucket could be owned by `anonymous`; such
    a store is not served again (SeaweedFS cannot change a table bucket's owner)."""
    older = tmp_path / "older"
    (older / "data" / "filerldb2").mkdir(parents=True)
    (older / "data" / "filerldb2" / "000001.log").write_text("a catalog owned by anonymous")
    objectstore._reset_older_layout(older)
    assert not (older / "data").exists()
    assert (older / "layout").read_text() == objectstore.LAYOUT + "\n"
    assert "has been reset" in capsys.readouterr().err
    current = tmp_path / "current"
    (current / "data").mkdir(parents=True)
    (current / "data" / "kept").write_text("published")
    (current / "layout").write_text(objectstore.LAYOUT + "\n")
    objectstore._reset_older_layout(current)
    assert (current / "data" / "kept").read_text() == "published"
    assert capsys.readouterr().err == ""
