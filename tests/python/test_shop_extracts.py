"""The shop's CSV extracts: generated deterministically from the registry's seed, with the
dirt real extracts have injected where the tests can find it."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import duckdb

from conftest import PROJECT_DIR, make_env

TENANT = "shop_t"
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
        f"      shop: {{seed: {seed}, customers: 120, products: 30, orders: 900}}\n"
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
