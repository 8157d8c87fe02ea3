"""The shop's path is incremental: after any sequence of deliveries -- new days, repeated
order ids, late files delivered before landed ones, corrected and retracted files, changed
customers and products, bad lines -- every table it builds equals a --full-refresh
rebuild of the same extracts, row for row."""

from __future__ import annotations

import csv
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from conftest import PROJECT_DIR, make_env, table_rows

TENANT = "shop_inc"
SHOP_PATH = "path:models/bronze/shop+"
# lineage columns that say when a row was built, not what it holds
BUILD_TIMES = ("_loaded_at", "_landed_through")


def _registry(path: Path) -> None:
    path.write_text(
        "tenants:\n"
        f"  - id: {TENANT}\n"
        "    display_name: Shop incremental tenant\n"
        "    sources:\n"
        "      tpch: {mode: generated, scale_factor: 0.01}\n"
        "      ksqldb: {mode: generated, days: 1, events_per_day: 20, files_per_day: 1}\n"
        "      shop: {mode: generated, seed: 25, customers: 80, products: 20, orders: 600}\n"
        '    schedule: {cron: "0 3 * * *", timezone: UTC}\n'
    )


def _run(env: dict[str, str], *args: str, ok: bool | None = True) -> str:
    """Run a command; assert it succeeds (`ok`), fails (not `ok`) or either (None)."""
    result = subprocess.run(
        list(args), cwd=PROJECT_DIR, env=env, text=True, capture_output=True, check=False
    )
    output = f"{args}:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    assert ok is None or (result.returncode == 0) == ok, output
    return output


@dataclass
class _Tenant:
    """A generated shop tenant built in full once: its environment, its landing zone, its
    warehouse, and the build command of the shop's path."""

    env: dict[str, str]
    shop: Path
    warehouse: Path
    build: list[str]
    root: Path

    def dbt(self, *args: str, ok: bool = True) -> str:
        return _run(self.env, *self.build, *args, ok=ok)

    def equals_a_rebuild(self) -> list[str]:
        """The shop tables that differ from a --full-refresh rebuild of the same extracts
        (which runs on a copy: the warehouse stays as the increments left it)."""
        incremental = _shop_tables(self.warehouse)
        kept = self.root / "incremental.duckdb"
        shutil.copy(self.warehouse, kept)
        self.dbt("--full-refresh")
        full = _shop_tables(self.warehouse)
        shutil.copy(kept, self.warehouse)
        assert incremental.keys() == full.keys()
        return [name for name in full if incremental[name] != full[name]]


def _tenant(tmp_path: Path) -> _Tenant:
    registry = tmp_path / "tenants.yml"
    _registry(registry)
    env = make_env(tmp_path, registry)
    python = sys.executable
    _run(env, python, "-m", "duckhouse.cli", "profiles")
    _run(env, python, "-m", "duckhouse.cli", "shop", "generate", TENANT)
    dbt = str(Path(python).parent / "dbt")
    build = [dbt, "build", "-s", SHOP_PATH, "--target", TENANT, "--target-path",
             str(tmp_path / "target")]  # fmt: skip
    tenant = _Tenant(env, tmp_path / "data" / TENANT / "landing" / "shop",
                     tmp_path / "data" / TENANT / f"{TENANT}.duckdb", build, tmp_path)  # fmt: skip
    tenant.dbt("--full-refresh")
    return tenant


def _shop_tables(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of the shop's path (bronze from the rules on, silver, gold, snapshots
    aside), its rows in order, without the columns that say when a row was built."""
    built = table_rows(
        warehouse,
        "table_name like 'rule_failures_shop__%' or table_name like 'quarantine_shop__%'"
        " or table_name like '%shop%' and table_schema = 'silver'"
        " or table_schema in ('gold_sales', 'gold_quality')",
        lambda column: column in BUILD_TIMES,
    )
    assert {"silver.fct_shop_orders", "gold_sales.mart_sales__kpi_summary"} <= set(built)
    return built


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def test_incremental_shop_builds_equal_a_full_rebuild_after_any_sequence_of_deliveries(
    tmp_path,
) -> None:
    """Seeded random days of deliveries, each followed by an incremental build of the shop's
    path; after every day each rule-failure, quarantine, silver and gold table equals a
    --full-refresh rebuild of the same extracts (the rebuild runs on a copy: the increments
    accumulate)."""
    tenant = _tenant(tmp_path)
    shop, warehouse = tenant.shop, tenant.warehouse
    chance = random.Random(25)
    header, first_orders = _read(sorted((shop / "orders").glob("*.csv"))[0])
    next_id = max(int(row[0]) for row in first_orders if row[0].isdigit()) + 1
    sequence = {"orders": 1, "customers": 1, "products": 1}

    def new_file(entity: str, rows: list[list[str]], header_row: list[str]) -> Path:
        sequence[entity] += 10
        path = shop / entity / f"{entity}_{sequence[entity]:04d}.csv"
        _write(path, header_row, rows)
        return path

    def orders_of_a_day() -> list[list[str]]:
        nonlocal next_id
        rows = []
        for row in chance.sample(first_orders, 12):
            rows.append([str(next_id), *row[1:]])
            next_id += 1
        return rows

    def new_day() -> str:
        rows = orders_of_a_day()
        # an id already landed (first line wins), twice in the day, and a bad quantity
        repeated = chance.choice(first_orders)
        rows += [list(repeated), [rows[0][0], *chance.choice(first_orders)[1:]]]
        rows.append([str(next_id + 1000), *rows[1][1:4], "-2", *rows[1][5:]])
        new_file("orders", rows, header)
        return "a new day"

    def late_file() -> str:
        # delivered before every landed orders file, repeating an id of a later one
        later = _read(sorted((shop / "orders").glob("*.csv"))[-1])[1]
        rows = [*orders_of_a_day(), [later[0][0], *chance.choice(first_orders)[1:]]]
        _write(shop / "orders" / "orders_0000.csv", header, rows)
        return "a late file delivered before the others"

    def corrected() -> str:
        path = chance.choice(sorted((shop / "orders").glob("*.csv"))[1:] or [None])
        if path is None:
            return new_day()
        _, rows = _read(path)
        rows = rows[1:]  # a line dropped
        if rows:
            rows[0][5] = "1.25"  # an amount corrected
        _write(path, header, rows)
        return f"{path.name} corrected in place"

    def retracted() -> str:
        files = sorted((shop / "orders").glob("*.csv"))[1:]
        if not files:
            return new_day()
        chance.choice(files).unlink()
        return "an orders file retracted"

    def customers_changed() -> str:
        head, rows = _read(sorted((shop / "customers").glob("*.csv"))[0])
        moved = []
        for row in chance.sample(rows, 5):
            other = chance.choice(rows)
            moved.append([*row[:4], *other[4:7], row[7], other[8]])
        moved.append([str(10_000 + sequence["customers"]), *rows[0][1:]])  # a new customer
        moved.append([rows[1][0], "not-an-email", *rows[1][2:]])  # breaks a rule
        new_file("customers", moved, head)
        return "customers moved or changed segment"

    def products_changed() -> str:
        head, rows = _read(sorted((shop / "products").glob("*.csv"))[0])
        changed = [[*row[:3], f"{chance.randint(1, 900)}.{chance.randint(0, 99):02d}", row[4]]
                   for row in chance.sample(rows, 4)]  # fmt: skip
        new_file("products", changed, head)
        return "product prices changed"

    steps = [new_day, late_file, corrected, retracted, customers_changed, products_changed]
    rewrites = {late_file, corrected, retracted}
    # each kind of delivery alone once (in a seeded order), then seeded combinations
    days = [[step] for step in chance.sample(steps, k=len(steps))]
    days += [chance.sample(steps, k=chance.randint(2, 3)) for _ in range(2)]
    for day, chosen in enumerate(days):
        changes = [step() for step in chosen]
        built_at = _order_build_times(warehouse)
        tenant.dbt()
        kept_orders = built_at.items() & _order_build_times(warehouse).items()
        differ = tenant.equals_a_rebuild()
        assert not differ, f"day {day} ({', '.join(changes)}): {differ} differ from a rebuild"
        if not rewrites & set(chosen):  # a day's deliveries leave most orders as they were
            assert kept_orders, f"day {day} ({', '.join(changes)}): every order was rebuilt"


def _order_build_times(warehouse: Path) -> dict[int, object]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return dict(
            connection.execute(
                "select order_id, _landed_through from silver.fct_shop_orders"
            ).fetchall()
        )


def _orders_file(tenant: _Tenant, name: str, repeated: int = 1) -> None:
    """A new orders file: `repeated` lines that repeat landed order ids (which lose to the
    landed lines: first line wins) and new orders of the same customers and products."""
    header, rows = _read(sorted((tenant.shop / "orders").glob("*.csv"))[0])
    new = [[str(900_000 + index), *row[1:]] for index, row in enumerate(rows[:5])]
    # the repeats on another day and of another customer than the lines they repeat
    repeats = [[*row[:1], rows[-1][1], *row[2:3], rows[-1][3], *row[4:]] for row in rows[:repeated]]
    _write(tenant.shop / "orders" / name, header, [*repeats, *new])


def test_a_partial_selection_leaves_nothing_a_full_build_does_not_heal(tmp_path) -> None:
    """Building a landing and a model below it but not the rules between (`dbt build -s
    landed_shop__orders`, then `-s fct_shop_orders`) lets the fact see lines the rules have
    not checked yet: the next build of the path must recompute them, not take them as done
    (each model's watermark is what its parents had seen, shop_through)."""
    tenant = _tenant(tmp_path)
    _orders_file(tenant, "orders_0500.csv", repeated=2)
    select = [*tenant.build[:2], "-s"]
    _run(tenant.env, *select, "landed_shop__orders", *tenant.build[4:])
    # the fact takes the unchecked repeats in; its key test refuses that build
    output = _run(tenant.env, *select, "fct_shop_orders", *tenant.build[4:], ok=False)
    assert "FAIL 2 unique_per_landing_fct_shop_orders_order_id" in output
    _run(tenant.env, *select, "mart_sales__daily_sales", *tenant.build[4:])
    # the customers' path moves on while the orders' rules stay behind (the checks across
    # the path may refuse these builds; the next whole build must heal them)
    head, rows = _read(sorted((tenant.shop / "customers").glob("*.csv"))[0])
    _write(tenant.shop / "customers" / "customers_0500.csv", head, [[*rows[0][:8], "vip"]])
    for model in ("+dim_shop_customer", "landed_shop__orders"):
        _run(tenant.env, *select, model, *tenant.build[4:], ok=None)
    tenant.dbt()
    assert not tenant.equals_a_rebuild()
    with duckdb.connect(str(tenant.warehouse), read_only=True) as connection:
        (repeats,) = connection.execute(
            "select count(*) - count(distinct order_id) from silver.fct_shop_orders"
        ).fetchone()
    assert repeats == 0
    # a retraction built down the orders' path only: the fact's watermark is held back by
    # the customers and products it did not rebuild, yet the recompute starts from an empty
    # table, so the retracted orders go
    (tenant.shop / "orders" / "orders_0500.csv").unlink()
    _run(tenant.env, *select, "landed_shop__orders+", *tenant.build[4:])
    assert not tenant.equals_a_rebuild()


def _landed(tenant: _Tenant) -> dict[str, list[tuple]]:
    return table_rows(tenant.warehouse, "table_name like 'landed_shop__%'", lambda column: False)


def test_a_failed_or_killed_landing_leaves_the_landing_as_it_was(tmp_path) -> None:
    """Every change a landing makes (new lines, removed files' lines, the restamp of a
    rewritten history, its watermark) is one transaction of dbt's: a refused delivery
    (every customers extract gone) and a build killed at any point change nothing, and the
    next build lands what a full build would."""
    tenant = _tenant(tmp_path)
    before = _landed(tenant)
    customers = sorted((tenant.shop / "customers").glob("*.csv"))
    aside = tmp_path / "customers_aside"
    aside.mkdir()
    for path in customers:
        path.rename(aside / path.name)
    orders = sorted((tenant.shop / "orders").glob("*.csv"))
    retracted = orders[-1].read_bytes() if len(orders) > 1 else None
    if retracted is not None:
        orders[-1].unlink()
    output = tenant.dbt(ok=False)
    assert "no customers extracts" in output
    after = _landed(tenant)
    assert after["bronze.landed_shop__customers"] == before["bronze.landed_shop__customers"]
    for path in customers:
        (aside / path.name).rename(path)
    # a retraction and a new file, the build killed at points spread over its run
    _orders_file(tenant, "orders_0700.csv")
    for delay in (2.0, 4.0, 6.0, 8.0):
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        process = subprocess.Popen(tenant.build, cwd=PROJECT_DIR, env=tenant.env, **quiet)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()
    tenant.dbt()
    assert not tenant.equals_a_rebuild()
