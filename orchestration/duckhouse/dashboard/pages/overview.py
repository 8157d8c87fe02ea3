"""The overview: the shop's headline KPIs and the monthly trend."""

from __future__ import annotations

import altair as alt
import streamlit as st

from duckhouse.dashboard.charts import chart, money_axis
from duckhouse.dashboard.data import change, count, empty, money, open_view, rate
from duckhouse.tenants import Tenant


def overview(tenant: Tenant) -> None:
    view = open_view(tenant, "Overview")
    kpi = view.query("select * from gold_sales.mart_sales__kpi_summary")
    months = view.query(
        """
        select month_start, revenue, orders, customers, revenue_growth, orders_growth,
            average_order_value
        from gold_sales.mart_sales__monthly_sales
        order by month_start
        """
    )
    st.subheader("Shop KPI summary")
    if not empty(kpi, "shop orders"):
        row = kpi.iloc[0]
        latest = months.iloc[-1] if len(months) else None
        before = months.iloc[-2] if len(months) > 1 else None

        def delta(column: str) -> str | None:
            if latest is None or before is None or not before[column]:
                return None
            return change(float(latest[column]) / float(before[column]) - 1)

        columns = st.columns(3)
        columns[0].metric("Revenue", money(row.revenue), delta("revenue"))
        columns[1].metric("Orders", count(row.orders), delta("orders"))
        columns[2].metric(
            "Average order value", money(row.average_order_value), delta("average_order_value")
        )
        columns = st.columns(3)
        columns[0].metric("Customers", count(row.customers))
        columns[1].metric("Active customers", count(row.active_customers), delta("customers"))
        if before is not None:
            st.caption(
                f"All orders up to {row.last_order_date:%Y-%m-%d}. Changes: "
                f"{latest.month_start:%B %Y} against {before.month_start:%B %Y} (revenue, "
                "orders, average order value; active customers: customers who ordered "
                "in each month). Active customers ordered in the last 90 days."
            )
        chart(
            alt.Chart(months)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month_start):O", title="month"),
                y=alt.Y("revenue:Q", axis=money_axis("revenue")),
                tooltip=["month_start:T", "revenue:Q", "orders:Q", "revenue_growth:Q"],
            )
            .properties(title="Shop revenue by month", height=260)
        )

    st.subheader("Orders business (TPC-H)")
    finance = view.query(
        """
        select order_month, sum(net_revenue) as net_revenue, sum(gross_margin) as gross_margin,
            sum(order_count) as orders
        from finance.revenue_monthly
        group by order_month
        order by order_month
        """
    )
    if not empty(finance, "TPC-H orders"):
        columns = st.columns(3)
        columns[0].metric("Net revenue (TPC-H)", money(finance.net_revenue.sum()))
        columns[1].metric("Orders (TPC-H)", count(finance.orders.sum()))
        columns[2].metric(
            "Gross margin rate (TPC-H)",
            rate(finance.gross_margin.sum() / finance.net_revenue.sum()),
        )
        chart(
            alt.Chart(finance)
            .mark_line()
            .encode(
                x=alt.X("order_month:T", title="month"),
                y=alt.Y("net_revenue:Q", axis=money_axis("net revenue")),
                tooltip=["order_month:T", "net_revenue:Q", "orders:Q"],
            )
            .properties(title="Net revenue by month", height=220)
        )
