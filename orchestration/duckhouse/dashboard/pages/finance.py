"""Finance: revenue by month from the finance view and the TPC-H marts."""

from __future__ import annotations

import altair as alt
import streamlit as st

from duckhouse.dashboard.charts import chart, money_axis, trend
from duckhouse.dashboard.data import empty, money, open_view, rate
from duckhouse.sqltext import sql_string
from duckhouse.tenants import Tenant


def finance(tenant: Tenant) -> None:
    view = open_view(tenant, "Finance")
    regions = view.query(
        "select distinct region_name from finance.revenue_monthly order by region_name"
    ).region_name.tolist()
    chosen = st.multiselect("Regions", regions, default=regions)
    if not chosen:
        st.info("Choose at least one region.")
        return
    in_regions = ", ".join(sql_string(region) for region in chosen)
    monthly = view.query(
        f"""
        select * from finance.revenue_monthly
        where region_name in ({in_regions})
        """
    )
    if empty(monthly, "TPC-H orders"):
        return
    net = monthly.net_revenue.sum()
    columns = st.columns(3)
    columns[0].metric("Net revenue", money(net))
    columns[1].metric("Discount", money(monthly.discount_amount.sum()))
    columns[2].metric("Tax", money(monthly.tax_amount.sum()))
    columns = st.columns(3)
    columns[0].metric("Gross margin", money(monthly.gross_margin.sum()))
    columns[1].metric("Margin rate", rate(monthly.gross_margin.sum() / net if net else None))
    columns[2].metric("Receivables", money(monthly.receivables.sum()))
    st.caption(
        "All months of the selected regions. Receivables: total price of orders not yet "
        "fulfilled (status O or P), in their order month."
    )

    measures = (
        monthly.groupby("order_month")[
            ["gross_sales", "discount_amount", "tax_amount", "gross_margin", "receivables"]
        ]
        .sum()
        .astype(float)
        .reset_index()
        .melt("order_month", var_name="measure", value_name="amount")
    )
    trend(
        measures, "order_month", "amount", "measure",
        title="Revenue, discount, tax, gross margin and receivables",
        axis=money_axis("amount"), series_title=None, height=280,
    )  # fmt: skip

    by_region = (
        monthly.groupby(["order_month", "region_name"])[["net_revenue", "gross_margin"]]
        .sum()
        .astype(float)
        .reset_index()
    )
    by_region["margin_rate"] = by_region.gross_margin / by_region.net_revenue
    left, right = st.columns(2)
    with left:
        chart(
            alt.Chart(by_region)
            .mark_area()
            .encode(
                x=alt.X("order_month:T", title="month"),
                y=alt.Y("net_revenue:Q", stack=True, axis=money_axis("net revenue")),
                color=alt.Color("region_name:N", title="region"),
                tooltip=["order_month:T", "region_name:N", "net_revenue:Q"],
            )
            .properties(title="Net revenue by region", height=260)
        )
    with right:
        trend(
            by_region, "order_month", "margin_rate", "region_name",
            title="Gross margin rate by region", series_title="region",
            axis=alt.Axis(format="%", title="margin rate"), value_format=".2%",
        )  # fmt: skip
    by_nation = (
        monthly.groupby(["region_name", "nation_name"])[["net_revenue", "receivables"]]
        .sum()
        .astype(float)
        .reset_index()
    )
    chart(
        alt.Chart(by_nation)
        .mark_bar()
        .encode(
            y=alt.Y("nation_name:N", sort="-x", title="nation"),
            x=alt.X("net_revenue:Q", axis=money_axis("net revenue")),
            color=alt.Color("region_name:N", title="region"),
            tooltip=["nation_name:N", "net_revenue:Q", "receivables:Q"],
        )
        .properties(title="Net revenue by nation", height=alt.Step(14))
    )
