"""The tenant registry (tenants.yml): load, validate, look up.

The registry is the single source of truth for tenants. Anything that is wrong in it
fails loudly with the tenant and the field named, before any data is touched.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from duckhouse.project import project_var

TENANT_ID_PATTERN = re.compile(project_var("tenant_id_pattern"))
TPCH_MODES = ("generated", "postgres")
LANDING_MODES = ("generated", "delivered")
"""Who writes a file source's landing zone: duckhouse itself (`generated`, the demo,
deterministic from the seed) or someone else (`delivered`: duckhouse only reads it).
Every tenant's registry entry names it for each file source (no default: a zone is never
written because a field was left out); `duckhouse create` writes `delivered` unless asked
for demo data."""
PG_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")
IPV6_ADDRESS = re.compile(r"[0-9A-Fa-f:]{2,39}")
# Scale factors for which DuckDB ships the official TPC-H answers are 0.01, 0.1 and 1;
# any positive value works for building.
MAX_SCALE_FACTOR = 100.0


class RegistryError(ValueError):
    """The tenant registry, or a tenant id given to duckhouse, is invalid."""


LINT_TARGET = "lint"
TRINO_SUFFIX = "_trino"
# the databases the project attaches beside a tenant's warehouse (which is attached under
# the tenant's id): a tenant of one of these names would collide with it
LAKE_ALIAS = "lake"  # the tenant's Iceberg catalog (duckhouse.services.publish)
STAGED_ALIAS = "staged"  # the copy a publish writes before it is swapped in
PG_ALIAS = "tpch_pg"  # the attached PostgreSQL database, in a postgres tenant's target
SOURCE_ALIAS = "src"  # PostgreSQL attached to read or seed a source (ingest, simulate)
RESERVED_TENANT_IDS: dict[str, str] = {
    LINT_TARGET: "the in-memory dbt target sqlfluff compiles with",
    "duckhouse": "the dbt profile's and the Parquet bucket's name",
    "postgres": "the local PostgreSQL servers' name and superuser",
    "dagster": "Dagster's own name (its instance, $DAGSTER_HOME)",
    "anonymous": "the object store's account for requests without a key",
    "admin": "the object store's administrator account",
    "main": "a DuckDB catalog name",
    "memory": "a DuckDB catalog name",
    "system": "a DuckDB catalog name",
    "temp": "a DuckDB catalog name",
    "information_schema": "a catalog schema name",
    "pg_catalog": "a catalog schema name",
    "screenshots": "the test artifacts' folder in target/, next to the tenants' own",
    **dict.fromkeys(
        (LAKE_ALIAS, STAGED_ALIAS, PG_ALIAS, SOURCE_ALIAS),
        "the name of a database the project attaches beside a tenant's warehouse",
    ),
    **dict.fromkeys(
        (
            "bronze",
            "silver",
            "finance",
            "marketing",
            "reference",
            "snapshots",
            "tpch_reports",
            "duckhouse_meta",
        ),
        "a schema of every warehouse (a catalog of that name is ambiguous)",
    ),
}
"""Names the project itself uses where a tenant id also goes: dbt target names, the
object store's accounts, the database engines' catalogs. (The project's own folders under
the data dir -- `_archive`, `_dagster`, `_locks`, `_postgres`, `_s3` -- start with an
underscore, which no tenant id can.)"""
RESERVED_TENANT_PREFIXES: dict[str, str] = {
    "gold_": "the warehouses' gold schemas (gold_finance, gold_sales, ...)",
    "landing_": "the warehouses' landing schemas (landing_tpch, ...)",
}
RESERVED_TENANT_SUFFIXES: dict[str, str] = {
    TRINO_SUFFIX: "the suffix of a tenant's Trino target (`<tenant>_trino`)",
    "_s3alias": "S3 reserves bucket names ending in -s3alias",
}


def validate_tenant_id(tenant_id: object) -> str:
    """Return `tenant_id` if it is a plain identifier that is the tenant's alone (not one of
    the project's own names), raise RegistryError otherwise. Every way an id enters
    duckhouse (the CLI, the registry, the environment, paths) goes through here."""
    if not isinstance(tenant_id, str) or not TENANT_ID_PATTERN.fullmatch(tenant_id):
        raise RegistryError(
            f"invalid tenant id {tenant_id!r}: use 1-40 lowercase letters, digits or "
            "underscores, starting with a letter"
        )
    if tenant_id.endswith("_") or "__" in tenant_id:
        # the id is also an S3 bucket name (`_` becomes `-`): it may not end in a hyphen,
        # and a doubled one is where S3 puts its own suffixes (--x-s3, --ol-s3)
        raise RegistryError(
            f"invalid tenant id {tenant_id!r}: it may not end in an underscore or hold two "
            "in a row (the id is part of the tenant's object-store bucket name)"
        )
    if tenant_id in RESERVED_TENANT_IDS:
        raise RegistryError(
            f"tenant id {tenant_id!r} is reserved: it is {RESERVED_TENANT_IDS[tenant_id]}"
        )
    for prefix, reason in RESERVED_TENANT_PREFIXES.items():
        if tenant_id.startswith(prefix):
            raise RegistryError(
                f"tenant id {tenant_id!r} is reserved: it starts with {prefix!r}, {reason}"
            )
    for suffix, reason in RESERVED_TENANT_SUFFIXES.items():
        if tenant_id.endswith(suffix):
            raise RegistryError(
                f"tenant id {tenant_id!r} is reserved: it ends in {suffix!r}, {reason}"
            )
    return tenant_id


@dataclass(frozen=True)
class PostgresConnection:
    """Where a tenant's TPC-H lives in PostgreSQL. The password is never in the registry:
    only the name of the environment variable that holds it."""

    host: str
    port: int
    database: str
    user: str
    password_env: str


@dataclass(frozen=True)
class TpchSource:
    mode: str
    scale_factor: float
    postgres: PostgresConnection | None = None


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str


KSQLDB_STREAMS = (
    "transaction_stream",
    "transaction_flattened",
    "transaction_stream_anonymized",
    "transaction_stream_blacklisted",
)
KSQLDB_TABLES = (
    "user_transaction_summary",
    "user_transaction_summary_eur",
    "payment_method_totals",
    "product_purchase_counts",
)
KSQLDB_FEEDS = KSQLDB_STREAMS + KSQLDB_TABLES


@dataclass(frozen=True)
class KsqldbSource:
    """The streaming system's export lake. Its files land in the tenant's landing zone
    (`landing/ksqldb`). `mode` says who writes them: `delivered` (the exporter; duckhouse
    only reads) or `generated` (the demo, from `seed`, deterministically)."""

    mode: str = "delivered"
    seed: int = 1
    start_date: str = "2026-01-01"
    days: int = 30
    events_per_day: int = 200
    files_per_day: int = 4
    feeds: tuple[str, ...] = KSQLDB_FEEDS


@dataclass(frozen=True)
class ShopSource:
    """The e-commerce shop's CSV extracts (customers, products, orders). They land in the
    tenant's landing zone (`landing/shop`). `mode` says who writes them: `delivered` (the
    shop's extract job; duckhouse only reads) or `generated` (the demo, from `seed`)."""

    mode: str = "delivered"
    seed: int = 1
    customers: int = 200
    products: int = 40
    orders: int = 1000
    start_date: str = "2025-01-01"
    days: int = 365
    # the plausible window of the extracts' dates: from valid_from to the build's day plus
    # future_days; a date outside it is quarantined (rule <column>_plausible)
    valid_from: str = "2000-01-01"
    future_days: int = 1


@dataclass(frozen=True)
class Tenant:
    id: str
    display_name: str
    tpch: TpchSource
    schedule: Schedule
    ksqldb: KsqldbSource = KsqldbSource()
    shop: ShopSource = ShopSource()


def _require(mapping: object, key: str, where: str) -> object:
    if not isinstance(mapping, dict) or key not in mapping:
        raise RegistryError(f"{where}: missing required field '{key}'")
    return mapping[key]


def pg_password_env(tenant_id: str) -> str:
    """The environment variable that holds a tenant's PostgreSQL password."""
    return f"DUCKHOUSE_PG_{tenant_id.upper()}_PASSWORD"


def _parse_postgres(tpch_raw: dict, tenant_id: str, where: str) -> PostgresConnection:
    where = f"{where} sources.tpch.postgres"
    raw = _require(tpch_raw, "postgres", where.rsplit(".", 1)[0])
    if "password" in raw:
        raise RegistryError(
            f"{where}: never put a password in the registry; name the environment "
            "variable that holds it in 'password_env'"
        )
    host = str(_require(raw, "host", where))
    port = _require(raw, "port", where)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise RegistryError(f"{where}: port must be an integer in 1..65535, got {port!r}")
    names = {}
    for field in ("database", "user"):
        value = _require(raw, field, where)
        if not isinstance(value, str) or not PG_IDENTIFIER.fullmatch(value):
            raise RegistryError(
                f"{where}: {field} must be a plain lowercase identifier, got {value!r}"
            )
        if field == "user" and value.startswith("pg_"):
            raise RegistryError(f"{where}: user {value!r}: role names pg_* are reserved")
        names[field] = value
    password_env = _require(raw, "password_env", where)
    expected = pg_password_env(tenant_id)
    if password_env != expected:
        # the variable is the tenant's own: naming another tenant's (or any secret in the
        # scheduler's environment) would send that secret to the host named here
        raise RegistryError(
            f"{where}: password_env must be {expected} (the tenant's own variable), "
            f"got {password_env!r}"
        )
    if not HOST_NAME.fullmatch(host) and not IPV6_ADDRESS.fullmatch(host):
        # it is rendered into the dbt profile, where `{{ }}` would be Jinja
        raise RegistryError(
            f"{where}: host {host!r} is not a host name or address (letters, digits, dots "
            "and hyphens, or an IPv6 address)"
        )
    return PostgresConnection(host, port, names["database"], names["user"], password_env)


def _positive_int(raw: dict, key: str, default: int, where: str, maximum: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        raise RegistryError(f"{where}.{key} must be an integer in 1..{maximum}, got {value!r}")
    return value


def _landing_mode(raw: dict, where: str) -> str:
    if "mode" not in raw:
        raise RegistryError(
            f"{where}: missing required field 'mode': say who writes this landing zone, "
            f"one of {LANDING_MODES} (generated: duckhouse's demo data; delivered: an "
            "outside system writes it and duckhouse only reads it)"
        )
    mode = raw["mode"]
    if mode not in LANDING_MODES:
        raise RegistryError(f"{where}.mode must be one of {LANDING_MODES}, got {mode!r}")
    return str(mode)


def _parse_ksqldb(sources: dict, tenant_id: str, where: str) -> KsqldbSource:
    where = f"{where} sources.ksqldb"
    raw = sources.get("ksqldb") or {}
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: expected a mapping")
    unknown = set(raw) - {
        "mode", "seed", "start_date", "days", "events_per_day", "files_per_day", "feeds",
    }  # fmt: skip
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {sorted(unknown)}")
    # the default seed differs per tenant, so that two tenants' lakes differ
    seed = raw.get("seed", zlib.crc32(tenant_id.encode()) % 1_000_000)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise RegistryError(f"{where}.seed must be a non-negative integer, got {seed!r}")
    start = str(raw.get("start_date", KsqldbSource.start_date))
    try:
        date.fromisoformat(start)
    except ValueError as exc:
        raise RegistryError(f"{where}.start_date must be YYYY-MM-DD, got {start!r}") from exc
    feeds = raw.get("feeds", list(KSQLDB_FEEDS))
    if not isinstance(feeds, list) or not set(feeds) <= set(KSQLDB_FEEDS) or not feeds:
        raise RegistryError(f"{where}.feeds must be a list of feeds among {KSQLDB_FEEDS}")
    return KsqldbSource(
        mode=_landing_mode(raw, where),
        seed=seed,
        start_date=start,
        days=_positive_int(raw, "days", KsqldbSource.days, where, 3660),
        events_per_day=_positive_int(
            raw, "events_per_day", KsqldbSource.events_per_day, where, 10_000_000
        ),
        files_per_day=_positive_int(raw, "files_per_day", KsqldbSource.files_per_day, where, 96),
        feeds=tuple(feed for feed in KSQLDB_FEEDS if feed in feeds),
    )


def _parse_shop(sources: dict, tenant_id: str, where: str) -> ShopSource:
    where = f"{where} sources.shop"
    raw = sources.get("shop") or {}
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: expected a mapping")
    unknown = set(raw) - {
        "mode", "seed", "customers", "products", "orders", "start_date", "days", "valid_from",
        "future_days",
    }  # fmt: skip
    if unknown:
        raise RegistryError(f"{where}: unknown field(s) {sorted(unknown)}")
    seed = raw.get("seed", zlib.crc32(f"shop/{tenant_id}".encode()) % 1_000_000)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise RegistryError(f"{where}.seed must be a non-negative integer, got {seed!r}")
    start = str(raw.get("start_date", ShopSource.start_date))
    try:
        date.fromisoformat(start)
    except ValueError as exc:
        raise RegistryError(f"{where}.start_date must be YYYY-MM-DD, got {start!r}") from exc
    return ShopSource(
        mode=_landing_mode(raw, where),
        seed=seed,
        customers=_positive_int(raw, "customers", ShopSource.customers, where, 100_000_000),
        products=_positive_int(raw, "products", ShopSource.products, where, 10_000_000),
        orders=_positive_int(raw, "orders", ShopSource.orders, where, 1_000_000_000),
        start_date=start,
        days=_positive_int(raw, "days", ShopSource.days, where, 3660),
        valid_from=_iso_date(raw, "valid_from", ShopSource.valid_from, where),
        future_days=_positive_int(raw, "future_days", ShopSource.future_days, where, 3660),
    )


def _iso_date(raw: dict, key: str, default: str, where: str) -> str:
    value = str(raw.get(key, default))
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise RegistryError(f"{where}.{key} must be YYYY-MM-DD, got {value!r}") from exc
    return value


_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_CRON_FIELDS = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {name: number for number, name in enumerate(_MONTHS, start=1)}),
    ("day of week", 0, 7, {name: number for number, name in enumerate(_WEEKDAYS)}),
)
_CRON_ITEM = re.compile(r"(\*|(\w+)(?:-(\w+))?)(?:/(\d+))?")


def check_cron(cron: str) -> str | None:
    """Why `cron` is not a five-field cron expression Dagster runs, or None if it is.

    Checked here, where a tenant's registry entry is read, so that one bad schedule is an
    error naming its tenant instead of a code location that fails to load for everyone.
    The grammar is the common one (numbers, names, `*`, ranges, steps, lists)."""
    fields = cron.split()
    if len(fields) != 5:
        return (
            f"a cron expression has five fields (minute hour day month weekday), not {len(fields)}"
        )
    expanded = []
    for text, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        values: set[int] = set()
        for item in text.lower().split(","):
            match = _CRON_ITEM.fullmatch(item)
            if not match:
                return f"{name} field {text!r}: {item!r} is not a number, range, step or *"
            star, first, last, step = match.groups()
            try:
                start = low if star == "*" else names.get(first, None)
                start = int(first) if start is None else start
                end = high if star == "*" else names.get(last, None) if last else start
                end = int(last) if end is None else end
            except ValueError:
                return f"{name} field {text!r}: {item!r} is not a number or a name"
            if not low <= start <= end <= high:
                return f"{name} field {text!r}: {item!r} is outside {low}-{high} (or reversed)"
            if step is not None and int(step) == 0:
                return f"{name} field {text!r}: a step of 0"
            values.update(range(start, end + 1, int(step or 1)))
        expanded.append(values)
    if expanded[3] == {2} and expanded[2] <= {30, 31}:
        return "February has no 30th or 31st: it would never run"
    return None


def parse_tenant_entry(raw: object, where: str) -> Tenant:
    """Validate one tenant's registry entry (a mapping) as load_registry does; errors name
    `where` (e.g. the command that made the entry)."""
    return _parse_tenant(raw, 0, where)


def _parse_tenant(raw: object, index: int, registry: Path | str) -> Tenant:
    where = f"{registry}: tenant #{index + 1}"
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: expected a mapping with an 'id'")
    try:
        tenant_id = validate_tenant_id(_require(raw, "id", where))
    except RegistryError as exc:
        message = str(exc)  # a missing id already names `where`; a bad one does not
        if not message.startswith(where):
            message = f"{where}: {message}"
        raise RegistryError(message) from exc
    where = f"{registry}: tenant '{tenant_id}'"
    display_name = _require(raw, "display_name", where)
    if (
        not isinstance(display_name, str)
        or not display_name.strip()
        or len(display_name) > 100
        or not display_name.isprintable()
    ):
        # shown in terminals, the dashboard and Dagster: no control characters
        raise RegistryError(
            f"{where}: display_name must be 1-100 printable characters, got {display_name!r}"
        )
    sources = _require(raw, "sources", where)
    tpch_raw = _require(sources, "tpch", f"{where} sources")
    mode = _require(tpch_raw, "mode", f"{where} sources.tpch")
    if mode not in TPCH_MODES:
        raise RegistryError(f"{where}: sources.tpch.mode must be one of {TPCH_MODES}, got {mode!r}")
    scale_factor = _require(tpch_raw, "scale_factor", f"{where} sources.tpch")
    if (
        isinstance(scale_factor, bool)
        or not isinstance(scale_factor, int | float)
        or not 0 < scale_factor <= MAX_SCALE_FACTOR
    ):
        raise RegistryError(
            f"{where}: sources.tpch.scale_factor must be a number in (0, {MAX_SCALE_FACTOR}], "
            f"got {scale_factor!r}"
        )
    postgres = _parse_postgres(tpch_raw, tenant_id, where) if mode == "postgres" else None
    schedule_raw = _require(raw, "schedule", where)
    schedule = Schedule(
        cron=str(_require(schedule_raw, "cron", f"{where} schedule")),
        timezone=str(_require(schedule_raw, "timezone", f"{where} schedule")),
    )
    cron_problem = check_cron(schedule.cron)
    if cron_problem:
        raise RegistryError(f"{where}: schedule.cron {schedule.cron!r}: {cron_problem}")
    try:
        ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RegistryError(
            f"{where}: schedule.timezone {schedule.timezone!r} is not an IANA time zone "
            "(e.g. UTC, Europe/Berlin)"
        ) from exc
    return Tenant(
        id=tenant_id,
        display_name=display_name,
        tpch=TpchSource(mode=str(mode), scale_factor=float(scale_factor), postgres=postgres),
        schedule=schedule,
        ksqldb=_parse_ksqldb(sources, tenant_id, where),
        shop=_parse_shop(sources, tenant_id, where),
    )


def load_registry(path: Path) -> list[Tenant]:
    """Load and validate every tenant in the registry file at `path`."""
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise RegistryError(f"tenant registry not found: {path}") from exc
    return parse_registry(text, path)


def parse_registry(text: str, path: Path) -> list[Tenant]:
    """Validate registry text (errors name `path`, where it is or will be written)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RegistryError(f"{path}: not valid YAML: {exc}") from exc
    raw_tenants = _require(document, "tenants", str(path))
    if not isinstance(raw_tenants, list):
        raise RegistryError(f"{path}: 'tenants' must be a list")
    tenants = [_parse_tenant(raw, i, path) for i, raw in enumerate(raw_tenants)]
    seen: set[str] = set()
    sources: dict[tuple, str] = {}
    for tenant in tenants:
        if tenant.id in seen:
            raise RegistryError(f"{path}: tenant '{tenant.id}' is declared twice")
        seen.add(tenant.id)
        pg = tenant.tpch.postgres
        if pg is None:
            continue
        for what, key in (("database", (pg.host, pg.port, "db", pg.database)),
                          ("user", (pg.host, pg.port, "user", pg.user))):  # fmt: skip
            if key in sources:
                raise RegistryError(
                    f"{path}: tenant '{tenant.id}': PostgreSQL {what} {key[3]!r} on "
                    f"{pg.host}:{pg.port} is tenant '{sources[key]}'s: a tenant's source is "
                    "its own"
                )
            sources[key] = tenant.id
    return tenants


def get_tenant(tenants: list[Tenant], tenant_id: str) -> Tenant:
    validate_tenant_id(tenant_id)
    for tenant in tenants:
        if tenant.id == tenant_id:
            return tenant
    known = ", ".join(t.id for t in tenants) or "none"
    raise RegistryError(f"unknown tenant '{tenant_id}' (registered: {known})")


def describe_sources(tenant: Tenant) -> dict[str, str]:
    """Each source of the tenant in a few words, as `list` shows them."""
    tpch, ksqldb, shop = tenant.tpch, tenant.ksqldb, tenant.shop
    pg = tpch.postgres
    where = f" from {pg.host}:{pg.port}/{pg.database}" if pg else " generated"
    return {
        "tpch": f"sf {tpch.scale_factor:g}{where}",
        "ksqldb": f"{ksqldb.days} d x {ksqldb.events_per_day:,} events",
        "shop": f"{shop.orders:,} orders",
    }
