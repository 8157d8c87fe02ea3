"""The e-commerce shop's CSV extracts of a tenant: generate them, and dirty them.

In production the shop drops these files; for the demo, the tests and the benchmarks
they are generated here, deterministically from the registry's seed (DESIGN.md, source 3):

    <landing>/shop/customers/customers_0001.csv   id, email, names, city, state, country,
                                                  registration date, segment
    <landing>/shop/products/products_0001.csv     id, name, category, price, stock
    <landing>/shop/orders/orders_0001.csv         id, customer, product, order date,
                                                  quantity, amount, status, payment method

Every value is a hash of (seed, row number, field), so an extract is the same on every
machine. `inject` adds the dirt real extracts have, as extra lines in the newest file of an
entity or as a new extract file (`<entity>_<NNNN>.csv`), and records what it wrote in
`_faults.json` so that tests can check where each fault must surface.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from duckhouse.paths import landing_dir
from duckhouse.tenants import Tenant

ENTITIES = ("customers", "products", "orders")
# The data contract of the extracts: column names and types, declared, never sniffed.
CONTRACT = {
    "customers": {
        "customer_id": "BIGINT", "email": "VARCHAR", "first_name": "VARCHAR",
        "last_name": "VARCHAR", "city": "VARCHAR", "state": "VARCHAR", "country": "VARCHAR",
        "registration_date": "DATE", "segment": "VARCHAR",
    },
    "products": {
        "product_id": "BIGINT", "product_name": "VARCHAR", "category": "VARCHAR",
        "price": "DECIMAL(12, 2)", "stock": "INTEGER",
    },
    "orders": {
        "order_id": "BIGINT", "customer_id": "BIGINT", "product_id": "BIGINT",
        "order_date": "DATE", "quantity": "INTEGER", "amount": "DECIMAL(12, 2)",
        "status": "VARCHAR", "payment_method": "VARCHAR",
    },
}  # fmt: skip
COLUMNS = {entity: tuple(columns) for entity, columns in CONTRACT.items()}
SEGMENTS = ("Premium", "Standard", "Basic")
STATUSES = ("completed", "pending", "cancelled")
CATEGORIES = ("Electronics", "Books", "Home", "Garden", "Toys", "Fashion", "Sports", "Food")
PAYMENT_METHODS = ("credit_card", "paypal", "bank_transfer", "invoice")
PLACES = (
    ("Austin", "TX", "US"), ("Denver", "CO", "US"), ("Seattle", "WA", "US"),
    ("Boston", "MA", "US"), ("Toronto", "ON", "CA"), ("Vancouver", "BC", "CA"),
    ("Hamburg", "HH", "DE"), ("Cologne", "NW", "DE"), ("Lyon", "ARA", "FR"),
    ("Madrid", "MD", "ES"),
)  # fmt: skip
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jon")
LAST_NAMES = ("Abe", "Brandt", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen")
FAULTS = (
    "bad-date", "bad-number", "negative-quantity", "unknown-status", "duplicate-id",
    "missing-column", "extra-column", "stray-header", "wrong-delimiter", "wrong-encoding",
)  # fmt: skip
FAULTS_NAME = "_faults.json"


class ShopError(RuntimeError):
    """The extracts cannot be generated or changed; the message names tenant and path."""


@dataclass(frozen=True)
class ShopResult:
    tenant_id: str
    path: Path
    rows: dict[str, int]


def shop_dir(tenant_id: str) -> Path:
    return landing_dir(tenant_id) / "shop"


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


class Shop:
    def __init__(self, tenant: Tenant, root: Path | None = None) -> None:
        self.tenant = tenant
        self.root = root or shop_dir(tenant.id)

    def files(self, entity: str) -> list[Path]:
        return sorted((self.root / entity).glob(f"{entity}_*.csv"))

    # ---- generation ---------------------------------------------------------------------
    def generate(self) -> ShopResult:
        """Write the three extracts (one file each) from the registry's sizes and seed."""
        source = self.tenant.shop
        seed = source.seed
        for entity in ENTITIES:
            (self.root / entity).mkdir(parents=True, exist_ok=True)
            for old in self.files(entity):
                old.unlink()
        (self.root / FAULTS_NAME).unlink(missing_ok=True)
        places = [f"{{'city': '{c}', 'state': '{s}', 'country': '{k}'}}" for c, s, k in PLACES]
        with duckdb.connect() as connection:
            connection.execute(
                f"create macro pick(i, field, n) as cast(hash(i, {seed}, field) % n as bigint)"
            )
            connection.execute(f"""
                create table customers as
                with numbered as (select range as i from range(1, {source.customers + 1}))
                select
                    i as customer_id,
                    'customer' || i || '@example.com' as email,
                    {_sql_list(FIRST_NAMES)}[1 + pick(i, 'first', {len(FIRST_NAMES)})]
                        as first_name,
                    {_sql_list(LAST_NAMES)}[1 + pick(i, 'last', {len(LAST_NAMES)})] as last_name,
                    [{", ".join(places)}][1 + pick(i, 'place', {len(PLACES)})] as place,
                    date '{source.start_date}' - cast(pick(i, 'reg', 730) as integer)
                        as registration_date,
                    -- one in five Premium, two in five Standard and Basic each
                    {_sql_list(SEGMENTS)}[1 + (pick(i, 'seg', 5) + 1) // 2] as segment
                from numbered
            """)
            connection.execute(f"""
                create table products as
                with numbered as (select range as i from range(1, {source.products + 1}))
                select
                    i as product_id,
                    'Product ' || lpad(cast(i as varchar), 4, '0') as product_name,
                    {_sql_list(CATEGORIES)}[1 + pick(i, 'cat', {len(CATEGORIES)})] as category,
                    cast((199 + pick(i, 'price', 49800)) / 100 as decimal(12, 2)) as price,
                    cast(pick(i, 'stock', 500) as integer) as stock
                from numbered
            """)
            connection.execute(f"""
                create table orders as
                with numbered as (select range as i from range(1, {source.orders + 1})),
                drawn as (
                    select
                        i as order_id,
                        1 + pick(i, 'cust', {source.customers}) as customer_id,
                        1 + pick(i, 'prod', {source.products}) as product_id,
                        date '{source.start_date}' + cast(pick(i, 'day', {source.days}) as integer)
                            as order_date,
                        cast(1 + pick(i, 'qty', 5) as integer) as quantity,
                        -- 80 % completed, 12 % pending, 8 % cancelled
                        case
                            when pick(i, 'status', 100) < 80 then 'completed'
                            when pick(i, 'status', 100) < 92 then 'pending'
                            else 'cancelled'
                        end as status,
                        {_sql_list(PAYMENT_METHODS)}[1 + pick(i, 'pay', {len(PAYMENT_METHODS)})]
                            as payment_method
                    from numbered
                )
                select
                    drawn.order_id, drawn.customer_id, drawn.product_id, drawn.order_date,
                    drawn.quantity, cast(drawn.quantity * products.price as decimal(12, 2))
                        as amount,
                    drawn.status, drawn.payment_method
                from drawn
                join products using (product_id)
                order by drawn.order_id
            """)
            columns = {
                "customers": "customer_id, email, first_name, last_name, place.city as city, "
                "place.state as state, place.country as country, registration_date, segment",
                "products": "*",
                "orders": "*",
            }
            rows = {}
            for entity in ENTITIES:
                target = self.root / entity / f"{entity}_0001.csv"
                connection.execute(
                    f"copy (select {columns[entity]} from {entity} order by 1) to '{target}' "
                    "(header, delimiter ',')"
                )
                rows[entity] = connection.execute(f"select count(*) from {entity}").fetchone()[0]
        return ShopResult(self.tenant.id, self.root, rows)

    # ---- faults -------------------------------------------------------------------------
    def _faults(self) -> list[dict]:
        path = self.root / FAULTS_NAME
        return json.loads(path.read_text()) if path.exists() else []

    def _record(self, fault: str, path: Path, lines: list[int], reason: str) -> dict:
        entry = {"fault": fault, "file": str(path), "lines": lines, "reason": reason}
        (self.root / FAULTS_NAME).write_text(json.dumps([*self._faults(), entry], indent=2))
        return entry

    def _append(self, entity: str, rows: list[list[str]]) -> tuple[Path, list[int]]:
        """Append raw rows to the main extract of an entity; returns it and their lines."""
        path = self.files(entity)[0]
        with path.open("rb") as handle:
            first = sum(1 for _ in handle) + 1
        with path.open("a", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        return path, list(range(first, first + len(rows)))

    def _new_file(
        self, entity: str, header: list[str], rows: list[list[str]], *, delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> tuple[Path, list[int]]:  # fmt: skip
        path = self.root / entity / f"{entity}_{len(self.files(entity)) + 1:04d}.csv"
        with path.open("w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
        return path, list(range(2, 2 + len(rows)))

    def _next_order_id(self) -> int:
        with duckdb.connect() as connection:
            files = [str(p) for p in self.files("orders")]
            return int(connection.execute(
                "select max(try_cast(order_id as bigint)) from read_csv(?, all_varchar = true, "
                "header = true, null_padding = true, ignore_errors = true)", [files],
            ).fetchone()[0]) + 1  # fmt: skip

    def inject(self, fault: str) -> dict:
        """Write one fault into the extracts; returns where it went and the expected reason."""
        if fault not in FAULTS:
            raise ShopError(f"unknown fault {fault!r}: one of {', '.join(FAULTS)}")
        if not self.files("orders"):
            raise ShopError(f"tenant '{self.tenant.id}': no shop extracts at {self.root} yet")
        order = self._next_order_id()
        header = list(COLUMNS["orders"])

        def row(**changes: str) -> list[str]:
            values = {
                "order_id": str(order), "customer_id": "1", "product_id": "1",
                "order_date": "2025-06-01", "quantity": "2", "amount": "20.00",
                "status": "completed", "payment_method": "paypal",
            }  # fmt: skip
            values.update(changes)
            return [values[c] for c in header]

        if fault == "bad-date":
            path, lines = self._append("orders", [row(order_date="2025-02-30")])
            reason = "order_date: not a valid date"
        elif fault == "bad-number":
            path, lines = self._append("orders", [row(amount="12.5O")])
            reason = "amount: not a valid decimal"
        elif fault == "negative-quantity":
            path, lines = self._append("orders", [row(quantity="-3", amount="-30.00")])
            reason = "quantity_positive: quantity must be positive"
        elif fault == "unknown-status":
            path, lines = self._append("orders", [row(status="shipped")])
            reason = "status_known: unknown status 'shipped'"
        elif fault == "duplicate-id":
            path, lines = self._append("orders", [row(order_id="1")])
            # the generator writes order 1 first: line 2 of the first orders extract
            reason = f"order_id_unique: order_id 1 already on {self.files('orders')[0]}:2"
        elif fault == "missing-column":
            path, lines = self._new_file("orders", header[:-1], [row()[:-1]])
            reason = "missing column(s) payment_method"
        elif fault == "extra-column":
            path, lines = self._new_file("orders", [*header, "coupon"], [[*row(), "SPRING"]])
            reason = "unexpected column(s) coupon"
        elif fault == "stray-header":
            path, lines = self._append("orders", [header])
            reason = "header line repeated"
        elif fault == "wrong-delimiter":
            path, lines = self._new_file("orders", header, [row()], delimiter=";")
            reason = "wrong delimiter"
        else:  # wrong-encoding: a Latin-1 file (the shop's old export tool)
            path, lines = self._new_file(
                "customers", list(COLUMNS["customers"]),
                [["999999", "zoe@example.com", "Zoé", "Müller", "Lyon", "ARA", "FR",
                  "2025-01-01", "Basic"]],
                encoding="latin-1",
            )  # fmt: skip
            reason = "not UTF-8"
        return self._record(fault, path, lines, reason)


def land_shop(tenant: Tenant, *, force: bool = False) -> ShopResult | None:
    """Generate the tenant's extracts if it has none; None when they exist already."""
    shop = Shop(tenant)
    if all(shop.files(entity) for entity in ENTITIES) and not force:
        return None
    return shop.generate()


# ---- landing ------------------------------------------------------------------------------
_ERROR_REASONS = {
    "CAST": "{column}: not a valid {type}",
    "MISSING COLUMNS": "too few fields (missing {column})",
    "TOO MANY COLUMNS": "too many fields",
    "INVALID ENCODING": "not UTF-8",
    "UNQUOTED VALUE": "badly quoted value",
    "LINE SIZE OVER MAXIMUM": "line too long",
}


def _header_problem(header: bytes, columns: tuple[str, ...]) -> str | None:
    """Why a file's header does not match the contract (None when it does)."""
    try:
        text = header.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        return "header not UTF-8"
    names = next(csv.reader([text]))
    if tuple(names) == columns:
        return None
    for delimiter in (";", "\t", "|"):
        if tuple(next(csv.reader([text], delimiter=delimiter))) == columns:
            return f"wrong delimiter {delimiter!r} (the contract says ',')"
    missing = [c for c in columns if c not in names]
    extra = [c for c in names if c not in columns]
    if missing:
        return f"missing column(s) {', '.join(missing)}"
    if extra:
        return f"unexpected column(s) {', '.join(extra)}"
    return "columns in another order than the contract"


def _data_lines(path: Path) -> list[bytes]:
    """The lines after the header (a last line without a newline counts)."""
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines[1:]


def _count_data_lines(path: Path) -> int:
    """How many lines follow the header (as _data_lines counts them), read in blocks."""
    newlines, last = 0, b"\n"
    with path.open("rb") as handle:
        while block := handle.read(1 << 24):
            newlines += block.count(b"\n")
            last = block[-1:]
    lines = newlines + (last != b"\n")  # a last line without a newline counts
    return max(lines - 1, 0)


def file_signature(path: Path) -> str:
    """What identifies one version of an extract file: its size and modification time. An
    extract delivered again, appended to or rewritten, has another signature."""
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def landed_signatures(session: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """The extract files already in a landed table, with the signature each was landed at
    (none for a table landed before signatures were kept: every file lands again)."""
    columns = {row[0] for row in session.execute(f"describe {relation}").fetchall()}
    if "_file_signature" not in columns:
        return {}
    return dict(session.execute(
        f"select _source_file, any_value(_file_signature) from {relation} group by all"
    ).fetchall())  # fmt: skip


def forget_removed_files(session: duckdb.DuckDBPyConnection, relation: str, root: Path) -> None:
    """Delete from a landed table the lines of files that are no longer in the extracts'
    folder, so that an incremental build lands what a full build would: the lines of the
    files present, no others."""
    # a SQL literal, not a bound list (binding a Python list imports pandas and pyarrow)
    present = ", ".join("'" + str(path).replace("'", "''") + "'" for path in root.glob("*.csv"))
    session.execute(
        f"delete from {relation} where not list_contains([{present}]::varchar[], _source_file)"
    )


def land_extract(dbt: Any, session: duckdb.DuckDBPyConnection, root: Path, entity: str):  # noqa: ANN201
    """The body of the `stg_shop__<entity>_landed` models: every line of the extracts on a
    full build; on an incremental one, in the build's transaction (all of it lands, or
    none), the lines of removed files deleted and only the new and changed files read."""
    landed = None
    if dbt.is_incremental:
        forget_removed_files(session, str(dbt.this), root / entity)
        landed = landed_signatures(session, str(dbt.this))
    return land_extract_rows(session, root, entity, landed)


def land_extract_rows(  # noqa: ANN201
    session: duckdb.DuckDBPyConnection,
    root: Path,
    entity: str,
    landed: dict[str, str] | None = None,
):
    """Every data line of the extract files of `entity`, as one relation: the declared,
    typed columns plus `_source_file`, `_file_signature`, `_line` (in the file, header =
    line 1), `_status` (`landed` or `rejected`), `_reject_column`, `_reject_reason`,
    `_raw_line` and `_loaded_at`.
    Nothing is dropped: a line either lands typed or is rejected with its reason, and a
    file whose header breaks the contract rejects every one of its lines.
    `landed` (file -> signature, from an earlier run) skips the files landed as they are
    now: only new and changed files are read (no rows when there are none)."""
    contract = CONTRACT[entity]
    columns = tuple(contract)
    typed = ", ".join(f"cast(null as {t}) as {c}" for c, t in contract.items())
    reasons = " ".join(f"when '{kind}' then '{text}'" for kind, text in _ERROR_REASONS.items())
    column_types = " ".join(f"when '{c}' then '{t.lower()}'" for c, t in contract.items())
    parts = []
    # a landed row's line is its position in the read: the read must keep the file's order
    # (the warehouse's profile turns preserve_insertion_order off for speed elsewhere)
    (preserved,) = session.execute("select current_setting('preserve_insertion_order')").fetchone()
    session.execute("set preserve_insertion_order = true")
    try:
        files = sorted((root / entity).glob("*.csv"))
        if not files:
            raise ValueError(f"no {entity} extracts (*.csv) in {root / entity}")
        for index, path in enumerate(files):
            signature = file_signature(path)
            if landed and landed.get(str(path)) == signature:
                continue
            with path.open("rb") as handle:
                header = handle.readline()
            problem = _header_problem(header, columns) if header else "empty file"
            quoted = str(path).replace("'", "''")
            if problem is not None:
                lines = _data_lines(path)
                session.execute(
                    f"create or replace temp table shop_bad_{index} (line bigint, csv_line varchar)"
                )
                if lines:
                    session.executemany(
                        f"insert into shop_bad_{index} values (?, ?)",
                        [(n, line.decode("utf-8", "replace")) for n, line in enumerate(lines, 2)],
                    )
                reason = problem.replace("'", "''")
                parts.append(
                    f"select {typed}, '{quoted}' as _source_file, "
                    f"'{signature}' as _file_signature, line as _line, 'rejected' as _status, "
                    f"null as _reject_column, '{reason}' as _reject_reason, "
                    f"csv_line as _raw_line from shop_bad_{index}"
                )
                continue
            types = ", ".join(f"'{c}': '{t}'" for c, t in contract.items())
            session.execute(f"""
                create or replace temp table shop_rows_{index} as
                select * from read_csv('{quoted}', columns = {{{types}}}, header = true,
                    auto_detect = false, delim = ',', quote = '"', escape = '"',
                    store_rejects = true, rejects_table = 'shop_rejects_{index}',
                    rejects_scan = 'shop_scans_{index}')
            """)
            (valid,) = session.execute(f"select count(*) from shop_rows_{index}").fetchone()
            (rejected,) = session.execute(
                f"select count(distinct line) from shop_rejects_{index}"
            ).fetchone()
            lines = _count_data_lines(path)
            if valid + rejected != lines:
                raise ValueError(
                    f"{path}: {lines} data lines but {valid} rows read and {rejected} rejected "
                    "(a record spanning lines?): the extract contract is one record per line"
                )
            header_line = header.decode("utf-8").rstrip("\r\n").replace("'", "''")
            if rejected == 0:  # the n-th row read is the n-th data line: line n + 1
                numbered = f"select rowid + 2 as _line, * from shop_rows_{index}"
            else:  # the rows read fill the lines that were not rejected, in order
                numbered = f"""
                    select free.line as _line, rows.* exclude (rowid_in_file)
                    from (select rowid as rowid_in_file, * from shop_rows_{index}) as rows
                    join (
                        select range as line, row_number() over (order by range) - 1 as position
                        from range(2, {lines + 2})
                        where range not in (select line from shop_rejects_{index})
                    ) as free on rows.rowid_in_file = free.position
                """
            parts.append(f"""
                select numbered.* exclude (_line), '{quoted}' as _source_file,
                    '{signature}' as _file_signature, numbered._line,
                    'landed' as _status, null as _reject_column, null as _reject_reason,
                    null as _raw_line
                from ({numbered}) as numbered
            """)
            parts.append(f"""
                select {typed}, '{quoted}' as _source_file, '{signature}' as _file_signature,
                    line as _line, 'rejected' as _status, column_name as _reject_column,
                    case
                        when csv_line = '{header_line}' then 'header line repeated'
                        else replace(replace(
                            case error_type {reasons} else lower(error_type) end,
                            '{{column}}', coalesce(column_name, '?')),
                            '{{type}}', case column_name {column_types} else 'value' end)
                    end as _reject_reason,
                    csv_line as _raw_line
                from (
                    select * from shop_rejects_{index}
                    qualify row_number() over (partition by line order by column_idx) = 1
                )
            """)
    finally:
        session.execute(f"set preserve_insertion_order = {str(preserved).lower()}")
    if not parts:  # every file landed already, as it is now
        parts.append(
            f"select {typed}, null::varchar as _source_file, null::varchar as _file_signature, "
            "null::bigint as _line, null::varchar as _status, null::varchar as _reject_column, "
            "null::varchar as _reject_reason, null::varchar as _raw_line limit 0"
        )
    lines = " union all by name ".join(f"({p})" for p in parts)
    return session.sql(
        f"select * replace (cast(_line as bigint) as _line), current_timestamp as _loaded_at "
        f"from ({lines})"
    )
