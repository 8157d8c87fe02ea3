"""Sales: the shop's daily, weekly and monthly sales, products and regions."""

from __future__ import annotations

import altair as alt
import streamlit as st

from duckhouse.dashboard.charts import chart, money_axis
from duckhouse.dashboard.data import change, count, empty, money, open_view
from duckhouse.tenants import Tenant

GRAINS = {
    "Daily": ("gold_sales.mart_sales__daily_sales", "order_date"),
    "Weekly": ("gold_sales.mart_sales__weekly_sales", "week_start"),
    "Monthly": ("gold_sales.mart_sales__monthly_sales", "month_start"),
}


def sales(tenant: Tenant) -> None:
    view = open_view(tenant, "Sales")
    grain = st.radio("Period", list(GRAINS), index=2, horizontal=True)
    relation, period = GRAINS[grain]
    extra = ", revenue_7d_moving_avg" if grain == "Daily" else ""
    frame = view.query(
        f"""
        select {period} as period, orders, cancelled_orders, units, revenue, customers,
            revenue_growth{extra}
        from {relation}
        order by period
        """
    )
    if empty(frame, "shop orders"):
        return
    latest = frame.iloc[-1]
    columns = st.columns(4)
    columns[0].metric(
        f"Revenue, {latest.period:%Y-%m-%d}", money(latest.revenue), change(latest.revenue_growth)
    )
    columns[1].metric("Orders", count(latest.orders))
    columns[2].metric("Customers", count(latest.customers))
    columns[3].metric("Revenue, all periods", money(frame.revenue.sum()))
    st.caption(f"The latest {grain.lower()} period; the change is against the period before.")

    chart_frame = frame.astype({"revenue": float, "revenue_growth": float})
    revenue = (
        alt.Chart(chart_frame)
        .mark_area(opacity=0.35, line=True)
        .encode(
            x=alt.X("period:T", title=grain.lower()),
            y=alt.Y("revenue:Q", axis=money_axis("revenue")),
            tooltip=["period:T", "revenue:Q", "orders:Q", "revenue_growth:Q"],
        )
    )
    if grain == "Daily":
        chart_frame["revenue_7d_moving_avg"] = chart_frame.revenue_7d_moving_avg.astype(float)
        revenue = revenue + alt.Chart(chart_frame).mark_line(color="#d62728").encode(
            x="period:T", y=alt.Y("revenue_7d_moving_avg:Q", title="7-day moving average")
        )
    chart(revenue.properties(title=f"{grain} revenue", height=260))
    growth = chart_frame.dropna(subset=["revenue_growth"])
    chart(
        (
            alt.Chart(growth)
            .mark_line(point=grain != "Daily")
            .encode(
                x=alt.X("period:T", title=grain.lower()),
                y=alt.Y("revenue_growth:Q", axis=alt.Axis(format="%", title="growth")),
                tooltip=["period:T", alt.Tooltip("revenue_growth:Q", format=".1%")],
            )
            + alt.Chart(growth).mark_rule(color="gray").encode(y=alt.datum(0))
        ).properties(title=f"{grain} revenue growth, against the period before", height=180)
    )

    products = view.query(
        """
        select product_name, product_category, units, revenue, unique_customers, revenue_share
        from gold_sales.mart_sales__product_performance
        order by revenue desc, product_name
        limit 15
        """
    )
    regions = view.query(
        """
        select country, state, orders, revenue, customers, average_basket, revenue_share
        from gold_sales.mart_sales__regional_sales
        order by revenue desc
        """
    )
    left, right = st.columns(2)
    with left:
        if not empty(products, "products"):
            chart(
                alt.Chart(products.astype({"revenue": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("product_name:N", sort="-x", title="product"),
                    x=alt.X("revenue:Q", axis=money_axis("revenue")),
                    color=alt.Color("product_category:N", title="category"),
                    tooltip=["product_name:N", "units:Q", "revenue:Q", "unique_customers:Q"],
                )
                .properties(title="Top 15 products by revenue", height=alt.Step(16))
            )
    with right:
        if not empty(regions, "regions"):
            chart(
                alt.Chart(regions.astype({"revenue": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("state:N", sort="-x", title="state"),
                    x=alt.X("revenue:Q", axis=money_axis("revenue")),
                    color=alt.Color("country:N"),
                    tooltip=["country:N", "state:N", "orders:Q", "revenue:Q", "average_basket:Q"],
                )
                .properties(title="Revenue by region", height=alt.Step(16))
            )
