"""The demo shop: generate a tenant's CSV extracts, and dirty them. A simulator of the shop's
extract job: only for sources the registry marks `generated`; nothing that reads deliveries
imports it.

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

import duckdb

from duckhouse.ingest.shop import COLUMNS, ENTITIES, extract_files, shop_dir
from duckhouse.project import project_var
from duckhouse.sqltext import sql_list, sql_string
from duckhouse.tenants import Tenant

SEGMENTS: tuple[str, ...] = tuple(project_var("shop_customer_segments"))  # dbt_project.yml
STATUSES: tuple[str, ...] = tuple(project_var("shop_order_statuses"))  # the rules accept these
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
GENERATOR_NAME = "_generator.json"  # the files the generator wrote (and may replace)


class ShopError(RuntimeError):
    """The extracts cannot be generated or changed; the message names tenant and path."""


@dataclass(frozen=True)
class ShopResult:
    tenant_id: str
    path: Path
    rows: dict[str, int]


class Shop:
    def __init__(self, tenant: Tenant, root: Path | None = None) -> None:
        self.tenant = tenant
        self.root = root or shop_dir(tenant.id)

    def files(self, entity: str) -> list[Path]:
        return extract_files(self.root, entity)

    # ---- generation ---------------------------------------------------------------------
    def generate(self) -> ShopResult:
        """Write the three extracts (one file each) from the registry's sizes and seed."""
        source = self.tenant.shop
        if source.mode != "generated":
            raise ShopError(
                f"tenant '{self.tenant.id}': its shop extracts are delivered (registry "
                f"sources.shop.mode), duckhouse never writes {self.root}"
            )
        seed = source.seed
        for written in self._written():  # only what this generator wrote before
            (self.root / written).unlink(missing_ok=True)
        (self.root / FAULTS_NAME).unlink(missing_ok=True)
        for entity in ENTITIES:
            (self.root / entity).mkdir(parents=True, exist_ok=True)
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
                    {sql_list(FIRST_NAMES)}[1 + pick(i, 'first', {len(FIRST_NAMES)})]
                        as first_name,
                    {sql_list(LAST_NAMES)}[1 + pick(i, 'last', {len(LAST_NAMES)})] as last_name,
                    [{", ".join(places)}][1 + pick(i, 'place', {len(PLACES)})] as place,
                    date '{source.start_date}' - cast(pick(i, 'reg', 730) as integer)
                        as registration_date,
                    -- one in five Premium, two in five Standard and Basic each
                    {sql_list(SEGMENTS)}[1 + (pick(i, 'seg', 5) + 1) // 2] as segment
                from numbered
            """)
            connection.execute(f"""
                create table products as
                with numbered as (select range as i from range(1, {source.products + 1}))
                select
                    i as product_id,
                    'Product ' || lpad(cast(i as varchar), 4, '0') as product_name,
                    {sql_list(CATEGORIES)}[1 + pick(i, 'cat', {len(CATEGORIES)})] as category,
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
                            when pick(i, 'status', 100) < 80 then {sql_string(STATUSES[0])}
                            when pick(i, 'status', 100) < 92 then {sql_string(STATUSES[1])}
                            else {sql_string(STATUSES[2])}
                        end as status,
                        {sql_list(PAYMENT_METHODS)}[1 + pick(i, 'pay', {len(PAYMENT_METHODS)})]
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
                    f"copy (select {columns[entity]} from {entity} order by 1) to "
                    f"{sql_string(target)} "
                    "(header, delimiter ',')"
                )
                rows[entity] = connection.execute(f"select count(*) from {entity}").fetchone()[0]
        self._remember([f"{entity}/{entity}_0001.csv" for entity in ENTITIES], reset=True)
        return ShopResult(self.tenant.id, self.root, rows)

    # ---- what this generator wrote --------------------------------------------------
    def _written(self) -> list[str]:
        path = self.root / GENERATOR_NAME
        return list(json.loads(path.read_text())["files"]) if path.is_file() else []

    def _remember(self, files: list[str], *, reset: bool = False) -> None:
        known = [] if reset else self._written()
        state = {"tenant_id": self.tenant.id, "files": sorted({*known, *files})}
        (self.root / GENERATOR_NAME).write_text(json.dumps(state, indent=2) + "\n")

    @property
    def owned(self) -> bool:
        """The zone holds this generator's output (its record of what it wrote)."""
        return (self.root / GENERATOR_NAME).is_file()

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
        self._remember([str(path.relative_to(self.root))])
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
        if self.tenant.shop.mode != "generated":
            raise ShopError(f"tenant '{self.tenant.id}': its shop extracts are delivered: "
                            f"duckhouse never writes {self.root}")  # fmt: skip
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
    """Generate a `generated` tenant's extracts when its zone has none (or `force`); None
    when they exist already. A zone that holds files the generator did not write (no record
    of them) is never touched: the error says so."""
    shop = Shop(tenant)
    present = {entity: shop.files(entity) for entity in ENTITIES}
    if all(present.values()) and not force:
        return None
    if any(present.values()) and not shop.owned:
        found = next(path for files in present.values() for path in files)
        raise ShopError(
            f"tenant '{tenant.id}': {shop.root} holds extracts the demo generator did not "
            f"write (e.g. {found}): not generating over them. Mark the source delivered "
            "(sources.shop.mode) or empty the folder."
        )
    return shop.generate()
