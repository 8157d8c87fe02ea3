"""Shared fixtures: real tenants, landed and built once per test session.

Two tiny tenants are registered in a temporary registry with their own data dir and
profiles, landed with the real TPC-H generator and built with the real `dbt build`
through the duckhouse CLI -- exactly what `duckhouse build` does for a user.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]

CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download fails here
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("DUCKHOUSE_ARTIFACTS_DIR")
    or Path(tempfile.gettempdir()) / f"duckhouse-screenshots-{os.getuid()}"
)
"""Where the browser tests leave their screenshots: $DUCKHOUSE_ARTIFACTS_DIR (CI keeps it),
else a folder in /tmp -- never the checkout."""
TRACKED_FILES = ("profiles/profiles.yml", "tenants.yml")
"""Tracked files that a test could rewrite through a default path: checked unchanged at the
end of the session (checkout_untouched)."""
PATH_VARIABLES = ("DUCKHOUSE_DATA_DIR", "DUCKHOUSE_REGISTRY", "DBT_PROFILES_DIR",
                  "DUCKHOUSE_TARGET_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH")  # fmt: skip
"""Every variable that says where duckhouse or dbt reads and writes; the defaults are
folders of the checkout."""

# Two tenants whose numbers differ: tpch_answers() has official answers for sf 0.01.
TENANTS = {"tiny_a": 0.01, "tiny_b": 0.02}


@dataclass(frozen=True)
class Lakehouse:
    data_dir: Path
    registry: Path
    profiles_dir: Path
    env: dict[str, str]

    def warehouse(self, tenant_id: str) -> Path:
        return self.data_dir / tenant_id / f"{tenant_id}.duckdb"

    def landing(self, tenant_id: str) -> Path:
        return self.data_dir / tenant_id / "landing"

    def target(self, target: str) -> Path:
        """A dbt target's artifacts folder (manifest, run results), outside the checkout."""
        return Path(self.env["DUCKHOUSE_TARGET_DIR"]) / target

    def connect(self, tenant_id: str) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse(tenant_id)), read_only=True)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return run_cli(self.env, *args, check=check)


def run_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`duckhouse <args>` as a user types it, in `env`; fails the test on a non-zero exit
    when `check`, with what the command printed."""
    result = subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", *args],
        cwd=PROJECT_DIR,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"duckhouse {' '.join(args)} exited {result.returncode}\n"
            f"{result.stdout[-6000:]}\n{result.stderr}"
        )
    return result


def tree_digest(*roots: Path) -> dict[str, tuple]:
    """Every entry under the roots, never following a link nor opening anything but a
    regular file: (mode, mtime, size, sha256 of the bytes or the link's target)."""
    digest = {}
    for root in roots:
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in [*dirs, *files]:
                path = Path(folder) / name
                info = path.lstat()
                if stat.S_ISREG(info.st_mode):
                    content = hashlib.sha256(path.read_bytes()).hexdigest()
                elif stat.S_ISLNK(info.st_mode):
                    content = os.readlink(path)
                else:
                    content = None
                digest[str(path)] = (info.st_mode, info.st_mtime_ns, info.st_size, content)
    return digest


def write_registry(path: Path, tenants: dict[str, float]) -> None:
    lines = ["tenants:"]
    for tenant_id, scale_factor in tenants.items():
        lines += [
            f"  - id: {tenant_id}",
            f"    display_name: Test tenant {tenant_id}",
            "    sources:",
            "      tpch:",
            "        mode: generated",
            f"        scale_factor: {scale_factor}",
            "      ksqldb: {mode: generated}",
            "      shop: {mode: generated}",
            "    schedule:",
            '      cron: "0 3 * * *"',
            "      timezone: UTC",
        ]
    path.write_text("\n".join(lines) + "\n")


_SHARED_LINT_ARTIFACTS: list[Path] = []
"""The session's folder of the lint target's artifacts (checkout_untouched sets it)."""


def _share_lint_artifacts(target_dir: Path) -> None:
    """Link the session's lint artifacts into a lakehouse's target folder. The lint target's
    manifest is the project's, the same for every lakehouse (`list` and `build` read the
    public views from it): parsed once a session, not once per lakehouse."""
    link = target_dir / "lint"
    if _SHARED_LINT_ARTIFACTS and not (link.exists() or link.is_symlink()):
        target_dir.mkdir(parents=True, exist_ok=True)
        link.symlink_to(_SHARED_LINT_ARTIFACTS[0], target_is_directory=True)


def make_env(root: Path, registry: Path) -> dict[str, str]:
    """The environment of a lakehouse under `root`: its data, registry, profiles and dbt's
    artifacts and logs all there, none in the checkout."""
    _share_lint_artifacts(root / "target")
    env = dict(os.environ)
    env.update(
        DUCKHOUSE_DATA_DIR=str(root / "data"),
        DUCKHOUSE_REGISTRY=str(registry),
        DBT_PROFILES_DIR=str(root / "profiles"),
        DUCKHOUSE_TARGET_DIR=str(root / "target"),
        # a plain `dbt` command of a test (without --target-path) writes there too
        DBT_TARGET_PATH=str(root / "target"),
        DBT_LOG_PATH=str(root / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def use_env(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Point in-process duckhouse code (Dagster definitions, readers) at `env`'s folders."""
    for name, value in env.items():
        if name.startswith(("DUCKHOUSE_", "DBT_")):
            monkeypatch.setenv(name, value)


def tracked_digest() -> dict[str, str | None]:
    """sha256 of each of TRACKED_FILES (None if absent)."""
    return {
        name: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        for name, path in ((name, PROJECT_DIR / name) for name in TRACKED_FILES)
    }


@pytest.fixture(scope="session", autouse=True)
def checkout_untouched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test writes into the checkout. For the session every path variable points into
    a temporary folder -- a copy of the tracked registry and profiles, an empty data dir,
    dbt's artifacts and logs -- so code that falls back on a default still writes nothing
    there; and the run fails if a tracked registry or profiles file changed anyway."""
    before = tracked_digest()
    root = tmp_path_factory.mktemp("session")
    _SHARED_LINT_ARTIFACTS.append(tmp_path_factory.mktemp("lint_artifacts"))
    (root / "profiles").mkdir()
    shutil.copy(PROJECT_DIR / "profiles" / "profiles.yml", root / "profiles" / "profiles.yml")
    shutil.copy(PROJECT_DIR / "tenants.yml", root / "tenants.yml")
    defaults = make_env(root, root / "tenants.yml")
    with pytest.MonkeyPatch.context() as patch:
        for name in PATH_VARIABLES:
            patch.setenv(name, defaults[name])
        yield
    changed = [name for name, digest in tracked_digest().items() if digest != before[name]]
    if changed:
        pytest.fail(f"the tests changed tracked files of the checkout: {', '.join(changed)}")


@pytest.fixture(scope="session")
def lakehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lakehouse]:
    root = tmp_path_factory.mktemp("duckhouse")
    registry = root / "tenants.yml"
    write_registry(registry, TENANTS)
    house = Lakehouse(
        data_dir=root / "data",
        registry=registry,
        profiles_dir=root / "profiles",
        env=make_env(root, registry),
    )
    house.cli("build")
    yield house


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, what: str, timeout: float) -> None:
    """Wait until `server` listens on 127.0.0.1:`port`; fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert server.poll() is None, f"{what} exited with {server.returncode}"
        time.sleep(0.3)
    pytest.fail(f"{what} did not listen on port {port} within {timeout:.0f} s")


@contextmanager
def serving(
    command: list[str],
    port: int,
    what: str,
    env: dict[str, str],
    timeout: float = 60,
    log: object = subprocess.DEVNULL,
) -> Iterator[str]:
    """Start a server in its own session, yield its URL once it listens on 127.0.0.1:`port`,
    and stop it with everything it spawned; its output goes to `log`."""
    server = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, server, what, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(server)


def stop_server(server: subprocess.Popen, grace: float = 20) -> None:
    """Stop a server started in its own session, with everything it spawned."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    except ProcessLookupError:
        pass


def table_rows(warehouse: Path, tables_sql: str, skip_column) -> dict[str, list[tuple]]:
    """The tables of a warehouse that `tables_sql` (a filter on information_schema.tables)
    picks, each as its rows in order, without the columns `skip_column(name)` rejects
    (lineage columns that differ between two builds of the same data)."""
    from duckhouse.sqltext import sql_identifier

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_type = 'BASE TABLE' and ({tables_sql})"
        ).fetchall()
        rows = {}
        for schema, table in tables:
            columns = [
                column
                for (column,) in connection.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if not skip_column(column)
            ]
            selected = ", ".join(sql_identifier(column) for column in columns)
            rows[f"{schema}.{table}"] = connection.execute(
                f"select {selected} from {sql_identifier(schema)}.{sql_identifier(table)} "
                "order by all"
            ).fetchall()
    return rows
