"""A ksqlDB export lake that duckhouse did not write (`sources.ksqldb.mode: delivered`): a
generated lake copied in as the base, then hostile files written here with DuckDB's COPY
(not by the generator), each with the outcome it must get in the lake inventory -- its
status and the reason -- or the values that land. Then recovery without --full-refresh: a
file corrected in place (same size and mtime) lands again, a file whose rows break a test
fails the build and, once removed, the next plain build passes and equals a full refresh.
The delivered lake is byte-identical (paths, bytes, modes, mtimes) before and after every
build."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import make_env, run_cli, tree_digest

TENANT = "dlv_t"
SOURCE = "gen_t"  # another tenant: its generated lake is the base, and a link target
S = "streams/transaction_stream"
DAY1 = f"{S}/year=2026/month=01/day=01"
DAY2 = f"{S}/year=2026/month=01/day=02"
BASE = f"{DAY1}/data_20260101_115959.parquet"  # the generator's first export
STREAM = "event_id, user, payment, product, location, event_time, rowtime"  # the contract's order


def _registry(path: Path) -> None:
    sources = (
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      shop: {mode: generated, customers: 30, products: 10, orders: 60}\n"
    )
    path.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: Delivered lake\n"
        "    sources:\n"
        f"{sources}"
        "      ksqldb: {mode: delivered}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
        f"  - id: {SOURCE}\n"
        "    display_name: Generated lake\n"
        "    sources:\n"
        f"{sources}"
        "      ksqldb: {mode: generated, seed: 7, days: 3, events_per_day: 40, files_per_day: 2}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


@dataclass(frozen=True)
class Case:
    name: str
    path: str  # inside the delivered lake
    status: str
    reason: str | None = None  # a substring of the inventory's reason


class Lake:
    """Writes hostile files into the delivered lake; records what each must become."""

    def __init__(self, root: Path, scratch: Path) -> None:
        self.root = root
        self.scratch = scratch
        self.cases: list[Case] = []
        self.db = duckdb.connect()
        self.db.execute(
            f"create table base as select {STREAM} from read_parquet(?, hive_partitioning = "
            "false) order by event_id",
            [str(root / BASE)],
        )
        self.events = [row[0] for row in self.db.execute("select event_id from base").fetchall()]

    def copy(self, sql: str, relative: str, *, compression: str = "snappy") -> Path:
        """COPY the query's rows to a Parquet file at `relative` (written to a scratch name,
        then moved: a target's name may hold quotes or glob characters)."""
        scratch = self.scratch / f"scratch_{len(os.listdir(self.scratch))}.parquet"
        self.db.execute(f"copy ({sql}) to '{scratch}' (format parquet, compression {compression})")
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(scratch, target)
        return target

    def write(self, relative: str, data: bytes) -> Path:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def expect(self, name: str, path: str, status: str, reason: str | None = None) -> None:
        self.cases.append(Case(name, path, status, reason))

    def event(self, index: int) -> str:
        return self.events[index]


def _payment(amount: str = "payment.amount", **extra: str) -> str:
    fields = {"amount": amount, "currency": "payment.currency", "method": "payment.method",
              "card_last4": "payment.card_last4", **extra}  # fmt: skip
    return "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in fields.items()) + ")"


def _one(index: int) -> str:
    return f"(select * from base order by event_id limit 1 offset {index})"


def _write_hostile(lake: Lake, other_lake: Path) -> None:
    """Phase one: every hostile file, and what it must become."""
    expect = lake.expect
    # ---- deliveries that land ---------------------------------------------------------
    lake.copy(
        "select * from base order by event_id limit 3", f"{DAY1}/data_20260104_000001.parquet"
    )
    expect("identical duplicate", f"{DAY1}/data_20260104_000001.parquet", "valid")
    lake.copy(
        f"select * replace ({_payment('cast(payment.amount + 1 as decimal(12, 2))')} as payment) "
        f"from {_one(3)}",
        f"{DAY1}/data_20260104_000002.parquet",
    )
    expect("same event, other amount (conflict)", f"{DAY1}/data_20260104_000002.parquet", "valid")
    lake.copy(
        "select *, 'spring' as promo from base order by event_id limit 2 offset 4",
        f"{DAY1}/data_20260104_000003.parquet",
    )
    expect("extra column (carried)", f"{DAY1}/data_20260104_000003.parquet", "valid")
    # corrected in place in phase two: first delivered with another amount, uncompressed so
    # that the correction has the same size
    lake.copy(
        f"select * replace ({_payment('cast(payment.amount + 1 as decimal(12, 2))')} as payment) "
        f"from {_one(6)}",
        f"{DAY2}/data_20260104_000004.parquet",
        compression="uncompressed",
    )
    expect("to be corrected in place", f"{DAY2}/data_20260104_000004.parquet", "valid")

    # ---- the schema contract -----------------------------------------------------------
    contract = [
        ("renamed column (event_time called ts)",
         "select * exclude (event_time), event_time as ts from base limit 2",
         "missing column event_time"),
        ("renamed struct field (payment.amount called amt)",
         f"select * replace ({_payment().replace('amount :=', 'amt :=')} as payment) "
         "from base limit 2", "missing column payment.amount"),
        ("missing column", "select * exclude (rowtime) from base limit 2",
         "missing column rowtime"),
        ("retyped struct field",
         f"select * replace ({_payment('cast(payment.amount as varchar)')} as payment) "
         "from base limit 2", "payment.amount: type VARCHAR, the contract says DECIMAL(12,2)"),
        ("retyped column", "select * replace (cast(event_time as varchar) as event_time) "
         "from base limit 2", "event_time: type VARCHAR, the contract says TIMESTAMP"),
        ("extra struct field", f"select * replace ({_payment(fee='0.5')} as payment) "
         "from base limit 2", "payment.fee: not a field of the contract's payment struct"),
        ("reserved column name", "select *, 'x' as filename from base limit 2",
         "column filename is reserved"),
    ]  # fmt: skip
    for second, (name, sql, reason) in enumerate(contract, start=10):
        relative = f"{DAY2}/data_20260104_0000{second}.parquet"
        lake.copy(sql, relative)
        expect(name, relative, "quarantined", reason)

    # ---- layout: partitions, versions, names ------------------------------------------
    good = "select * from base limit 2"  # content that would be counted twice if it landed
    layout = [
        ("day=32", f"{S}/year=2026/month=01/day=32/data_20260104_000020.parquet",
         "invalid partition date year=2026/month=01/day=32"),
        ("month=13", f"{S}/year=2026/month=13/day=01/data_20260104_000021.parquet",
         "invalid partition date year=2026/month=13/day=01"),
        ("one-digit month", f"{S}/year=2026/month=1/day=01/data_20260104_000022.parquet",
         "not a partition folder: 'month=1'"),
        ("unicode digits", f"{S}/year=2026/month=01/day=\uff10\uff11/data_20260104_000023.parquet",
         "not a partition folder"),
        ("no partition", f"{S}/data_20260104_000024.parquet",
         "not in a year=YYYY/month=MM/day=DD partition folder"),
        ("bad file name", f"{DAY1}/export.parquet", "is not data_YYYYMMDD_HHMMSS.parquet"),
        ("impossible export time", f"{DAY1}/data_20261399_250000.parquet",
         "invalid export time in the file name"),
        ("upper-case extension", f"{DAY1}/data_20260104_000025.PARQUET", "names are lower case"),
        ("glob star", f"{DAY1}/data_*.parquet", "glob characters"),
        ("glob question mark", f"{DAY1}/data_2026010?_115959.parquet", "glob characters"),
        ("glob bracket", f"{DAY1}/data_2026010[1]_115959.parquet", "glob characters"),
        ("quote in the name", f"{DAY1}/data_20260104_00002'.parquet", "is not data_YYYYMMDD"),
        ("spaces in the name", f"{DAY1}/data_20260104_000026 (copy).parquet",
         "is not data_YYYYMMDD"),
        ("unicode name", f"{DAY1}/d\u00e4t\u00e4_20260104_000027.parquet", "is not data_YYYYMMDD"),
        ("version=vX", "tables/payment_method_totals/version=vX/snapshot_20260104_000000.parquet",
         "invalid version folder 'version=vX'"),
        ("version=v01", "tables/payment_method_totals/version=v01/snapshot_20260104_000000.parquet",
         "invalid version folder 'version=v01'"),
        ("bad snapshot name", "tables/payment_method_totals/version=v1/totals.parquet",
         "is not snapshot_YYYYMMDD_HHMMSS.parquet"),
    ]  # fmt: skip
    snapshot = next((lake.root / "tables/payment_method_totals/version=v1").glob("*.parquet"))
    for name, relative, reason in layout:
        if relative.startswith("tables/"):
            (lake.root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(snapshot, lake.root / relative)
        else:
            lake.copy(good, relative)
        expect(name, relative, "quarantined", reason)

    # ---- not Parquet, empty, metadata ------------------------------------------------
    lake.write(f"{DAY2}/data_20260104_000030.parquet", b"event_id,amount\nevt-1,12.50\n")
    expect("CSV named .parquet", f"{DAY2}/data_20260104_000030.parquet", "quarantined",
           "not a readable Parquet file")  # fmt: skip
    lake.write(f"{DAY2}/data_20260104_000031.parquet", b"")
    expect(
        "empty file", f"{DAY2}/data_20260104_000031.parquet", "quarantined", "empty file (0 bytes)"
    )
    lake.write("streams/transaction_stream/_metadata.json", b'{"name": "transaction_stream", ')
    expect("malformed _metadata.json", "streams/transaction_stream/_metadata.json",
           "quarantined", "not readable metadata (JSON)")  # fmt: skip
    lake.write("tables/user_transaction_summary/_metadata.json", b"[1, 2]")
    expect("_metadata.json not an object", "tables/user_transaction_summary/_metadata.json",
           "quarantined", "metadata is a JSON object, got list")  # fmt: skip

    # ---- feed definitions ----------------------------------------------------------------
    lake.write("feeds/active/bogus.json", b"{not json")
    expect("malformed feed JSON", "feeds/active/bogus.json", "quarantined",
           "not a readable feed definition (JSON)")  # fmt: skip
    lake.write("feeds/archived/listed.json", b"[1, 2]")
    expect("feed JSON not an object", "feeds/archived/listed.json", "quarantined",
           "a feed definition is a JSON object")  # fmt: skip
    outside = f"../../../{SOURCE}/landing/ksqldb/streams/transaction_flattened"
    lake.write("feeds/active/transaction_flattened.json", json.dumps(
        {"name": "transaction_flattened", "kind": "stream", "path": outside}).encode())  # fmt: skip
    expect("feed path outside the lake", "feeds/active/transaction_flattened.json",
           "quarantined",
           "must be kind 'stream' at path 'streams/transaction_flattened'")  # fmt: skip
    expect("files of a feed without a valid definition",
           "streams/transaction_flattened/year=2026/month=01/day=01/data_20260101_115959.parquet",
           "ignored", "feed transaction_flattened has no valid definition")  # fmt: skip
    lake.write("feeds/active/README.txt", b"feeds of the export\n")
    expect("not a feed definition", "feeds/active/README.txt", "ignored", "not a feed definition")

    # ---- ignored ---------------------------------------------------------------------------
    expect("the generator's state", "_generator.json", "ignored", "demo generator's state")
    lake.write("README.md", b"export lake\n")
    expect("stray file at the top", "README.md", "ignored", "not in streams/, tables/ or feeds/")
    lake.copy(good, "streams/unknown_feed/year=2026/month=01/day=01/data_20260101_115959.parquet")
    expect("unknown feed folder",
           "streams/unknown_feed/year=2026/month=01/day=01/data_20260101_115959.parquet",
           "ignored", "'unknown_feed' is not a known stream")  # fmt: skip
    lake.copy(good, f"{DAY1}/.data_20260104_000040.parquet.tmp")
    expect("partial file", f"{DAY1}/.data_20260104_000040.parquet.tmp", "ignored",
           "hidden or partial file")  # fmt: skip
    lake.write(f"{DAY1}/notes.txt", b"exported by hand\n")
    expect("not an export file", f"{DAY1}/notes.txt", "ignored", "not an export file")

    # ---- refused: links and special files ------------------------------------------------
    secret = other_lake / DAY2 / "data_20260102_120000.parquet"
    lake.db.execute(
        f"copy (select * replace ('secret-' || event_id as event_id) from base) "
        f"to '{secret}' (format parquet)"
    )
    link = lake.root / DAY2 / "data_20260104_000050.parquet"
    link.symlink_to(secret)
    expect("link to another tenant's file", f"{DAY2}/data_20260104_000050.parquet", "refused",
           "symbolic link")  # fmt: skip
    anonymized = lake.root / "streams/transaction_stream_anonymized"
    shutil.rmtree(anonymized)
    anonymized.symlink_to(other_lake / "streams/transaction_stream_anonymized")
    expect(
        "linked feed folder", "streams/transaction_stream_anonymized", "refused", "symbolic link"
    )
    (lake.root / "streams/transaction_stream/year=2026/month=01/day=09").parent.mkdir(
        parents=True, exist_ok=True
    )
    (lake.root / "streams/transaction_stream/year=2026/month=01/day=09").symlink_to(
        other_lake / DAY1
    )
    expect("linked partition folder", "streams/transaction_stream/year=2026/month=01/day=09",
           "refused", "symbolic link")  # fmt: skip
    (lake.root / DAY2 / "data_20260104_000051.parquet").symlink_to("/nonexistent/x.parquet")
    expect("dangling link", f"{DAY2}/data_20260104_000051.parquet", "refused", "symbolic link")
    os.mkfifo(lake.root / DAY2 / "data_20260104_000052.parquet")
    expect("FIFO", f"{DAY2}/data_20260104_000052.parquet", "refused", "not a regular file")
    for relative in (f"{DAY2}/data_20260104_000053\xff.parquet", "feeds/active/\xe9t\xe9.json"):
        (lake.root / os.fsdecode(relative.encode("latin-1"))).write_bytes(b"{}")
        expect("name not UTF-8", relative.replace("\xff", "\\xff").replace("\xe9", "\\xe9"),
               "refused", "not UTF-8")  # fmt: skip


@dataclass
class Delivered:
    root: Path
    env: dict[str, str]
    lake: Path
    other_lake: Path
    hostile: Lake
    built: subprocess.CompletedProcess
    before: dict
    after: dict

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        path = self.root / "data" / TENANT / f"{TENANT}.duckdb"
        with duckdb.connect(str(path), read_only=True) as db:
            return db.execute(sql, params or []).fetchall()

    def inventory(self) -> dict[str, tuple]:
        return {
            lake_path: (status, reason, file_kind)
            for lake_path, status, reason, file_kind in self.query(
                "select lake_path, status, reason, file_kind "
                "from bronze.inventory_ksqldb__lake_files"
            )
        }

    def digest(self) -> dict:
        return tree_digest(self.lake, self.other_lake)


@pytest.fixture(scope="module")
def delivered(tmp_path_factory) -> Delivered:
    root = tmp_path_factory.mktemp("ksqldb_deliveries")
    registry = root / "tenants.yml"
    _registry(registry)
    env = make_env(root, registry)
    run_cli(env, "profiles")
    run_cli(env, "lake", "generate", SOURCE)
    other_lake = root / "data" / SOURCE / "landing" / "ksqldb"
    lake = root / "data" / TENANT / "landing" / "ksqldb"
    shutil.copytree(other_lake, lake, symlinks=True)
    scratch = root / "scratch"
    scratch.mkdir()
    hostile = Lake(lake, scratch)
    _write_hostile(hostile, other_lake)
    before = tree_digest(lake, other_lake)
    built = run_cli(env, "build", TENANT)
    return Delivered(
        root, env, lake, other_lake, hostile, built, before, tree_digest(lake, other_lake)
    )


def test_a_build_never_writes_the_delivered_lake(delivered) -> None:
    assert delivered.after == delivered.before
    # the refused files are still there, untouched (the FIFO was never opened: the build
    # would have blocked)
    assert stat.S_ISFIFO((delivered.lake / DAY2 / "data_20260104_000052.parquet").lstat().st_mode)


def test_every_lake_entry_is_in_the_inventory(delivered) -> None:
    inventory = delivered.inventory()
    expected = set()
    for folder, dirs, files in os.walk(delivered.lake, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if not path.is_dir() or path.is_symlink():
                relative = str(path.relative_to(delivered.lake))  # not UTF-8: as \\xNN
                expected.add(
                    relative.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                )
    assert expected == set(inventory)
    assert {status for status, _, _ in inventory.values()} == {
        "valid", "quarantined", "ignored", "refused"
    }  # fmt: skip


def test_every_hostile_file_gets_its_status_and_reason(delivered) -> None:
    cases = delivered.hostile.cases
    assert len(cases) >= 40
    inventory = delivered.inventory()
    wrong = []
    for case in cases:
        if case.path not in inventory:
            wrong.append(f"{case.name}: {case.path} is not in the inventory")
            continue
        status, reason, _ = inventory[case.path]
        if status != case.status or (
            reason is not None if case.reason is None else case.reason not in (reason or "")
        ):
            wrong.append(f"{case.name}: expected {case.status} ({case.reason!r}), "
                         f"got {status} ({reason!r})")  # fmt: skip
    assert not wrong, "\n".join(wrong)


def test_the_build_names_every_quarantined_file(delivered) -> None:
    out = delivered.built.stdout
    quarantined = [c for c in delivered.hostile.cases if c.status == "quarantined"]
    assert f"ksqldb: {len(quarantined)} file(s) quarantined, not landed:" in out
    for case in quarantined:
        assert case.path in out, case.name


def test_only_valid_files_land(delivered) -> None:
    landed = {
        path for (path,) in delivered.query(
            "select distinct _source_file from bronze.stg_ksqldb__transaction_stream"
        )
    }  # fmt: skip
    valid = {
        path for (path,) in delivered.query(
            "select file_path from bronze.inventory_ksqldb__lake_files where feed = "
            "'transaction_stream' and file_kind = 'data' and status = 'valid'"
        )
    }  # fmt: skip
    assert landed == valid
    assert len(valid) == 6 + 4  # the generator's three days of two exports, four deliveries
    # a linked file's rows, a linked feed folder's and a glob's expansion never land
    (secret,) = delivered.query(
        "select count(*) from bronze.stg_ksqldb__transaction_stream where event_id like 'secret-%'"
    )[0]
    assert secret == 0
    (anonymized,) = delivered.query(
        "select count(*) from bronze.stg_ksqldb__transaction_stream_anonymized"
    )[0]
    assert anonymized == 0
    (flattened,) = delivered.query("select count(*) from bronze.stg_ksqldb__transaction_flattened")[
        0
    ]
    assert flattened == 0
    # exactly the generator's events, each once, plus the re-deliveries
    (rows, events) = delivered.query(
        "select count(*), count(distinct event_id) from bronze.stg_ksqldb__transaction_stream"
    )[0]
    assert events == 3 * 40
    assert rows == 3 * 40 + 3 + 1 + 2 + 1


def test_duplicates_conflicts_and_drift(delivered) -> None:
    hostile = delivered.hostile
    # identical duplicates: two deliveries, no conflict
    counts = dict(delivered.query(
        "select event_id, delivery_count from silver.fct_transaction_events "
        "where event_id in (?, ?, ?, ?)", [hostile.event(0), hostile.event(1), hostile.event(2),
                                           hostile.event(9)],
    ))  # fmt: skip
    assert counts == {hostile.event(i): 2 for i in range(3)} | {hostile.event(9): 1}
    conflicts = {
        row[0]: row[1:]
        for row in delivered.query(
            "select event_id, differing_columns, delivered_values, source_files, "
            "kept_source_file from silver.fct_transaction_event_conflicts"
        )
    }
    assert set(conflicts) == {hostile.event(3), hostile.event(6)}, conflicts
    differing, values, files, kept = conflicts[hostile.event(3)]
    assert differing == "payment.amount"
    (original,) = hostile.db.execute(
        "select payment.amount from base where event_id = ?", [hostile.event(3)]
    ).fetchone()
    assert values == f"payment.amount: {original:.2f} | {original + 1:.2f}"
    assert files == (f"{delivered.lake / BASE} | "
                     f"{delivered.lake / DAY1 / 'data_20260104_000002.parquet'}")  # fmt: skip
    assert kept == str(delivered.lake / BASE)
    # silver keeps the earliest export's delivery
    (amount,) = delivered.query(
        "select amount from silver.fct_transaction_events where event_id = ?", [hostile.event(3)]
    )[0]
    assert amount == original
    # the extra column is carried: in bronze with its values, in silver as a column
    promo = delivered.query(
        "select event_id, promo from bronze.stg_ksqldb__transaction_stream "
        "where promo is not null order by event_id"
    )
    assert promo == [(hostile.event(4), "spring"), (hostile.event(5), "spring")]
    (extra,) = delivered.query(
        "select extra_columns from bronze.inventory_ksqldb__lake_files where lake_path = ?",
        [f"{DAY1}/data_20260104_000003.parquet"],
    )[0]
    assert extra == "promo VARCHAR"
    columns = {name for (name,) in delivered.query(
        "select column_name from (describe silver.fct_transaction_events)")}  # fmt: skip
    assert "promo" in columns and "_file_signature" not in columns


def test_payments_still_reconcile_with_ksqldb(delivered) -> None:
    (differences,) = delivered.query(
        "select count(*) from gold_payments.mart_payments__ksqldb_reconciliation "
        "where difference != 0"
    )[0]
    assert differences == 0
    (events,) = delivered.query("select count(*) from silver.fct_transaction_events")[0]
    assert events == 3 * 40


def _state(delivered: Delivered) -> dict[str, list[tuple]]:
    """The payment models and the landed streams as a full build would have them: columns
    in name order, without the landing times (a rebuild changes them by design)."""
    relations = [
        "bronze.stg_ksqldb__transaction_stream",
        "bronze.stg_ksqldb__transaction_stream_blacklisted",
        "bronze.stg_ksqldb__payment_method_totals",
        "silver.fct_transaction_events",
        "silver.fct_transaction_event_conflicts",
        "silver.dim_user",
        "silver.dim_payment_method",
        "gold_payments.mart_payments__user_currency_totals",
        "gold_payments.mart_payments__user_transaction_summary",
        "gold_payments.mart_payments__payment_method_totals",
        "gold_payments.mart_payments__product_purchase_counts",
        "gold_payments.mart_payments__daily_volumes",
        "gold_payments.mart_payments__ksqldb_reconciliation",
    ]
    landing_times = {"_loaded_at", "_first_landed_at", "_last_landed_at", "_landed_through"}
    state = {}
    for relation in relations:
        columns = sorted(
            name
            for (name,) in delivered.query(f"select column_name from (describe {relation})")
            if name not in landing_times
        )
        state[relation] = delivered.query(
            f"select {', '.join(columns)} from {relation} order by all"
        )
    state["inventory"] = delivered.query(
        "select file_path, status, reason, file_kind, feed, file_signature, row_count, "
        "extra_columns from bronze.inventory_ksqldb__lake_files order by file_path"
    )
    return state


@dataclass
class Recovered:
    wrong: subprocess.CompletedProcess  # a delivery of events ksqlDB's tables do not count
    wrong_landed: dict[str, list[tuple]]  # what that build put in silver and gold
    failed: subprocess.CompletedProcess  # a delivery whose rows fail bronze's not_null test
    passed: subprocess.CompletedProcess  # both removed: a plain build
    incremental: dict[str, list[tuple]]
    digests: list[tuple[dict, dict]]
    corrected: Path
    old_signature: str


def _build(delivered: Delivered, digests: list, *args: str) -> subprocess.CompletedProcess:
    before = delivered.digest()
    result = run_cli(delivered.env, "build", TENANT, *args, check=False)
    digests.append((before, delivered.digest()))
    return result


@pytest.fixture(scope="module")
def recovered(delivered) -> Recovered:
    hostile, lake = delivered.hostile, delivered.lake
    digests: list[tuple[dict, dict]] = []
    # a wrong delivery: two events nobody else delivered (a new user, a new day), which
    # ksqlDB's tables do not count -- the reconciliation fails the build, after silver and
    # gold took them in
    wrong = hostile.copy(
        "select * replace ('wrong-' || event_id as event_id, struct_pack(user_id := "
        "999999::bigint, name := 'Nobody', email := 'nobody@example.com') as user, "
        "event_time + interval 3 day as event_time) from base order by event_id limit 2",
        f"{S}/year=2026/month=01/day=04/data_20260104_000058.parquet",
    )
    wrong_build = _build(delivered, digests)
    wrong_landed = {
        "events": delivered.query(
            "select event_id from silver.fct_transaction_events where event_id like 'wrong-%'"
        ),
        "users": delivered.query("select user_id from silver.dim_user where user_id = 999999"),
        "days": delivered.query(
            "select distinct event_date from gold_payments.mart_payments__daily_volumes "
            "where event_date = date '2026-01-04'"
        ),
    }
    wrong.unlink()

    # a file corrected in place: the same size and modification time, other bytes
    corrected = lake / DAY2 / "data_20260104_000004.parquet"
    (old_signature,) = delivered.query(
        "select file_signature from bronze.inventory_ksqldb__lake_files where file_path = ?",
        [str(corrected)],
    )[0]
    before = corrected.stat()
    fixed = hostile.copy(_one(6), f"{DAY2}/corrected.tmp", compression="uncompressed")
    assert fixed.stat().st_size == before.st_size, "the correction must keep the size"
    os.replace(fixed, corrected)
    os.utime(corrected, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert corrected.stat().st_mtime_ns == before.st_mtime_ns
    # a delivery removed, a feed disabled, and a file whose rows fail a test
    (lake / DAY1 / "data_20260104_000001.parquet").unlink()
    blacklisted = lake / "feeds/active/transaction_stream_blacklisted.json"
    blacklisted.write_text(blacklisted.read_text().replace('"enabled": true', '"enabled": false'))
    bad = hostile.copy(
        "select * replace (cast(null as varchar) as event_id) from base limit 2",
        f"{S}/year=2026/month=01/day=03/data_20260104_000059.parquet",
    )
    failed = _build(delivered, digests)
    bad.unlink()  # the exporter removes the bad file; nobody runs --full-refresh
    passed = _build(delivered, digests)
    return Recovered(wrong_build, wrong_landed, failed, passed, _state(delivered), digests,
                     corrected, old_signature)  # fmt: skip


def test_a_wrong_delivery_removed_leaves_silver_and_gold(delivered, recovered) -> None:
    assert recovered.wrong.returncode != 0
    assert "assert_payments_reconcile_with_ksqldb" in recovered.wrong.stdout
    assert len(recovered.wrong_landed["events"]) == 2, "silver took the wrong events in"
    assert recovered.wrong_landed["users"] == [(999999,)]
    assert len(recovered.wrong_landed["days"]) == 1
    # after the file was removed, incremental builds only: gone everywhere
    assert (
        delivered.query(
            "select event_id from silver.fct_transaction_events where event_id like 'wrong-%'"
        )
        == []
    )
    assert delivered.query("select user_id from silver.dim_user where user_id = 999999") == []
    assert (
        delivered.query(
            "select event_date from gold_payments.mart_payments__daily_volumes "
            "where event_date = date '2026-01-04'"
        )
        == []
    )


def test_a_bad_file_fails_the_build_and_removing_it_recovers(delivered, recovered) -> None:
    assert recovered.failed.returncode != 0
    assert "not_null_stg_ksqldb__transaction_stream_event_id" in recovered.failed.stdout
    assert recovered.passed.returncode == 0, recovered.passed.stdout[-6000:]
    (nulls,) = delivered.query(
        "select count(*) from bronze.stg_ksqldb__transaction_stream where event_id is null"
    )[0]
    assert nulls == 0


def test_builds_after_recovery_never_write_the_lake(recovered) -> None:
    for before, after in recovered.digests:
        assert before == after


def test_a_file_corrected_in_place_lands_again(delivered, recovered) -> None:
    hostile = delivered.hostile
    (signature, status) = delivered.query(
        "select file_signature, status from bronze.inventory_ksqldb__lake_files "
        "where file_path = ?",
        [str(recovered.corrected)],
    )[0]
    assert status == "valid" and signature != recovered.old_signature
    (original,) = hostile.db.execute(
        "select payment.amount from base where event_id = ?", [hostile.event(6)]
    ).fetchone()
    landed = delivered.query(
        "select payment.amount from bronze.stg_ksqldb__transaction_stream where _source_file = ?",
        [str(recovered.corrected)],
    )
    assert landed == [(original,)]
    conflicts = {e for (e,) in delivered.query(
        "select event_id from silver.fct_transaction_event_conflicts")}  # fmt: skip
    assert conflicts == {hostile.event(3)}, "the corrected delivery agrees now"


def test_removed_and_disabled_deliveries_leave_bronze(delivered, recovered) -> None:
    hostile = delivered.hostile
    counts = dict(delivered.query(
        "select event_id, delivery_count from silver.fct_transaction_events "
        "where event_id in (?, ?)", [hostile.event(0), hostile.event(6)],
    ))  # fmt: skip
    assert counts == {hostile.event(0): 1, hostile.event(6): 2}
    (blacklisted,) = delivered.query(
        "select count(*) from bronze.stg_ksqldb__transaction_stream_blacklisted"
    )[0]
    assert blacklisted == 0
    reasons = {r for (r,) in delivered.query(
        "select distinct reason from bronze.inventory_ksqldb__lake_files "
        "where feed = 'transaction_stream_blacklisted' and file_kind = 'data'")}  # fmt: skip
    assert reasons == {"feed transaction_stream_blacklisted is disabled: not landed"}
    (rows, amount) = delivered.query(
        "select count(*), sum(payment.amount) from bronze.stg_ksqldb__transaction_stream"
    )[0]
    assert rows == 3 * 40 + 1 + 2 + 1
    assert isinstance(amount, Decimal)


def test_recovery_equals_a_full_refresh(delivered, recovered) -> None:
    """Last: the incremental builds above (a wrong delivery landed then removed, a bad one
    that failed the build then removed, a file corrected in place, a delivery removed, a
    feed disabled) leave what a --full-refresh builds from the lake as it is."""
    digests: list[tuple[dict, dict]] = []
    refreshed = _build(delivered, digests, "--full-refresh")
    assert refreshed.returncode == 0, refreshed.stdout[-6000:]
    assert digests[0][0] == digests[0][1]
    full = _state(delivered)
    for relation, rows in recovered.incremental.items():
        assert rows == full[relation], relation


# ---- the rules without a build (duckhouse.ingest.ksqldb alone) --------------------------
def _tiny_lake(root: Path) -> Path:
    """A lake of one active stream (transaction_stream) and no files yet."""
    lake = root / "lake"
    (lake / "feeds" / "active").mkdir(parents=True)
    (lake / "feeds/active/transaction_stream.json").write_text(
        json.dumps({"name": "transaction_stream", "kind": "stream"})
    )
    return lake


def _stream_file(db: duckdb.DuckDBPyConnection, path: Path, extra: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db.execute(f"""
        copy (select 'evt-1' as event_id,
            struct_pack(user_id := 1::bigint, name := 'A', email := 'a@x') as user,
            struct_pack(amount := 12.50::decimal(12, 2), currency := 'EUR',
                method := 'paypal', card_last4 := '1234') as payment,
            struct_pack(product_id := 1::integer, name := 'P') as product,
            struct_pack(city := 'Berlin', country := 'DE') as location,
            timestamp '2026-01-01 10:00:00' as event_time, 1::bigint as rowtime {extra})
        to '{path}' (format parquet)
    """)  # fmt: skip


@pytest.mark.fast
def test_drift_types_links_and_cached_verdicts(tmp_path) -> None:
    from datetime import datetime

    from duckhouse.ingest.ksqldb import feed_definitions, lake_inventory, read_metadata

    lake = _tiny_lake(tmp_path)
    day = lake / "streams/transaction_stream/year=2026/month=01/day=01"
    db = duckdb.connect()
    _stream_file(db, day / "data_20260101_000001.parquet", ", 'web' as channel")
    _stream_file(db, day / "data_20260101_000002.parquet", ", 7 as channel")
    _stream_file(db, day / "data_20260101_000003.parquet")
    now = datetime(2026, 1, 2)

    def statuses(previous: dict | None = None) -> dict[str, tuple]:
        return {f.lake_path: (f.status, f.reason, f.extra_columns)
                for f in lake_inventory(db, lake, previous, now)}  # fmt: skip

    first = statuses()
    assert first[f"{DAY1}/data_20260101_000001.parquet"] == ("valid", None, "channel VARCHAR")
    status, reason, _ = first[f"{DAY1}/data_20260101_000002.parquet"]
    assert status == "quarantined" and reason.startswith("schema drift conflict: channel: type")
    assert first[f"{DAY1}/data_20260101_000003.parquet"] == ("valid", None, None)
    # the next build reuses the verdicts of unchanged bytes, and re-judges drift: with the
    # first file gone, the INTEGER channel is the earliest, and valid
    rows = {str(f.path): {"file_signature": f.file_signature, "contract_version":
                          f.contract_version, "row_count": f.row_count, "status": f.status,
                          "reason": f.reason, "extra_columns": f.extra_columns,
                          "checked_at": f.checked_at, "discovered_at": f.discovered_at}
            for f in lake_inventory(db, lake, None, now)}  # fmt: skip
    assert statuses(rows) == first
    (day / "data_20260101_000001.parquet").unlink()
    assert statuses(rows)[f"{DAY1}/data_20260101_000002.parquet"] == (
        "valid", None, "channel INTEGER"
    )  # fmt: skip

    # a linked feeds/ folder is never read: no feed is defined, nothing lands
    other = tmp_path / "other_feeds"
    shutil.move(lake / "feeds", other)
    (lake / "feeds").symlink_to(other)
    assert feed_definitions(lake) == ([], [])
    linked = statuses()
    assert linked["feeds"][0] == "refused"
    assert linked[f"{DAY1}/data_20260101_000003.parquet"][0] == "ignored"
    # a linked lake folder is one refused entry; its metadata is never read either
    (lake / "feeds").unlink()
    shutil.move(other, lake / "feeds")
    (lake / "streams/transaction_stream/_metadata.json").write_text('{"name": "x"}')
    feed = {"name": "transaction_stream", "path": "streams/transaction_stream"}
    assert read_metadata(lake, feed) == ({"name": "x"}, None)
    alias = tmp_path / "alias"
    alias.symlink_to(lake)
    assert read_metadata(alias, feed)[1].endswith("behind a symbolic link, never read")
    entries = lake_inventory(db, alias, None, now)
    assert [(e.lake_path, e.status, e.file_kind) for e in entries] == [(".", "refused", "lake")]
    assert feed_definitions(alias)[0] == []
