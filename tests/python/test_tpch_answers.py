"""The TPC-H report models equal DuckDB's official TPC-H answers (scale factor 0.01)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import duckdb
import pytest

from duckhouse.extensions import load_extension

REPORTS = {
    1: "rpt_tpch__q01_pricing_summary",
    3: "rpt_tpch__q03_shipping_priority",
    5: "rpt_tpch__q05_local_supplier_volume",
    6: "rpt_tpch__q06_forecasting_revenue_change",
    10: "rpt_tpch__q10_returned_item_reporting",
    12: "rpt_tpch__q12_shipping_modes",
}
KEYS = {
    1: ("l_returnflag", "l_linestatus"),
    3: ("l_orderkey",),
    5: ("n_name",),
    6: (),
    10: ("c_custkey",),
    12: ("l_shipmode",),
}
"""Each answer's key: the columns that tell its rows apart (Q6 has one row)."""


def official_answer(query_nr: int, scale_factor: float) -> tuple[list[str], list[list[str]]]:
    connection = duckdb.connect()
    load_extension(connection, "tpch")
    (answer,) = connection.execute(
        "select answer from tpch_answers() where query_nr = ? and scale_factor = ?",
        [query_nr, scale_factor],
    ).fetchone()
    lines = [line for line in answer.splitlines() if line.strip()]
    return lines[0].split("|"), [line.split("|") for line in lines[1:]]


def _by_key(rows: list, positions: list[int]) -> list:
    """The rows sorted by their key cells, the same way for the answer's text and the
    report's typed values: a table has no row order to compare (DuckDB's
    `preserve_insertion_order` is off), so both sides are put in one."""

    def cell(value: object) -> tuple[int, object]:
        text = str(value).strip()
        return (0, int(text)) if text.lstrip("-").isdigit() else (1, text)

    return sorted(rows, key=lambda row: tuple(cell(row[i]) for i in positions))


def _same(expected: str, actual: object) -> bool:
    if isinstance(actual, int | float | Decimal):
        # answers print money with 2-4 decimals and averages in full: compare to a cent
        return abs(Decimal(expected) - Decimal(str(actual))) <= Decimal("0.01")
    if isinstance(actual, date):
        return expected == actual.isoformat()
    return expected.strip() == str(actual).strip()


@pytest.mark.parametrize("query_nr", sorted(REPORTS))
def test_report_equals_official_answer(lakehouse, query_nr: int) -> None:
    header, expected_rows = official_answer(query_nr, 0.01)
    with lakehouse.connect("tiny_a") as connection:
        actual_rows = connection.execute(
            f"select * from tpch_reports.{REPORTS[query_nr]}"
        ).fetchall()

    assert expected_rows, "the official answer is empty: wrong scale factor?"
    assert len(actual_rows) == len(expected_rows), f"Q{query_nr}: row count differs"
    assert len(actual_rows[0]) == len(header), f"Q{query_nr}: columns {header} expected"
    keys = [header.index(column) for column in KEYS[query_nr]]
    assert len({tuple(row[i] for i in keys) for row in expected_rows}) == len(expected_rows)
    expected_rows, actual_rows = _by_key(expected_rows, keys), _by_key(actual_rows, keys)
    for position, (expected, actual) in enumerate(zip(expected_rows, actual_rows, strict=True)):
        for column, expected_value, actual_value in zip(header, expected, actual, strict=True):
            assert _same(expected_value, actual_value), (
                f"Q{query_nr} row {position + 1} column {column}: "
                f"official {expected_value!r}, duckhouse {actual_value!r}"
            )
