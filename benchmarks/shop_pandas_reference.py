"""The shop's sales gold computed the straightforward way, in pandas: the reference the
benchmark compares duckhouse's build with (benchmarks/shop_vs_pandas.py).

It reads the three extracts with the contract's column types, applies the same rules
(positive quantity, known status, the first line of each order id; the latest line of
each customer and product), and computes the same marts as models/gold/sales: daily
sales with a 7-day moving average and growth, weekly and monthly sales with growth,
customer metrics, RFM quintiles, monthly cohort retention, product performance, regional
sales and the KPI summary. It prints the KPI summary as JSON, so that the benchmark can
check that both sides computed the same numbers.

    uv run --group bench python benchmarks/shop_pandas_reference.py <shop landing dir>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from duckhouse.project import project_var

STATUSES = set(project_var("shop_order_statuses"))  # the statuses the shop's rules accept


def _read(folder: Path, dtypes: dict[str, str], dates: list[str]) -> pd.DataFrame:
    frames = [
        pd.read_csv(path, dtype=dtypes, parse_dates=dates) for path in sorted(folder.glob("*.csv"))
    ]
    return pd.concat(frames, ignore_index=True)


def main(root: Path) -> dict:
    customers = _read(
        root / "customers",
        {"customer_id": "int64", "segment": "string", "country": "string", "state": "string"},
        ["registration_date"],
    ).drop_duplicates("customer_id", keep="last")
    products = _read(
        root / "products", {"product_id": "int64", "price": "float64"}, []
    ).drop_duplicates("product_id", keep="last")
    orders = _read(
        root / "orders",
        {"order_id": "int64", "customer_id": "int64", "product_id": "int64",
         "quantity": "int64", "amount": "float64", "status": "string"},
        ["order_date"],
    )  # fmt: skip
    orders = orders[(orders["quantity"] > 0) & orders["status"].isin(STATUSES)]
    orders = orders.drop_duplicates("order_id", keep="first")

    facts = orders.merge(
        customers[["customer_id", "segment", "country", "state"]], on="customer_id", how="left"
    ).merge(products[["product_id", "product_name", "category"]], on="product_id", how="left")
    facts["is_cancelled"] = facts["status"] == "cancelled"
    facts["revenue"] = facts["amount"].where(~facts["is_cancelled"], 0.0)
    facts["unit_price"] = facts["amount"] / facts["quantity"]
    kept = facts[~facts["is_cancelled"]]

    daily = kept.groupby("order_date").agg(
        orders=("order_id", "size"), units=("quantity", "sum"), revenue=("revenue", "sum"),
        customers=("customer_id", "nunique"),
    )  # fmt: skip
    calendar = pd.date_range(facts["order_date"].min(), facts["order_date"].max(), freq="D")
    daily = daily.reindex(calendar, fill_value=0)
    daily["revenue_7d_moving_avg"] = daily["revenue"].rolling(7, min_periods=1).mean()
    daily["revenue_growth"] = daily["revenue"].pct_change()

    periods = {}
    for name, freq in (("weekly", "W-MON"), ("monthly", "MS")):
        start = kept["order_date"].dt.to_period("W" if freq == "W-MON" else "M").dt.start_time
        table = kept.groupby(start).agg(
            orders=("order_id", "size"), revenue=("revenue", "sum"),
            customers=("customer_id", "nunique"),
        )  # fmt: skip
        table["revenue_growth"] = table["revenue"].pct_change()
        table["orders_growth"] = table["orders"].pct_change()
        periods[name] = table

    last_day = facts["order_date"].max()
    metrics = kept.groupby("customer_id").agg(
        orders=("order_id", "size"), lifetime_value=("revenue", "sum"),
        first_order_date=("order_date", "min"), last_order_date=("order_date", "max"),
        days_active=("order_date", "nunique"),
    )  # fmt: skip
    metrics["average_order_value"] = metrics["lifetime_value"] / metrics["orders"]
    metrics["recency_days"] = (last_day - metrics["last_order_date"]).dt.days
    ranked = metrics.reset_index()
    for score, column, ascending in (
        ("recency_score", "recency_days", False),
        ("frequency_score", "orders", True),
        ("monetary_score", "lifetime_value", True),
    ):
        order = ranked.sort_values([column, "customer_id"], ascending=[ascending, True]).index
        ranked.loc[order, score] = (pd.RangeIndex(len(ranked)) * 5 // len(ranked)) + 1

    first_month = kept.groupby("customer_id")["order_date"].min().dt.to_period("M")
    activity = kept.assign(
        month=kept["order_date"].dt.to_period("M"),
        cohort=kept["customer_id"].map(first_month),
    ).drop_duplicates(["customer_id", "month"])
    activity["months_since"] = (activity["month"] - activity["cohort"]).apply(lambda d: d.n)
    cohorts = activity.groupby(["cohort", "months_since"]).size().rename("active").reset_index()
    sizes = first_month.value_counts()
    cohorts["retention_rate"] = cohorts["active"] / cohorts["cohort"].map(sizes)

    product = kept.groupby("product_id").agg(
        orders=("order_id", "size"), units=("quantity", "sum"), revenue=("revenue", "sum"),
        min_unit_price=("unit_price", "min"), max_unit_price=("unit_price", "max"),
        unique_customers=("customer_id", "nunique"),
    )  # fmt: skip
    product["revenue_share"] = product["revenue"] / product["revenue"].sum()
    regional = kept.groupby(["country", "state"]).agg(
        orders=("order_id", "size"), revenue=("revenue", "sum"),
        customers=("customer_id", "nunique"),
    )  # fmt: skip
    regional["average_basket"] = regional["revenue"] / regional["orders"]
    regional["revenue_share"] = regional["revenue"] / regional["revenue"].sum()

    revenue = round(float(kept["revenue"].sum()), 2)
    active = kept[kept["order_date"] > last_day - pd.Timedelta(days=90)]
    return {
        "revenue": revenue,
        "orders": len(kept),
        "cancelled_orders": int(facts["is_cancelled"].sum()),
        "average_order_value": round(revenue / len(kept), 2),
        "customers": int(kept["customer_id"].nunique()),
        "active_customers": int(active["customer_id"].nunique()),
        "days": len(daily),
        "cohort_rows": len(cohorts),
        "products": len(product),
        "regions": len(regional),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
