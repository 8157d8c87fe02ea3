"""The demo ksqlDB export lake: generate it, move it on, break it, manage its feeds. A
simulator of the streaming system's exporter: only for lakes the registry marks `generated`;
nothing that reads deliveries imports it.

    <lake>/streams/<stream>/year=YYYY/month=MM/day=DD/data_YYYYMMDD_HHMMSS.parquet
    <lake>/tables/<table>/version=vN/snapshot_YYYYMMDD_HHMMSS.parquet   (last 7 kept)
    <lake>/{streams,tables}/<name>/_metadata.json
    <lake>/feeds/{active,archived}/<feed>.json

Every value is a hash of (seed, event number, field), so a lake is the same on every
machine. `_generator.json` holds what the generator needs to append the next day, and
marks the lake as duckhouse's own.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from duckhouse.folders import swap_in
from duckhouse.ingest.ksqldb import LakeError, feed_kind, feeds_dir, lake_dir, read_feeds
from duckhouse.paths import PROJECT_DIR
from duckhouse.sqltext import sql_list, sql_string
from duckhouse.tenants import KSQLDB_STREAMS, KSQLDB_TABLES, Tenant

STATE_NAME = "_generator.json"
KEEP_VERSIONS = 7
FAULTS = ("drift", "duplicates", "late", "empty", "not-parquet")
PAYMENT_METHODS = ("credit_card", "debit_card", "paypal", "apple_pay", "bank_transfer")
CITIES = (
    ("Berlin", "DE"), ("Munich", "DE"), ("Paris", "FR"), ("Lyon", "FR"),
    ("London", "GB"), ("Manchester", "GB"), ("Zurich", "CH"), ("Geneva", "CH"),
    ("Stockholm", "SE"), ("Warsaw", "PL"), ("New York", "US"), ("Chicago", "US"),
    ("Gotham", "US"), ("Sokovia City", "SK"), ("Latveria", "LV"),
)  # fmt: skip
CHANNELS = ("web", "app", "pos")
PRODUCTS = 40


@dataclass(frozen=True)
class LakeResult:
    tenant_id: str
    path: Path
    events: int
    files: int
    seconds: float
    skipped: bool


def _blacklist() -> list[str]:
    with duckdb.connect() as connection:
        rows = connection.execute(
            "select city from read_csv(?, header = true)",
            [str(PROJECT_DIR / "seeds" / "blacklisted_cities.csv")],
        ).fetchall()
    return [row[0] for row in rows]


class Lake:
    """One tenant's lake on disk, with the generator's state."""

    def __init__(self, tenant: Tenant, root: Path | None = None) -> None:
        self.tenant = tenant
        self.root = root or lake_dir(tenant.id)
        self.state_path = self.root / STATE_NAME
        self.state: dict = (
            json.loads(self.state_path.read_text()) if self.state_path.is_file() else {}
        )

    # ---- state -------------------------------------------------------------------------
    def _save(self) -> None:
        self.state_path.write_text(json.dumps(self.state, indent=2, sort_keys=True) + "\n")

    @property
    def exists(self) -> bool:
        return bool(self.state)

    def _day(self, index: int) -> date:
        return date.fromisoformat(self.state["start_date"]) + timedelta(days=index)

    def _export_clock(self) -> datetime:
        """The moment of the newest export: the end of the last generated day, plus one
        second per export made after it (faults), so that file names never collide."""
        end = datetime.combine(self._day(self.state["days"]), datetime.min.time())
        return end + timedelta(seconds=self.state.get("extra_exports", 0))

    # ---- generation ----------------------------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect()
        connection.execute("set threads = 2")
        connection.execute(
            "create table rates as select * from read_csv(?, header = true, "
            "columns = {'currency': 'varchar', 'eur_per_unit': 'decimal(12, 6)'})",
            [str(PROJECT_DIR / "seeds" / "currency_rates.csv")],
        )
        return connection

    def _events(
        self, connection: duckdb.DuckDBPyConnection, first: int, count: int, day: date
    ) -> None:
        """Create table `events`: `count` events numbered from `first`, on `day`."""
        seed = int(self.state["seed"])
        users = max(50, int(self.state["events_per_day"]) // 2)
        channel = (
            f", {sql_list(CHANNELS)}[1 + pick(i, 'ch', 3)] as channel"
            if self.state.get("drift")
            else ""
        )
        buckets = int(self.state["files_per_day"])
        connection.execute(
            "create or replace macro pick(i, field, n) as "
            f"cast(hash(i, {seed}, field) % n as bigint)"
        )
        connection.execute(f"""
            create or replace table events as
            with numbered as (select range as i from range({first}, {first + count}))
            select
                printf('evt-%d-%010d', {seed}, i) as event_id,
                cast(1 + pick(i, 'user', {users}) as bigint) as user_id,
                cast((100 + pick(i, 'amount', 50000)) * 0.01 as decimal(12, 2)) as amount,
                (select list(currency order by currency) from rates)[
                    1 + pick(i, 'cur', (select count(*) from rates))] as currency,
                {sql_list(PAYMENT_METHODS)}[1 + pick(i, 'pm', {len(PAYMENT_METHODS)})]
                    as payment_method,
                lpad(cast(pick(i, 'card', 10000) as varchar), 4, '0') as card_last4,
                cast(1 + pick(i, 'product', {PRODUCTS}) as integer) as product_id,
                -- one event in 40 comes from each of the three cities at the end of the
                -- list (the blacklisted ones); the rest spread over the others
                case when pick(i, 'city', 40) < 37
                    then (pick(i, 'city', 40)) % {len(CITIES) - 3} + 1
                    else {len(CITIES) - 3} + (pick(i, 'city', 40)) - 36
                end as city_index,
                timestamp {sql_string(day.isoformat())}
                    + to_seconds(cast(pick(i, 'second', 86400) as bigint)) as event_time,
                cast((pick(i, 'second', 86400)) // (86400 // {buckets}) as integer)
                    as bucket
                {channel}
            from numbered
        """)
        connection.execute(f"""
            create or replace table events as
            select
                events.* exclude (city_index),
                {sql_list(city for city, _ in CITIES)}[city_index] as city,
                {sql_list(country for _, country in CITIES)}[city_index] as country,
                'User ' || user_id as user_name,
                'user' || user_id || '@example.com' as user_email,
                cast(round(amount * rates.eur_per_unit, 2) as decimal(12, 2)) as amount_eur
            from events
            join rates using (currency)
        """)

    def _stream_selects(self) -> dict[str, str]:
        channel = ", channel" if self.state.get("drift") else ""
        seed = int(self.state["seed"])
        blacklist = sql_list(_blacklist())
        flat = (
            "event_id, user_id, user_name, user_email, amount, currency, payment_method, "
            f"card_last4, product_id, 'Product ' || lpad(cast(product_id as varchar), 2, '0') "
            f"as product_name, city, country, event_time{channel}"
        )
        return {
            "transaction_stream": (
                "select event_id, "
                "struct_pack(user_id := user_id, name := user_name, email := user_email) as user, "
                "struct_pack(amount := amount, currency := currency, method := payment_method, "
                "card_last4 := card_last4) as payment, "
                "struct_pack(product_id := product_id, name := 'Product ' || "
                "lpad(cast(product_id as varchar), 2, '0')) as product, "
                "struct_pack(city := city, country := country) as location, "
                f"event_time, epoch_ms(event_time) as rowtime{channel} from batch"
            ),
            "transaction_flattened": f"select {flat} from batch",
            "transaction_stream_anonymized": (
                f"select event_id, md5(cast(user_id as varchar) || {sql_string(str(seed))}) "
                "as user_key, "
                "amount_eur, payment_method, product_id, country, event_time from batch"
            ),
            "transaction_stream_blacklisted": (
                f"select {flat} from batch where list_contains({blacklist}, city)"
            ),
        }

    def _write_streams(
        self, connection: duckdb.DuckDBPyConnection, partition_day: date, export: datetime
    ) -> int:
        """Write the rows of table `batch` as one export file per stream into the day's
        partition. Returns the number of files written."""
        written = 0
        name = f"data_{export:%Y%m%d_%H%M%S}.parquet"
        for stream, select in self._stream_selects().items():
            folder = (
                self.root / "streams" / stream / f"year={partition_day:%Y}"
                / f"month={partition_day:%m}" / f"day={partition_day:%d}"
            )  # fmt: skip
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / name
            if target.exists():
                raise LakeError(f"tenant '{self.tenant.id}': {target} exists already")
            connection.execute(
                f"copy ({select} order by event_time, event_id) to {sql_string(target)} "
                "(format parquet)"
            )
            written += 1
        return written

    def _write_day(self, connection: duckdb.DuckDBPyConnection, index: int) -> int:
        day = self._day(index)
        per_day = int(self.state["events_per_day"])
        self._events(connection, self.state["next_event"], per_day, day)
        self.state["next_event"] += per_day
        buckets = int(self.state["files_per_day"])
        files = 0
        for bucket in range(buckets):
            connection.execute(
                f"create or replace table batch as select * from events where bucket = {bucket}"
            )
            export = datetime.combine(day, datetime.min.time()) + timedelta(
                seconds=(bucket + 1) * (86400 // buckets) - 1
            )
            files += self._write_streams(connection, day, export)
        return files

    def _stream_files(self, stream: str) -> list[Path]:
        corrupt = set(self.state.get("faulty_files", []))
        return sorted(
            p for p in (self.root / "streams" / stream).rglob("*.parquet")
            if str(p.relative_to(self.root)) not in corrupt
        )  # fmt: skip

    def _write_tables(self, connection: duckdb.DuckDBPyConnection) -> None:
        """A new version of each table: the aggregates ksqlDB maintains, over every distinct
        event exported so far (ksqlDB counts an event once, however often it is delivered)."""
        files = [str(p) for p in self._stream_files("transaction_flattened")]
        connection.execute(f"""
            create or replace table distinct_events as
            select * from read_parquet({sql_list(files)}, union_by_name = true)
            qualify row_number() over (partition by event_id order by event_time) = 1
        """)
        connection.execute("""
            create or replace table distinct_events as
            select distinct_events.*,
                cast(round(amount * rates.eur_per_unit, 2) as decimal(12, 2)) as amount_eur
            from distinct_events join rates using (currency)
        """)
        selects = {
            "user_transaction_summary": (
                "select user_id, currency, count(*) as transaction_count, "
                "sum(amount) as total_amount from distinct_events group by all"
            ),
            "user_transaction_summary_eur": (
                "select user_id, count(*) as transaction_count, "
                "sum(amount_eur) as total_amount_eur from distinct_events group by all"
            ),
            "payment_method_totals": (
                "select payment_method, count(*) as transaction_count, "
                "sum(amount_eur) as total_amount_eur from distinct_events group by all"
            ),
            "product_purchase_counts": (
                "select product_id, count(*) as purchase_count from distinct_events group by all"
            ),
        }
        version = int(self.state.get("table_version", 0)) + 1
        self.state["table_version"] = version
        export = self._export_clock()
        for table, select in selects.items():
            folder = self.root / "tables" / table / f"version=v{version}"
            folder.mkdir(parents=True, exist_ok=True)
            connection.execute(
                f"copy ({select} order by all) to "
                f"{sql_string(folder / f'snapshot_{export:%Y%m%d_%H%M%S}.parquet')} "
                "(format parquet)"
            )
            versions = sorted(
                (self.root / "tables" / table).glob("version=v*"),
                key=lambda p: int(p.name.removeprefix("version=v")),
            )
            for old in versions[:-KEEP_VERSIONS]:
                shutil.rmtree(old)

    def _write_metadata(self) -> None:
        for kind, names in (("streams", KSQLDB_STREAMS), ("tables", KSQLDB_TABLES)):
            for name in names:
                folder = self.root / kind / name
                files = sorted(folder.rglob("*.parquet"))
                valid = [p for p in files if str(p.relative_to(self.root)) not in set(
                    self.state.get("faulty_files", []))]  # fmt: skip
                with duckdb.connect() as connection:
                    rows = connection.execute(
                        f"select count(*) from read_parquet({sql_list(map(str, valid))}, "
                        "union_by_name = true)"
                    ).fetchone()[0] if valid else 0  # fmt: skip
                (folder / "_metadata.json").write_text(json.dumps({
                    "name": name,
                    "kind": kind[:-1],
                    "last_export": self._export_clock().isoformat(),
                    "files": len(files),
                    "rows": rows,
                    "bytes": sum(p.stat().st_size for p in files),
                }, indent=2) + "\n")  # fmt: skip

    def generate(self) -> int:
        """Write the whole lake: every stream day by day, then one version of each table."""
        _require_generated(self.tenant, self.root)
        source = self.tenant.ksqldb
        self.state = {
            "tenant_id": self.tenant.id,
            "seed": source.seed,
            "start_date": source.start_date,
            "days": 0,
            "events_per_day": source.events_per_day,
            "files_per_day": source.files_per_day,
            "next_event": 0,
            "drift": False,
            "faulty_files": [],
        }
        self.root.mkdir(parents=True, exist_ok=True)
        files = 0
        with self._connection() as connection:
            for index in range(source.days):
                files += self._write_day(connection, index)
                self.state["days"] = index + 1
            self._write_tables(connection)
        self._save()
        self._write_metadata()
        return files

    def append_day(self) -> int:
        """Export one more day of every stream, and new versions of the tables."""
        self._require()
        with self._connection() as connection:
            files = self._write_day(connection, self.state["days"])
            self.state["days"] += 1
            self.state["extra_exports"] = 0
            self._write_tables(connection)
        self._save()
        self._write_metadata()
        return files

    def inject(self, fault: str, count: int = 5) -> list[Path]:
        """Write one fault into the lake; returns the files written."""
        self._require()
        if fault not in FAULTS:
            raise LakeError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        self.state["extra_exports"] = self.state.get("extra_exports", 0) + 1
        export = self._export_clock()
        last_day = self._day(self.state["days"] - 1)
        stream_dir = self.root / "streams" / "transaction_stream"
        partition = stream_dir / f"year={last_day:%Y}/month={last_day:%m}/day={last_day:%d}"
        written: list[Path] = []
        name = f"data_{export:%Y%m%d_%H%M%S}.parquet"
        if fault == "drift":
            # from the next export on, the streams carry a new column
            self.state["drift"] = True
            self._save()
            return [self.root / "streams" / "transaction_stream"]
        with self._connection() as connection:
            if fault == "duplicates":
                # at-least-once delivery: the last `count` events of the newest day, again
                files = [
                    str(p)
                    for p in self._stream_files("transaction_flattened")
                    if f"day={last_day:%d}" in str(p) and f"month={last_day:%m}" in str(p)
                ]
                connection.execute(f"""
                    create or replace table batch as
                    select
                        delivered.*,
                        cast(round(delivered.amount * rates.eur_per_unit, 2) as decimal(12, 2))
                            as amount_eur
                    from read_parquet({sql_list(files)}, union_by_name = true) as delivered
                    join rates using (currency)
                    order by event_id desc
                    limit {count}
                """)
                if self.state.get("drift"):
                    connection.execute("alter table batch add column if not exists channel varchar")
                self._write_streams(connection, last_day, export)
                written = [p / name for p in self._partitions(last_day)]
            elif fault == "late":
                # events of three days ago, exported only now, into that day's partition
                late_day = self._day(max(0, self.state["days"] - 3))
                self._events(connection, self.state["next_event"], count, late_day)
                self.state["next_event"] += count
                connection.execute("create or replace table batch as select * from events")
                self._write_streams(connection, late_day, export)
                self._write_tables(connection)
                written = [p / name for p in self._partitions(late_day)]
            elif fault == "empty":
                target = partition / name
                target.write_bytes(b"")
                written = [target]
            else:  # not-parquet
                target = partition / name
                target.write_text("event_id,amount\nevt-1,12.50\n")
                written = [target]
        for path in written:
            if fault in ("empty", "not-parquet"):
                self.state["faulty_files"].append(str(path.relative_to(self.root)))
        self._save()
        self._write_metadata()
        return written

    def _partitions(self, day: date) -> list[Path]:
        folders = [
            self.root / "streams" / stream / f"year={day:%Y}/month={day:%m}/day={day:%d}"
            for stream in KSQLDB_STREAMS
        ]
        return [folder for folder in folders if folder.is_dir()]

    def _require(self) -> None:
        _require_generated(self.tenant, self.root)
        if not self.exists:
            raise LakeError(
                f"tenant '{self.tenant.id}': no ksqlDB lake at {self.root} yet "
                f"(duckhouse land {self.tenant.id})"
            )

    def event_count(self) -> int:
        return int(self.state.get("next_event", 0))


def add_feed(root: Path, name: str) -> Path:
    kind = feed_kind(name)
    active = feeds_dir(root, "active") / f"{name}.json"
    archived = feeds_dir(root, "archived") / f"{name}.json"
    if active.exists():
        raise LakeError(f"feed {name!r} is already defined at {active}")
    active.parent.mkdir(parents=True, exist_ok=True)
    if archived.exists():
        definition = json.loads(archived.read_text())
        archived.unlink()
    else:
        definition = {
            "name": name,
            "kind": kind,
            "path": f"{kind}s/{name}",
            "format": "parquet",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    definition["enabled"] = True
    active.write_text(json.dumps(definition, indent=2) + "\n")
    return active


def set_feed_enabled(root: Path, name: str, enabled: bool) -> Path:
    feed_kind(name)
    active = feeds_dir(root, "active") / f"{name}.json"
    if not active.exists():
        raise LakeError(f"feed {name!r} is not active (no {active})")
    definition = json.loads(active.read_text())
    definition["enabled"] = enabled
    active.write_text(json.dumps(definition, indent=2) + "\n")
    return active


def archive_feed(root: Path, name: str) -> Path:
    feed_kind(name)
    active = feeds_dir(root, "active") / f"{name}.json"
    if not active.exists():
        raise LakeError(f"feed {name!r} is not active (no {active})")
    archived = feeds_dir(root, "archived") / f"{name}.json"
    archived.parent.mkdir(parents=True, exist_ok=True)
    definition = json.loads(active.read_text())
    definition["archived_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    archived.write_text(json.dumps(definition, indent=2) + "\n")
    active.unlink()
    return archived


def sync_feeds(tenant: Tenant, root: Path | None = None) -> dict[str, list[str]]:
    """Make the active feeds those the registry names: add the missing, archive the rest.
    A feed disabled by an operator stays disabled."""
    root = root or lake_dir(tenant.id)
    _require_generated(tenant, root)
    current = {f["name"]: f["status"] for f in read_feeds(root)}
    added = [n for n in tenant.ksqldb.feeds if current.get(n) in (None, "archived")]
    archived = [n for n, s in current.items() if s != "archived" and n not in tenant.ksqldb.feeds]
    for name in added:
        add_feed(root, name)
    for name in archived:
        archive_feed(root, name)
    return {"added": added, "archived": archived}


def _require_generated(tenant: Tenant, root: Path) -> None:
    if tenant.ksqldb.mode != "generated":
        raise LakeError(
            f"tenant '{tenant.id}': its ksqlDB lake is delivered (registry sources.ksqldb.mode): "
            f"duckhouse never writes {root}"
        )


def land_ksqldb(tenant: Tenant, *, force: bool = False) -> LakeResult:
    """Generate a `generated` tenant's lake if it has none (atomically), then sync its feeds.
    A lake folder without the generator's state holds files duckhouse did not write: it is
    never replaced or removed, the error says so."""
    target = lake_dir(tenant.id)
    _require_generated(tenant, target)
    started = time.perf_counter()
    if Lake(tenant).exists and not force:
        sync_feeds(tenant)
        lake = Lake(tenant)
        return LakeResult(tenant.id, target, lake.event_count(), 0, 0.0, True)
    if target.is_symlink() or (target.exists() and any(target.iterdir())
                               and not Lake(tenant).exists):  # fmt: skip
        raise LakeError(
            f"tenant '{tenant.id}': {target} holds files the demo generator did not write "
            f"(no {STATE_NAME}): not generating over them. Mark the source delivered "
            "(sources.ksqldb.mode) or empty the folder."
        )
    # regenerated as it was: as many days as it had (`lake append-day` adds to the
    # registry's days), so a forced landing never takes exported days from the warehouse
    exported_days = Lake(tenant).state["days"] if Lake(tenant).exists else 0
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ksqldb-staging-", dir=target.parent))
    try:
        lake = Lake(tenant, root=staging)
        files = lake.generate()
        while lake.state["days"] < exported_days:
            files += lake.append_day()
        sync_feeds(tenant, staging)
        swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return LakeResult(
        tenant.id, target, lake.event_count(), files, time.perf_counter() - started, False
    )
