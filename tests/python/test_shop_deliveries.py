"""Shop extracts that duckhouse did not write: a corpus of hostile deliveries written here
(not by the demo generator's fault injector), each with the outcome it must get -- the value
that lands, or the quarantine rule and reason, or the file's place in the inventory -- and
the accounting: every file of the zone listed, every line of every extract in a record.
The delivered zone is byte-identical before and after every command and a Dagster run."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest

from conftest import Lakehouse, make_env, tree_digest
from duckhouse.ingest.files import printable

TENANT = "deliv"
OTHER = "other_t"
HEADER = "order_id,customer_id,product_id,order_date,quantity,amount,status,payment_method"
CUSTOMERS = (
    "customer_id,email,first_name,last_name,city,state,country,registration_date,segment\n"
    "1,ada@example.com,Ada,Abe,Austin,TX,US,2024-03-01,Premium\n"
    "2,ben@example.com,Ben,Brandt,Denver,CO,US,2024-04-01,Standard\n"
    "3,chloe@example.com,Chloe,Costa,Lyon,ARA,FR,2024-05-01,Basic\n"
)
PRODUCTS_HEADER = "product_id,product_name,category,price,stock\n"


@dataclass(frozen=True)
class Expect:
    """What must become of one record (`line`) of `file`, or of the whole file (line None)."""

    case: str
    file: str  # relative to the shop zone
    line: int | None
    status: str  # landed | rejected | extract | ignored | refused
    rule: str | None = None  # quarantine rule (rejected) or the reason substring (files)
    reason: str | None = None
    values: dict | None = None  # landed values to check


def _registry(path: Path) -> None:
    path.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: Delivered shop\n"
        "    sources:\n"
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 1, events_per_day: 20, files_per_day: 1}\n"
        "      shop: {mode: delivered, valid_from: '2020-01-01', future_days: 30}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
        f"  - id: {OTHER}\n"
        "    display_name: Another tenant\n"
        "    sources:\n"
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 1, events_per_day: 20, files_per_day: 1}\n"
        "      shop: {mode: delivered}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


class Corpus:
    """Writes hostile extracts into a shop zone and records what each must become."""

    def __init__(self, zone: Path) -> None:
        self.zone = zone
        self.expected: list[Expect] = []
        self.next_id = 1000

    def order(self, **changes: str) -> str:
        self.next_id += 1
        values = {
            "order_id": str(self.next_id),
            "customer_id": "1",
            "product_id": "1",
            "order_date": "2025-06-01",
            "quantity": "2",
            "amount": "20.00",
            "status": "completed",
            "payment_method": "paypal",
        }
        values.update(changes)
        return ",".join(values[c] for c in HEADER.split(","))

    def write(self, relative: str, data: bytes) -> Path:
        path = self.zone / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def expect(self, *args: object, **kwargs: object) -> None:
        self.expected.append(Expect(*args, **kwargs))


def _write_corpus(zone: Path, other_zone: Path) -> Corpus:
    corpus = Corpus(zone)
    corpus.write("customers/customers_0001.csv", CUSTOMERS.encode())
    corpus.write(
        "products/products_0001.csv",
        (
            PRODUCTS_HEADER + "1,Lamp,Home,10.00,5\n2,Book,Books,8.50,3\n3,Ball,Toys,4.25,9\n"
        ).encode(),
    )
    # the latest delivery of product 1 is sequence 2; a backup copy sorts after it by path
    corpus.write("products/products_0002.csv", (PRODUCTS_HEADER + "1,Lamp,Home,12.50,5\n").encode())
    corpus.write(
        "products/products_old_backup.csv", (PRODUCTS_HEADER + "1,Lamp,Home,99.99,5\n").encode()
    )
    corpus.expect(
        "backup copy", "products/products_old_backup.csv", None, "ignored", "no delivery sequence"
    )

    # ---- values: one line each, in one clean LF file (DuckDB's line reader) -------------
    values = [
        ("decimal quantity", {"quantity": "2.7"}, "contract", "quantity: not a valid integer"),
        ("hex quantity", {"quantity": "0x10"}, "contract", "quantity: not a valid integer"),
        ("digit separator", {"quantity": "1_000"}, "contract", "quantity: not a valid integer"),
        ("leading space", {"quantity": " 2"}, "contract", "quantity: not a valid integer"),
        ("plus sign", {"quantity": "+2"}, "contract", "quantity: not a valid integer"),
        ("integer overflow", {"quantity": "99999999999"}, "contract", "not a valid integer"),
        ("leading zero id", {"order_id": "09383"}, "contract", "order_id: not a valid integer"),
        ("three decimals", {"amount": "20.005"}, "contract", "amount: not a valid decimal"),
        ("rounds to zero", {"amount": "0.004"}, "contract", "amount: not a valid decimal"),
        ("exponent", {"amount": "1e3"}, "contract", "amount: not a valid decimal"),
        ("infinity", {"amount": "infinity"}, "contract", "amount: not a valid decimal"),
        ("nan", {"amount": "NaN"}, "contract", "amount: not a valid decimal"),
        ("decimal comma", {"amount": "20,00"}, "contract", "too many fields (9 of 8)"),
        ("decimal overflow", {"amount": "12345678901.00"}, "contract", "not a valid decimal"),
        (
            "timestamp as date",
            {"order_date": "2025-06-01T10:00:00"},
            "contract",
            "order_date: not a valid date",
        ),
        ("no such day", {"order_date": "2025-02-30"}, "contract", "order_date: not a valid date"),
        ("short date", {"order_date": "2025-6-1"}, "contract", "order_date: not a valid date"),
        ("far future", {"order_date": "2099-12-31"}, "order_date_plausible", "outside"),
        ("far past", {"order_date": "1900-01-01"}, "order_date_plausible", "outside"),
        ("negative id", {"customer_id": "-5"}, "customer_id_not_negative", "negative id"),
        ("negative amount", {"amount": "-0.50"}, "amount_not_negative", "zero or more"),
        ("unknown status", {"status": "shipped"}, "status_known", "unknown status 'shipped'"),
        ("empty key", {"order_id": ""}, "order_id_present", "order_id is empty"),
    ]
    lines = [HEADER]
    for case, changes, rule, reason in values:
        lines.append(corpus.order(**changes))
        corpus.expect(case, "orders/orders_0002.csv", len(lines), "rejected", rule, reason)
    lines.append(corpus.order() + ",,")
    corpus.expect(
        "empty trailing fields",
        "orders/orders_0002.csv",
        len(lines),
        "rejected",
        "contract",
        "too many fields (10 of 8)",
    )
    lines.append(",".join(corpus.order().split(",")[:6]))
    corpus.expect(
        "too few fields",
        "orders/orders_0002.csv",
        len(lines),
        "rejected",
        "contract",
        "too few fields (6 of 8)",
    )
    lines.append("")
    corpus.expect(
        "blank line mid-file",
        "orders/orders_0002.csv",
        len(lines),
        "rejected",
        "contract",
        "blank line",
    )
    lines.append(HEADER)
    corpus.expect(
        "repeated header",
        "orders/orders_0002.csv",
        len(lines),
        "rejected",
        "contract",
        "header line repeated",
    )
    lines.append(corpus.order(amount="20", quantity="1", customer_id="2"))
    landed_id = corpus.next_id
    expected = {"order_id": landed_id, "amount": Decimal("20.00"), "quantity": 1}
    corpus.expect("integer amount", "orders/orders_0002.csv", len(lines), "landed", values=expected)
    corpus.write("orders/orders_0002.csv", ("\n".join(lines) + "\n").encode())

    # ---- structure: RFC 4180 (Python's reader) ----------------------------------------
    def structured(name: str, case: str, data: bytes, checks: list[tuple]) -> None:
        corpus.write(f"orders/{name}", data)
        for line, status, *rest in checks:
            if status == "landed":
                corpus.expect(case, f"orders/{name}", line, "landed", values=rest[0])
            else:
                corpus.expect(case, f"orders/{name}", line, "rejected", rest[0], rest[1])

    a, b = corpus.order(), corpus.order()
    structured(
        "orders_0003.csv",
        "CRLF line ends",
        f"{HEADER}\r\n{a}\r\n{b}\r\n".encode(),
        [(2, "landed", {"payment_method": "paypal"}), (3, "landed", {})],
    )
    a, b = corpus.order(), corpus.order()
    structured(
        "orders_0004.csv",
        "CR line ends",
        f"{HEADER}\r{a}\r{b}\r".encode(),
        [(2, "landed", {"payment_method": "paypal"}), (3, "landed", {})],
    )
    a = corpus.order()
    structured(
        "orders_0005.csv",
        "UTF-8 BOM",
        b"\xef\xbb\xbf" + f"{HEADER}\n{a}\n".encode(),
        [(2, "landed", {"order_id": corpus.next_id})],
    )
    quoted = corpus.order(payment_method='"credit, card"')
    quoted_id = corpus.next_id
    newline = corpus.order(payment_method='"pay\r\npal"')
    newline_id = corpus.next_id
    escaped = corpus.order(payment_method='"pay""pal"')
    after = corpus.order()
    structured(
        "orders_0006.csv",
        "RFC 4180 quoting",
        f"{HEADER}\n{quoted}\n{newline}\n{escaped}\n{after}".encode(),  # no last newline
        [
            (2, "landed", {"order_id": quoted_id, "payment_method": "credit, card"}),
            (3, "landed", {"order_id": newline_id, "payment_method": "pay\r\npal"}),
            (5, "landed", {"payment_method": 'pay"pal'}),
            (6, "landed", {}),
        ],
    )
    bad_quote = corpus.order(payment_method='"pay"pal')
    nul = corpus.order(payment_method="pay\x00pal")
    latin = corpus.order().encode().replace(b"paypal", "paypäl".encode("latin-1"))
    good = corpus.order()
    open_quote = corpus.order(payment_method='"never closed')
    structured(
        "orders_0007.csv",
        "bad bytes and quotes",
        f"{HEADER}\n{bad_quote}\n{nul}\n".encode() + latin + f"\n{good}\n\n{open_quote}\n".encode(),
        [
            (2, "rejected", "contract", "badly quoted value"),
            (3, "rejected", "contract", "NUL byte"),
            (4, "rejected", "contract", "not UTF-8"),
            (5, "landed", {"order_id": corpus.next_id - 1}),
            (6, "rejected", "contract", "blank line"),
            (7, "rejected", "contract", "never closed"),
        ],
    )

    # ---- names, compression, layout -----------------------------------------------------
    a = corpus.order()
    structured(
        "orders_0008.CSV",
        "upper-case extension",
        f"{HEADER}\n{a}\n".encode(),
        [(2, "landed", {"order_id": corpus.next_id})],
    )
    a = corpus.order(quantity="3")
    structured(
        "orders_0009.csv.gz",
        "gzip",
        gzip.compress(f"{HEADER}\n{a}\n".encode()),
        [(2, "landed", {"order_id": corpus.next_id, "quantity": 3})],
    )
    corpus.write("orders/orders_0010.csv.gz", b"this is not gzip\n")
    corpus.expect(
        "corrupt gzip",
        "orders/orders_0010.csv.gz",
        0,
        "rejected",
        "contract",
        "not a readable gzip file",
    )
    corpus.write("orders/orders_0011.csv", b"")
    corpus.expect(
        "empty file", "orders/orders_0011.csv", 0, "rejected", "contract", "empty file (0 bytes)"
    )
    corpus.write("orders/orders_0012.csv", f"{HEADER}\n".encode())
    corpus.expect("header only", "orders/orders_0012.csv", None, "extract")
    # a header that breaks the contract with no records after it: the file's own row says why
    for name, data, reason in [
        ("orders_0017.csv", b"order_id,customer_id\n", "missing column(s) product_id"),
        ("orders_0018.csv", b"garbage\n", "missing column(s) order_id"),
        ("orders_0019.csv", b"\n", "in the header ''"),
        ("orders_0021.csv", HEADER.replace(",", ";").encode(), "wrong delimiter ';'"),
    ]:
        corpus.write(f"orders/{name}", data)
        corpus.expect(f"bad header only {data[:12]!r}", f"orders/{name}", 0, "rejected",
                      "contract", reason)  # fmt: skip
    a = corpus.order(quantity="4")
    structured(
        "orders_0013 it's [x]*?.csv",
        "quote and glob characters",
        f"{HEADER}\n{a}\n".encode(),
        [(2, "landed", {"order_id": corpus.next_id, "quantity": 4})],
    )
    a = corpus.order(quantity="5")
    structured(
        "orders_0014_café ☕.csv",
        "unicode name",
        f"{HEADER}\n{a}\n".encode(),
        [(2, "landed", {"order_id": corpus.next_id, "quantity": 5})],
    )
    header = HEADER.replace(",", ";")
    structured(
        "orders_0015.csv",
        "wrong delimiter",
        f"{header}\n{corpus.order().replace(',', ';')}\n".encode(),
        [(2, "rejected", "contract", "wrong delimiter ';'")],
    )
    structured(
        "orders_0016.csv",
        "missing column",
        (HEADER.rsplit(",", 1)[0] + "\n" + corpus.order().rsplit(",", 1)[0] + "\n").encode(),
        [(2, "rejected", "contract", "missing column(s) payment_method")],
    )
    # the delivery order is the sequence number: 9 before 10, whatever the path sort says
    first = corpus.order()
    duplicate_id = corpus.next_id
    structured(
        "orders_99.csv",
        "sequence 99",
        f"{HEADER}\n{first}\n".encode(),
        [(2, "landed", {"order_id": duplicate_id})],
    )
    structured(
        "orders_100.csv",
        "sequence 100",
        f"{HEADER}\n{corpus.order(order_id=str(duplicate_id))}\n".encode(),
        [(2, "rejected", "order_id_unique", "orders_99.csv:2")],
    )

    for relative, reason in (
        ("orders/old/orders_0001.csv", "sub-folder"),
        ("orders/.orders_0020.csv.part", "partial"),
        ("orders/README.txt", "not a CSV extract"),
        ("notes.csv", "not in an entity folder"),
        ("returns/returns_0001.csv", "not an entity folder"),
    ):
        corpus.write(relative, f"{HEADER}\n{corpus.order(order_id='1')}\n".encode())
        corpus.expect(f"ignored {relative}", relative, None, "ignored", reason)

    # another tenant's extract, reached through a link: never read
    other_zone.mkdir(parents=True, exist_ok=True)
    secret = other_zone / "orders_0001.csv"
    secret.write_text(f"{HEADER}\n{corpus.order(amount='777.77')}\n")
    (zone / "orders" / "orders_0030.csv").symlink_to(secret)
    corpus.expect(
        "symlink to another tenant", "orders/orders_0030.csv", None, "refused", "symbolic link"
    )
    undecodable = zone / "orders" / os.fsdecode(b"orders_0032_\xff.csv")
    undecodable.write_text(f"{HEADER}\n{corpus.order()}\n")
    corpus.expect("name not UTF-8", "orders/orders_0032_\\xff.csv", None, "refused",
                  "not valid UTF-8")  # fmt: skip
    # another tenant's extract, reached through a hard link: the same bytes under two names
    os.link(secret, zone / "orders" / "orders_0033.csv")
    corpus.expect("hard link to another tenant", "orders/orders_0033.csv", None, "refused",
                  "hard link")  # fmt: skip
    # a gzip bomb: 200 KB that would expand to hundreds of MB
    corpus.write("orders/orders_0034.csv.gz",
                 gzip.compress(HEADER.encode() + b"\n" + b"\n" * (300 << 20), 9))  # fmt: skip
    corpus.expect("gzip bomb", "orders/orders_0034.csv.gz", 0, "rejected", "contract",
                  "refused as a gzip bomb")  # fmt: skip
    fifo = zone / "orders" / "orders_0031.csv"
    os.mkfifo(fifo)
    corpus.expect("named pipe", "orders/orders_0031.csv", None, "refused", "not a regular file")
    return corpus


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    root = tmp_path_factory.mktemp("deliveries")
    registry = root / "tenants.yml"
    _registry(registry)
    house = Lakehouse(root / "data", registry, root / "profiles", make_env(root, registry))
    zone = house.landing(TENANT) / "shop"
    corpus = _write_corpus(zone, house.landing(OTHER) / "shop" / "orders")
    before = tree_digest(zone)
    built = house.cli("build", TENANT)
    return house, zone, corpus, before, built


def _rows(house: Lakehouse, sql: str, *params: object) -> list[tuple]:
    with house.connect(TENANT) as connection:
        return connection.execute(sql, list(params)).fetchall()


def test_every_hostile_delivery_gets_its_outcome(delivered) -> None:
    house, zone, corpus, _, built = delivered
    assert len(corpus.expected) >= 52, len(corpus.expected)
    landed = {}
    with house.connect(TENANT) as connection:
        relation = connection.sql(
            "select * from bronze.landed_shop__orders union all by name "
            "select * from bronze.landed_shop__products"
        )
        names = relation.columns
        for row in relation.fetchall():
            record = dict(zip(names, row, strict=True))
            landed[(record["_source_file"], record["_line"])] = record
        quarantine = {
            (file, line): (rule, reason)
            for file, line, rule, reason in connection.execute(
                "select _source_file, _line, rule_name, reason from bronze.quarantine_shop__lines"
            ).fetchall()
        }
        files = {
            zone_path: (status, reason)
            for zone_path, status, reason in connection.execute(
                "select zone_path, status, reason from bronze.inventory_shop__files"
            ).fetchall()
        }
        bronze_orders = {
            row[0]
            for row in connection.execute("select order_id from bronze.stg_shop__orders").fetchall()
        }
    problems = []
    for expect in corpus.expected:
        path = str(zone / expect.file)
        if expect.line is None:
            status, reason = files.get(expect.file, (None, None))
            if status != expect.status or (expect.rule and expect.rule not in (reason or "")):
                problems.append(f"{expect.case}: file {expect.file} is {status} ({reason})")
            continue
        record = landed.get((path, expect.line))
        if expect.status == "landed":
            if record is None or record["_status"] != "landed":
                problems.append(
                    f"{expect.case}: {expect.file}:{expect.line} did not land "
                    f"({record and record['_reject_reason']})"
                )
                continue
            for column, value in (expect.values or {}).items():
                if record[column] != value:
                    problems.append(f"{expect.case}: {column} = {record[column]!r}, not {value!r}")
            if "order_id" in record and record["order_id"] not in bronze_orders:
                why = quarantine.get((path, expect.line))
                problems.append(f"{expect.case}: typed but not in bronze ({why})")
        else:
            rule, reason = quarantine.get((path, expect.line), (None, None))
            if rule != expect.rule or expect.reason not in (reason or ""):
                problems.append(
                    f"{expect.case}: {expect.file}:{expect.line} quarantined as {rule!r} "
                    f"{reason!r}, expected {expect.rule!r} ~ {expect.reason!r}"
                )
    assert not problems, "\n".join(problems)
    # the latest delivery of a product wins by sequence, the ignored backup never lands
    (price,) = _rows(house, "select price from silver.dim_shop_product where product_id = 1")[0]
    assert price == Decimal("12.50")
    # the other tenant's file behind the link never landed anywhere
    assert not _rows(house, "select * from bronze.landed_shop__orders where amount = 777.77")
    # the build said what it did not land
    for expect in corpus.expected:
        if expect.status in ("ignored", "refused"):
            assert expect.file in built.stdout, expect.file


def test_every_file_and_line_is_accounted_for(delivered) -> None:
    house, zone, _, _, _ = delivered
    found = set()
    for folder, dirs, files in os.walk(zone, followlinks=False):
        found |= {str((Path(folder) / n).relative_to(zone)) for n in files}
        found |= {
            str((Path(folder) / d).relative_to(zone))
            for d in dirs
            if (Path(folder) / d).is_symlink()
        }
    inventory = {
        row[0]: row[1:]
        for row in _rows(
            house,
            "select zone_path, status, physical_lines, record_lines, "
            "records_landed, records_rejected from bronze.inventory_shop__files",
        )
    }
    found = {printable(name) for name in found}
    assert set(inventory) == found, set(inventory) ^ found
    for zone_path, (status, physical, record_lines, landed, rejected) in inventory.items():
        if status != "extract":
            continue
        counted = landed + rejected
        (records,) = _rows(
            house,
            "select count(*) from (select _source_file from "
            "bronze.landed_shop__orders union all select _source_file from "
            "bronze.landed_shop__products union all select _source_file from "
            "bronze.landed_shop__customers) where _source_file = ?",
            str(zone / zone_path),
        )[0]
        assert records == counted, zone_path
        if physical:  # the header and the lines of its records: every line of the file
            assert physical == record_lines + 1, (zone_path, physical, record_lines)
        else:
            assert (landed, rejected) == (0, 1), zone_path  # the file's own row, at line 0
    # and every typed line is in bronze or in the quarantine, once
    assert not _rows(
        house,
        "select * from (select _source_file, _line from "
        "bronze.landed_shop__orders where _status = 'landed' except all "
        "(select _source_file, _line from bronze.stg_shop__orders union all "
        "select _source_file, _line from "
        "bronze.rule_failures_shop__orders))",
    )


def test_the_delivered_zone_is_never_written(delivered, monkeypatch) -> None:
    house, zone, _, before, _ = delivered
    assert tree_digest(zone) == before, "the build changed the delivered zone"
    commands = [
        ("profiles",),
        ("prepare", TENANT),
        ("feeds", "list", TENANT),
        ("land", TENANT),
        ("list",),
        ("list", "--json"),
        ("query", TENANT, "select 1"),
        ("build", TENANT, "--force-land"),
        ("build", TENANT, "--full-refresh"),
    ]
    for command in commands:
        house.cli(*command)
        assert tree_digest(zone) == before, f"duckhouse {' '.join(command)} changed it"
    for refused in (("shop", "generate", TENANT), ("shop", "inject", TENANT, "bad-date")):
        result = house.cli(*refused, check=False)
        assert result.returncode != 0 and "delivered" in result.stderr, result.stderr
        assert tree_digest(zone) == before, f"duckhouse {' '.join(refused)} changed it"
    # a Dagster run of the tenant's job, in process
    for name, value in house.env.items():
        if name.startswith(("DUCKHOUSE_", "DBT_")):
            monkeypatch.setenv(name, value)
    from duckhouse.orchestration.definitions import build_definitions

    result = (
        build_definitions()
        .resolve_job_def(f"{TENANT}_build")
        .execute_in_process(instance=dg.DagsterInstance.ephemeral())
    )
    assert result.success
    assert tree_digest(zone) == before, "a Dagster run changed the delivered zone"


def test_corrections_and_removals_land_on_the_next_build(delivered) -> None:
    """A file corrected in place with the same size and modification time is read again
    (its content changed); a bad file removed stops counting, with no --full-refresh."""
    house, zone, _, _, _ = delivered
    target = zone / "orders" / "orders_0005.csv"
    info = target.stat()
    text = target.read_bytes()
    corrected = text.replace(b",2,20.00,", b",3,30.00,")
    assert len(corrected) == len(text)
    target.write_bytes(corrected)
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    (zone / "orders" / "orders_0007.csv").unlink()
    house.cli("build", TENANT)
    rows = _rows(
        house,
        "select quantity, amount from bronze.landed_shop__orders "
        "where _source_file = ? and _line = 2",
        str(target),
    )
    assert rows == [(3, Decimal("30.00"))]
    assert not _rows(
        house,
        "select * from bronze.quarantine_shop__lines where _source_file = ?",
        str(zone / "orders" / "orders_0007.csv"),
    )
    (count,) = _rows(
        house, "select count(*) from silver.fct_shop_orders where _source_file = ?", str(target)
    )[0]
    assert count == 1


def test_a_new_tenant_is_delivered_unless_demo_data_is_asked_for(tmp_path) -> None:
    import yaml

    registry = tmp_path / "tenants.yml"
    registry.write_text("tenants: []\n")
    house = Lakehouse(
        tmp_path / "data", registry, tmp_path / "profiles", make_env(tmp_path, registry)
    )
    house.cli("create", "plain")
    house.cli("create", "demo_t", "--demo")
    house.cli("create", "sized", "--shop-orders", "50")
    sources = {t["id"]: t["sources"] for t in yaml.safe_load(registry.read_text())["tenants"]}
    assert sources["plain"]["ksqldb"]["mode"] == sources["plain"]["shop"]["mode"] == "delivered"
    assert sources["demo_t"]["ksqldb"]["mode"] == sources["demo_t"]["shop"]["mode"] == "generated"
    assert sources["sized"]["shop"]["mode"] == "generated"
    assert sources["sized"]["ksqldb"]["mode"] == "delivered"
    # landing a delivered tenant writes nothing into its ksqlDB and shop zones
    landed = house.cli("land", "plain")
    assert "nothing delivered yet" in landed.stdout, landed.stdout
    assert sorted(p.name for p in house.landing("plain").iterdir()) == ["tpch"]
    # a registry entry that does not say who writes a zone is refused, naming it
    registry.write_text(registry.read_text().replace("mode: delivered", "seed: 3", 1))
    refused = house.cli("list", check=False)
    assert refused.returncode == 2 and "missing required field 'mode'" in refused.stderr


@pytest.mark.fast
def test_a_zone_reached_through_a_linked_folder_is_never_read(tmp_path) -> None:
    """A link at the zone, at landing/ or at the tenant's folder: the whole zone is refused."""
    from duckhouse.ingest.ksqldb import scan_lake
    from duckhouse.ingest.shop import scan_zone

    victim = tmp_path / "victim" / "landing"
    (victim / "shop" / "orders").mkdir(parents=True)
    (victim / "shop" / "orders" / "orders_0001.csv").write_text(f"{HEADER}\n")
    (victim / "ksqldb" / "feeds" / "active").mkdir(parents=True)
    for linked in ("tenant", "landing"):
        attacker = tmp_path / f"attacker_{linked}"
        if linked == "tenant":
            attacker.symlink_to(tmp_path / "victim")
        else:
            attacker.mkdir()
            (attacker / "landing").symlink_to(victim)
        shop = scan_zone(attacker / "landing" / "shop")
        assert [(f.status, "symbolic link" in f.reason) for f in shop] == [("refused", True)]
        lake = scan_lake(attacker / "landing" / "ksqldb")
        assert [(f.status, "symbolic link" in f.reason) for f in lake] == [("refused", True)]


@pytest.mark.fast
def test_inventory_reads_again_only_the_files_written_since_it_counted(tmp_path) -> None:
    """The inventory reuses a file's line count while its stat key is the one it was
    counted at; a file corrected in place -- same size, its modification time put back --
    is read again (its change time moved), and so is a file replaced by another."""
    from duckhouse.ingest.shop import COLUMNS, zone_inventory

    zone = tmp_path / "t" / "landing" / "shop"
    header = ",".join(COLUMNS["orders"]) + "\n"
    (zone / "orders").mkdir(parents=True)
    kept, corrected, replaced = (zone / "orders" / f"orders_000{n}.csv" for n in (1, 2, 3))
    for path in (kept, corrected, replaced):
        path.write_text(header + "1,1,1,2025-01-01,1,10.00,completed,card\n")
    first = {row["file_path"]: row for row in zone_inventory(zone)}
    assert {row["physical_lines"] for row in first.values()} == {2}
    # a count the inventory could only have reused, never counted: 99
    known = {path: (row["stat_key"], 99) for path, row in first.items()}
    before = os.stat(corrected)
    corrected.write_text(header + "1,1,1,2025-01-01,1,10.00,completed,car\n\n")
    os.utime(corrected, ns=(before.st_atime_ns, before.st_mtime_ns))
    replaced.unlink()
    replaced.write_text(header + "2,1,1,2025-01-01,1,10.00,completed,card\n")
    again = {row["file_path"]: row["physical_lines"] for row in zone_inventory(zone, known)}
    assert again == {str(kept): 99, str(corrected): 3, str(replaced): 2}


@pytest.mark.fast
@pytest.mark.parametrize("limit", [7, 16, 1 << 20])
def test_fast_path_numbers_every_line_from_its_place_in_the_file(tmp_path, limit) -> None:
    """The fast path reads a file in pieces (here a few bytes each: pieces end at line
    ends, a line longer than a piece is one of its own) and numbers each line from where
    it is in the file: blank lines kept, a last line without an end kept, none added."""
    import duckdb

    from duckhouse.ingest import shop

    data = b"h1,h2\n1,a\n\n2,a-much-longer-line-than-a-piece\n3,c\n\n\n4,d"
    copy = tmp_path / "copy.csv"
    copy.write_bytes(data)
    original = shop.PIECE_BYTES
    shop.PIECE_BYTES = limit
    try:
        with duckdb.connect() as session:
            shop._lines_fast(session, copy, data, "t")
            lines = session.execute("select line, raw from t order by line").fetchall()
    finally:
        shop.PIECE_BYTES = original
    expected = [(n, text.decode() or None) for n, text in enumerate(data.split(b"\n"), 1)]
    assert lines == expected
    assert list(tmp_path.iterdir()) == [copy], "the pieces are removed"
    with duckdb.connect() as session:  # ending with a line end: no empty line after it
        copy.write_bytes(data + b"\n")
        shop._lines_fast(session, copy, data + b"\n", "t")
        assert session.execute("select count(*), max(line) from t").fetchone() == (8, 8)


@pytest.mark.fast
def test_copies_a_killed_landing_left_are_removed_after_a_day(tmp_path) -> None:
    """A build killed while landing leaves its private copies in <tenant>/.landing-work;
    the next landing removes those a day old or more, and nothing else there."""
    from duckhouse.ingest import shop

    work = tmp_path / "t" / ".landing-work"
    work.mkdir(parents=True)
    old, fresh, other = work / "a.copy", work / "b.piece", work / "notes.txt"
    for path in (old, fresh, other):
        path.write_text("x")
    day_ago = os.stat(old).st_mtime - shop.STALE_WORK_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    os.utime(other, (day_ago, day_ago))
    zone_file = shop.ZoneFile(path=tmp_path / "t" / "landing" / "shop" / "orders" / "o.csv",
                              relative="orders/o.csv", entity="orders", sequence=1,
                              status="extract", reason=None, size=0)  # fmt: skip
    assert shop._work_dir(zone_file) == work
    assert sorted(p.name for p in work.iterdir()) == ["b.piece", "notes.txt"]
