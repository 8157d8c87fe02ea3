"""The shop's CSV extracts: generated deterministically from the registry's seed, with the
dirt real extracts have injected where the tests can find it."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pytest

from conftest import PROJECT_DIR, make_env

TENANT = "shop_t"
STATUSES = ("completed", "pending", "cancelled")
COLUMNS = {
    "customers": (
        "customer_id", "email", "first_name", "last_name", "city", "state", "country",
        "registration_date", "segment",
    ),
    "orders": (
        "order_id", "customer_id", "product_id", "order_date", "quantity", "amount", "status",
        "payment_method",
    ),
}  # fmt: skip
FAULTS = (
    "bad-date", "bad-number", "negative-quantity", "unknown-status", "duplicate-id",
    "missing-column", "extra-column", "stray-header", "wrong-delimiter", "wrong-encoding",
)  # fmt: skip


def _registry(path: Path, seed: int) -> None:
    path.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: Shop tenant\n"
        "    sources:\n"
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 2, events_per_day: 20, files_per_day: 1}\n"
        f"      shop: {{mode: generated, seed: {seed}, customers: 120, products: 30, "
        "orders: 900}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "duckhouse.cli", *args],
        cwd=PROJECT_DIR, env=env, text=True, capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.csv"))
    }


@pytest.mark.fast
def test_extracts_are_deterministic_and_shaped_like_the_contract(tmp_path) -> None:
    digests = []
    for run, seed in (("a", 3), ("b", 3), ("c", 4)):
        registry = tmp_path / f"{run}.yml"
        _registry(registry, seed)
        env = make_env(tmp_path / run, registry)
        out = _cli(env, "shop", "generate", TENANT)
        assert "120 customers, 30 products, 900 orders" in out
        digests.append(_digest(tmp_path / run / "data" / TENANT / "landing" / "shop"))
    assert digests[0] == digests[1], "the same seed writes the same files"
    assert digests[0] != digests[2], "another seed writes other files"

    shop = tmp_path / "a" / "data" / TENANT / "landing" / "shop"
    with duckdb.connect() as db:
        orders = db.execute(
            f"select * from read_csv('{shop}/orders/*.csv', header = true)"
        ).fetchall()
        columns = [c[0] for c in db.description]
        price = dict(
            db.execute(
                f"select product_id, price from read_csv('{shop}/products/*.csv', header = true)"
            ).fetchall()
        )
    assert columns == [
        "order_id", "customer_id", "product_id", "order_date", "quantity", "amount", "status",
        "payment_method",
    ]  # fmt: skip
    assert len(orders) == 900 and len({o[0] for o in orders}) == 900
    assert {o[6] for o in orders} == {"completed", "pending", "cancelled"}
    assert all(1 <= o[1] <= 120 for o in orders)
    # the amount is quantity x the product's price, to the cent
    assert all(round(o[4] * price[o[2]], 2) == round(o[5], 2) for o in orders)


def test_every_fault_is_written_where_it_says(tmp_path) -> None:
    registry = tmp_path / "tenants.yml"
    _registry(registry, seed=9)
    env = make_env(tmp_path, registry)
    _cli(env, "shop", "generate", TENANT)
    shop = tmp_path / "data" / TENANT / "landing" / "shop"
    for fault in FAULTS:
        assert f"injected {fault}" in _cli(env, "shop", "inject", TENANT, fault)
    recorded = json.loads((shop / "_faults.json").read_text())
    assert [entry["fault"] for entry in recorded] == list(FAULTS)
    checks = {
        "bad-date": lambda f: f[3] == "2025-02-30",
        "bad-number": lambda f: f[5] == "12.5O",
        "negative-quantity": lambda f: int(f[4]) < 0,
        "unknown-status": lambda f: f[6] == "shipped",
        "duplicate-id": lambda f: f[0] == "1",
        "missing-column": lambda f: len(f) == 7,
        "extra-column": lambda f: len(f) == 9,
        "stray-header": lambda f: f[0] == "order_id",
        "wrong-delimiter": lambda f: len(f) == 8,
        "wrong-encoding": lambda f: f[2] == "Zoé",
    }
    for entry in recorded:
        raw = Path(entry["file"]).read_bytes()
        (line,) = entry["lines"]
        if entry["fault"] == "wrong-encoding":
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
            else:
                raise AssertionError("the Latin-1 file must not be valid UTF-8")
        text = raw.split(b"\n")[line - 1].decode("latin-1")
        delimiter = ";" if entry["fault"] == "wrong-delimiter" else ","
        fields = next(csv.reader([text], delimiter=delimiter))
        assert checks[entry["fault"]](fields), (entry, text)


def test_dirty_extracts_land_with_quarantine_and_rows_are_conserved(tmp_path) -> None:
    """Every injected fault is quarantined at its file and line with the right reason;
    lines in the files (counted here, in Python) = bronze rows + quarantined rows."""
    registry = tmp_path / "tenants.yml"
    _registry(registry, seed=5)
    env = make_env(tmp_path, registry)
    _cli(env, "profiles")
    _cli(env, "shop", "generate", TENANT)
    for fault in FAULTS:
        _cli(env, "shop", "inject", TENANT, fault)
    built = _cli(env, "build", TENANT)
    # the build says how many lines it quarantined, and for which rule
    assert "shop: 10 line(s) quarantined" in built
    assert "orders: 1 x quantity_positive" in built and "customers: 1 x contract" in built

    shop = tmp_path / "data" / TENANT / "landing" / "shop"
    with duckdb.connect(str(tmp_path / "data" / TENANT / f"{TENANT}.duckdb"), read_only=True) as db:
        quarantine = {
            (file, line): (rule, reason)
            for file, line, rule, reason in db.execute(
                "select _source_file, _line, rule_name, reason from bronze.quarantine_shop__lines"
            ).fetchall()
        }
        landed = {
            entity: db.execute(f"select count(*) from bronze.stg_shop__{entity}").fetchone()[0]
            for entity in ("customers", "products", "orders")
        }
    recorded = json.loads((shop / "_faults.json").read_text())
    for entry in recorded:
        (line,) = entry["lines"]
        assert (entry["file"], line) in quarantine, entry
        rule, reason = quarantine[(entry["file"], line)]
        assert entry["reason"] in reason, (entry, reason)
        # lines that do not fit the declared schema break the contract; the others a rule
        business = ("quantity_positive", "status_known", "order_id_unique")
        assert rule == (entry["reason"].split(":")[0] if entry["reason"].startswith(business)
                        else "contract"), (entry, rule)  # fmt: skip
    assert len(quarantine) == len(recorded), "nothing but the faults is quarantined"

    for entity, rows in landed.items():
        lines = sum(
            len(path.read_bytes().rstrip(b"\n").split(b"\n")) - 1
            for path in (shop / entity).glob("*.csv")
        )
        quarantined = sum(1 for file, _ in quarantine if f"/{entity}/" in file)
        assert lines == rows + quarantined, entity
    assert landed == {"customers": 120, "products": 30, "orders": 900}

    _assert_gold_equals_python(tmp_path)


def test_daily_build_lands_only_new_and_changed_extracts(tmp_path) -> None:
    """A build after extracts arrive, change or go reads only the new and the changed files:
    after a new file alone the others keep the time they were landed; a changed file's
    lines are replaced (not added twice), a removed file's lines go, and the lines kept get
    the new load time (the history changed); gold equals the same metrics computed here
    over the files present."""
    registry = tmp_path / "tenants.yml"
    _registry(registry, seed=7)
    env = make_env(tmp_path, registry)
    _cli(env, "profiles")
    _cli(env, "shop", "generate", TENANT)
    shop = tmp_path / "data" / TENANT / "landing" / "shop"
    warehouse = tmp_path / "data" / TENANT / f"{TENANT}.duckdb"
    orders = sorted((shop / "orders").glob("*.csv"))
    rows = _lines(orders[0])
    top = max(int(row[0]) for row in rows)

    def write_orders(path: Path, first_id: int) -> None:
        """Three orders with new ids, as their own extract file."""
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS["orders"])
            for offset, row in enumerate(rows[:3]):
                writer.writerow([str(first_id + offset), *row[1:]])

    retracted = shop / "orders" / "orders_0800.csv"
    write_orders(retracted, top + 100)
    _cli(env, "build", TENANT)

    def landed() -> dict[str, tuple]:
        """Per landed file: when it was landed, and how many of its lines are in bronze."""
        with duckdb.connect(str(warehouse), read_only=True) as db:
            return {
                file: (loaded_at, lines)
                for entity in ("customers", "products", "orders")
                for file, loaded_at, lines in db.execute(
                    f"select _source_file, min(_loaded_at), count(*) "
                    f"from bronze.landed_shop__{entity} group by all"
                ).fetchall()
            }

    before = landed()
    assert before[str(retracted)][1] == 3
    # a new day's orders as a new file: only it is landed
    new_file = shop / "orders" / "orders_0900.csv"
    write_orders(new_file, top + 1)
    _cli(env, "build", TENANT)
    day = landed()
    assert day[str(new_file)][1] == 3
    assert all(day[f] == before[f] for f in before), "unchanged: not landed again"
    # an extract retracted (removed), and the customers extract delivered again with one
    # more line (a customer moved): the history changed
    retracted.unlink()
    customers_file = sorted((shop / "customers").glob("*.csv"))[0]
    people = _lines(customers_file)
    mover = next(p for p in people if p[5] != people[0][5])
    moved = [people[0][0], *people[0][1:4], *mover[4:7], *people[0][7:]]
    with customers_file.open("a", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(moved)

    _cli(env, "build", TENANT)
    after = landed()
    assert str(retracted) not in after, "a removed file's lines go, as in a full build"
    assert after[str(customers_file)][1] == day[str(customers_file)][1] + 1, "replaced, once"
    untouched = set(day) - {str(customers_file), str(retracted)}
    assert untouched and all(after[f][1] == day[f][1] for f in untouched), "kept as they were"
    # every line of an entity whose history changed carries the new load time, so that
    # the incremental models below recompute it whole (products: unchanged, not touched)
    for entity in ("customers", "orders"):
        times = {after[f][0] for f in after if f"/{entity}/" in f}
        assert len(times) == 1 and times.pop() > day[str(customers_file)][0], entity
    products = [f for f in after if "/products/" in f]
    assert products and all(after[f] == day[f] for f in products)
    _assert_gold_equals_python(tmp_path)


def _assert_gold_equals_python(root: Path) -> None:
    """Gold equals the same numbers computed here, in plain Python, over the lines of the
    extracts that are clean: exactly for counts, to the cent for money."""
    shop = root / "data" / TENANT / "landing" / "shop"
    orders = _clean_orders(shop)
    customers = _latest_customers(shop)
    kept = [o for o in orders if o["status"] != "cancelled"]
    revenue = sum((o["amount"] for o in kept), Decimal(0))
    last_day = max(o["order_date"] for o in orders)
    with duckdb.connect(str(root / "data" / TENANT / f"{TENANT}.duckdb"), read_only=True) as db:
        kpi = db.execute(
            "select revenue, orders, cancelled_orders, average_order_value, customers, "
            "active_customers from gold_sales.mart_sales__kpi_summary"
        ).fetchone()
        monthly = dict(db.execute(
            "select month_start, revenue from gold_sales.mart_sales__monthly_sales"
        ).fetchall())  # fmt: skip
        lifetime = dict(db.execute(
            "select customer_id, lifetime_value from gold_sales.mart_sales__customer_metrics"
        ).fetchall())  # fmt: skip
        products = {
            p: (units, rev)
            for p, units, rev in db.execute(
                "select product_id, units, revenue from gold_sales.mart_sales__product_performance"
            ).fetchall()
        }
        regions = {
            (c, st): rev
            for c, st, rev in db.execute(
                "select country, state, revenue from gold_sales.mart_sales__regional_sales"
            ).fetchall()
        }
        moving = dict(db.execute(
            "select order_date, revenue_7d_moving_avg from gold_sales.mart_sales__daily_sales"
        ).fetchall())  # fmt: skip
    assert kpi == (
        revenue,
        len(kept),
        len(orders) - len(kept),
        (revenue / len(kept)).quantize(Decimal("0.01")),
        len({o["customer_id"] for o in kept}),
        len({o["customer_id"] for o in kept if o["order_date"] > last_day - dt.timedelta(90)}),
    )
    exported = json.loads((root / "data" / TENANT / "kpi_summary.json").read_text())
    assert exported[0]["orders"] == len(kept) and exported[0]["tenant_id"] == TENANT

    def total(key) -> dict:
        sums: dict = defaultdict(Decimal)
        for order in kept:
            sums[key(order)] += order["amount"]
        return dict(sums)

    assert monthly == total(lambda o: o["order_date"].replace(day=1))
    assert lifetime == total(lambda o: o["customer_id"])
    units: dict = defaultdict(int)
    for order in kept:
        units[order["product_id"]] += order["quantity"]
    by_product = total(lambda o: o["product_id"])
    assert products == {p: (units[p], by_product[p]) for p in by_product}
    place = {i: (c["country"], c["state"]) for i, c in customers.items()}
    assert regions == total(lambda o: place[o["customer_id"]])
    daily = total(lambda o: o["order_date"])
    day = last_day - dt.timedelta(days=3)
    week = [daily.get(day - dt.timedelta(days=n), Decimal(0)) for n in range(7)]
    assert moving[day] == (sum(week) / 7).quantize(Decimal("0.01"))


def _lines(path: Path) -> list[list[str]] | None:
    """The data lines of an extract that keeps the contract's header, else None."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None
    rows = list(csv.reader(text.splitlines()))
    return rows[1:] if rows and tuple(rows[0]) == COLUMNS[path.parent.name] else None


def _clean_orders(shop: Path) -> list[dict]:
    """Orders that fit the contract and pass the rules: typed, a positive quantity, a
    known status, and the first line of each order id."""
    seen, clean = set(), []
    for path in sorted((shop / "orders").glob("*.csv")):
        for fields in _lines(path) or []:
            try:
                order = {
                    "order_id": int(fields[0]), "customer_id": int(fields[1]),
                    "product_id": int(fields[2]),
                    "order_date": dt.date.fromisoformat(fields[3]),
                    "quantity": int(fields[4]), "amount": Decimal(fields[5]),
                    "status": fields[6],
                }  # fmt: skip
            except (ValueError, InvalidOperation):
                continue
            if order["quantity"] <= 0 or order["status"] not in STATUSES:
                continue
            if order["order_id"] in seen:
                continue
            seen.add(order["order_id"])
            clean.append(order)
    return clean


def _latest_customers(shop: Path) -> dict[int, dict]:
    latest = {}
    for path in sorted((shop / "customers").glob("*.csv")):
        for fields in _lines(path) or []:
            latest[int(fields[0])] = dict(zip(COLUMNS["customers"], fields, strict=True))
    return latest
