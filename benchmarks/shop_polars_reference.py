"""The shop's sales gold computed in polars, lazily: what a data team picks instead of pandas
today, and the second plain-script reference the benchmark compares duckhouse's build
with (benchmarks/shop_vs_pandas.py).

The same rules and marts as benchmarks/shop_pandas_reference.py (positive quantity, known
status, the first line of each order id; the latest line of each customer and product;
daily, weekly and monthly sales, customer metrics, RFM quintiles, cohort retention,
product performance, regional sales and the KPI summary), written the polars way: one lazy
query per mart, collected together, so that polars reads only the columns the marts need.
It prints the same figures as JSON; the benchmark requires them to equal pandas'.

    uv run --group bench python benchmarks/shop_polars_reference.py <shop landing dir>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

from duckhouse.project import project_var

STATUSES = list(project_var("shop_order_statuses"))  # the statuses the shop's rules accept


def _scan(folder: Path, types: dict[str, pl.DataType], dates: list[str]) -> pl.LazyFrame:
    """Every extract of an entity, in file order, with the contract's types."""
    frames = [
        pl.scan_csv(path, schema_overrides=types | dict.fromkeys(dates, pl.String))
        for path in sorted(folder.glob("*.csv"))
    ]
    return pl.concat(frames, how="vertical").with_columns(
        pl.col(column).str.to_date() for column in dates
    )


def _growth(column: str) -> pl.Expr:
    return (pl.col(column) / pl.col(column).shift(1) - 1).alias(f"{column}_growth")


def main(root: Path) -> dict:
    customers = _scan(
        root / "customers",
        {"customer_id": pl.Int64, "segment": pl.String, "country": pl.String, "state": pl.String},
        ["registration_date"],
    ).unique("customer_id", keep="last", maintain_order=True)
    products = _scan(root / "products", {"product_id": pl.Int64, "price": pl.Float64}, []).unique(
        "product_id", keep="last", maintain_order=True
    )
    orders = (
        _scan(
            root / "orders",
            {
                "order_id": pl.Int64,
                "customer_id": pl.Int64,
                "product_id": pl.Int64,
                "quantity": pl.Int64,
                "amount": pl.Float64,
                "status": pl.String,
            },
            ["order_date"],
        )
        .filter((pl.col("quantity") > 0) & pl.col("status").is_in(STATUSES))
        .unique("order_id", keep="first", maintain_order=True)
    )
    cancelled = pl.col("status") == "cancelled"
    facts = (
        orders.join(
            customers.select("customer_id", "segment", "country", "state"),
            on="customer_id",
            how="left",
        )
        .join(
            products.select("product_id", "product_name", "category"), on="product_id", how="left"
        )
        .with_columns(
            cancelled.alias("is_cancelled"),
            pl.when(cancelled).then(0.0).otherwise(pl.col("amount")).alias("revenue"),
            (pl.col("amount") / pl.col("quantity")).alias("unit_price"),
        )
        .cache()
    )
    kept = facts.filter(~pl.col("is_cancelled")).cache()
    bounds = facts.select(
        pl.col("order_date").min().alias("first_day"),
        pl.col("order_date").max().alias("last_day"),
        pl.col("is_cancelled").sum().alias("cancelled_orders"),
    )

    per_day = kept.group_by("order_date").agg(
        pl.len().alias("orders"),
        pl.col("quantity").sum().alias("units"),
        pl.col("revenue").sum(),
        pl.col("customer_id").n_unique().alias("customers"),
    )
    calendar = bounds.select(
        pl.date_ranges("first_day", "last_day", interval="1d").alias("order_date")
    ).explode("order_date")
    daily = (
        calendar.join(per_day, on="order_date", how="left")
        .fill_null(0)
        .sort("order_date")
        .with_columns(
            pl.col("revenue").rolling_mean(7, min_samples=1).alias("revenue_7d_moving_avg"),
            _growth("revenue"),
        )
    )
    periods = [
        kept.group_by(pl.col("order_date").dt.truncate(every).alias("period_start"))
        .agg(
            pl.len().alias("orders"),
            pl.col("revenue").sum(),
            pl.col("customer_id").n_unique().alias("customers"),
        )
        .sort("period_start")
        .with_columns(_growth("revenue"), _growth("orders"))
        for every in ("1w", "1mo")
    ]

    metrics = (
        kept.group_by("customer_id")
        .agg(
            pl.len().alias("orders"),
            pl.col("revenue").sum().alias("lifetime_value"),
            pl.col("order_date").min().alias("first_order_date"),
            pl.col("order_date").max().alias("last_order_date"),
            pl.col("order_date").n_unique().alias("days_active"),
        )
        .join(bounds.select("last_day"), how="cross")
        .with_columns(
            (pl.col("lifetime_value") / pl.col("orders")).alias("average_order_value"),
            (pl.col("last_day") - pl.col("last_order_date")).dt.total_days().alias("recency_days"),
        )
    )
    rfm = metrics
    for score, column, descending in (
        ("recency_score", "recency_days", True),
        ("frequency_score", "orders", False),
        ("monetary_score", "lifetime_value", False),
    ):
        rfm = (
            rfm.sort([column, "customer_id"], descending=[descending, False])
            .with_row_index("_rank")
            .with_columns((pl.col("_rank") * 5 // pl.len() + 1).alias(score))
            .drop("_rank")
        )

    month = pl.col("order_date").dt.year() * 12 + pl.col("order_date").dt.month()
    activity = kept.select("customer_id", month.alias("month")).unique()
    cohort_of = activity.group_by("customer_id").agg(pl.col("month").min().alias("cohort"))
    sizes = cohort_of.group_by("cohort").agg(pl.len().alias("cohort_size"))
    cohorts = (
        activity.join(cohort_of, on="customer_id")
        .group_by("cohort", (pl.col("month") - pl.col("cohort")).alias("months_since"))
        .agg(pl.len().alias("active"))
        .join(sizes, on="cohort")
        .with_columns((pl.col("active") / pl.col("cohort_size")).alias("retention_rate"))
    )

    product = (
        kept.group_by("product_id")
        .agg(
            pl.len().alias("orders"),
            pl.col("quantity").sum().alias("units"),
            pl.col("revenue").sum(),
            pl.col("unit_price").min().alias("min_unit_price"),
            pl.col("unit_price").max().alias("max_unit_price"),
            pl.col("customer_id").n_unique().alias("unique_customers"),
        )
        .with_columns((pl.col("revenue") / pl.col("revenue").sum()).alias("revenue_share"))
    )
    regional = (
        kept.drop_nulls(["country", "state"])  # as pandas' groupby drops missing keys
        .group_by("country", "state")
        .agg(
            pl.len().alias("orders"),
            pl.col("revenue").sum(),
            pl.col("customer_id").n_unique().alias("customers"),
        )
        .with_columns(
            (pl.col("revenue") / pl.col("orders")).alias("average_basket"),
            (pl.col("revenue") / pl.col("revenue").sum()).alias("revenue_share"),
        )
    )
    summary = kept.join(bounds, how="cross").select(
        pl.col("revenue").sum().alias("revenue"),
        pl.len().alias("orders"),
        pl.col("customer_id").n_unique().alias("customers"),
        pl.col("customer_id")
        .filter(pl.col("order_date") > pl.col("last_day") - pl.duration(days=90))
        .n_unique()
        .alias("active_customers"),
    )

    (bounds, daily, _weekly, _monthly, _rfm, cohorts, product, regional, summary) = pl.collect_all(
        [bounds, daily, *periods, rfm, cohorts, product, regional, summary]
    )
    revenue = round(float(summary["revenue"][0]), 2)
    orders_kept = int(summary["orders"][0])
    return {
        "revenue": revenue,
        "orders": orders_kept,
        "cancelled_orders": int(bounds["cancelled_orders"][0]),
        "average_order_value": round(revenue / orders_kept, 2),
        "customers": int(summary["customers"][0]),
        "active_customers": int(summary["active_customers"][0]),
        "days": daily.height,
        "cohort_rows": cohorts.height,
        "products": product.height,
        "regions": regional.height,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
