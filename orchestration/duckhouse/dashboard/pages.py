"""The dashboard's pages. Each reads the tenant's current snapshot (data.View) with SQL over
the same relations people query in the warehouse, and draws Altair charts."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from duckhouse.dashboard.data import change, count, empty, money, open_view, rate
from duckhouse.tenants import Tenant

FRESHNESS_HOURS = 26
"""How fresh gold is expected to be: a daily build plus 2 h slack (`freshness_hours` of
gold and the views in dbt_project.yml)."""


def _chart(chart: alt.Chart) -> None:
    st.altair_chart(chart, width="stretch")


def _money_axis(title: str) -> alt.Axis:
    # SI prefixes, but billions as B (not G): how finance people write them
    return alt.Axis(title=title, format="~s", labelExpr="replace(datum.label, 'G', 'B')")


def _trend(
    frame: pd.DataFrame,
    time: str,
    value: str,
    series: str,
    *,
    title: str,
    axis: alt.Axis,
    series_title: str | None,
    time_title: str = "month",
    value_format: str = ",.2f",
    height: int = 260,
) -> None:
    """One line per value of `series` over `time`."""
    _chart(
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X(f"{time}:T", title=time_title),
            y=alt.Y(f"{value}:Q", axis=axis),
            color=alt.Color(f"{series}:N", title=series_title),
            tooltip=[f"{time}:T", f"{series}:N", alt.Tooltip(f"{value}:Q", format=value_format)],
        )
        .properties(title=title, height=height)
    )


# ---------------------------------------------------------------- overview


def overview(tenant: Tenant) -> None:
    view = open_view(tenant, "Overview")
    kpi = view.query("select * from gold_sales.mart_sales__kpi_summary")
    months = view.query(
        """
        select month_start, revenue, orders, customers, revenue_growth, orders_growth,
            revenue / nullif(orders - cancelled_orders, 0) as average_order_value
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
        _chart(
            alt.Chart(months)
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month_start):O", title="month"),
                y=alt.Y("revenue:Q", axis=_money_axis("revenue")),
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
        _chart(
            alt.Chart(finance)
            .mark_line()
            .encode(
                x=alt.X("order_month:T", title="month"),
                y=alt.Y("net_revenue:Q", axis=_money_axis("net revenue")),
                tooltip=["order_month:T", "net_revenue:Q", "orders:Q"],
            )
            .properties(title="Net revenue by month", height=220)
        )


# ---------------------------------------------------------------- finance


def finance(tenant: Tenant) -> None:
    view = open_view(tenant, "Finance")
    regions = view.query(
        "select distinct region_name from finance.revenue_monthly order by region_name"
    ).region_name.tolist()
    chosen = st.multiselect("Regions", regions, default=regions)
    if not chosen:
        st.info("Choose at least one region.")
        return
    in_regions = ", ".join("'" + region.replace("'", "''") + "'" for region in chosen)
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
    _trend(
        measures, "order_month", "amount", "measure",
        title="Revenue, discount, tax, gross margin and receivables",
        axis=_money_axis("amount"), series_title=None, height=280,
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
        _chart(
            alt.Chart(by_region)
            .mark_area()
            .encode(
                x=alt.X("order_month:T", title="month"),
                y=alt.Y("net_revenue:Q", stack=True, axis=_money_axis("net revenue")),
                color=alt.Color("region_name:N", title="region"),
                tooltip=["order_month:T", "region_name:N", "net_revenue:Q"],
            )
            .properties(title="Net revenue by region", height=260)
        )
    with right:
        _trend(
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
    _chart(
        alt.Chart(by_nation)
        .mark_bar()
        .encode(
            y=alt.Y("nation_name:N", sort="-x", title="nation"),
            x=alt.X("net_revenue:Q", axis=_money_axis("net revenue")),
            color=alt.Color("region_name:N", title="region"),
            tooltip=["nation_name:N", "net_revenue:Q", "receivables:Q"],
        )
        .properties(title="Net revenue by nation", height=alt.Step(14))
    )


# ---------------------------------------------------------------- marketing


def marketing(tenant: Tenant) -> None:
    view = open_view(tenant, "Marketing")
    at_risk = view.query(
        "select * from marketing.at_risk_customers order by lifetime_value desc, customer_id"
    )
    delivery = view.query(
        """
        select receipt_month, ship_mode, delivered_line_count, late_line_count
        from marketing.delivery_performance
        """
    )
    delivered = delivery.delivered_line_count.sum()
    columns = st.columns(4)
    columns[0].metric("At-risk customers", count(len(at_risk)))
    columns[1].metric("Their lifetime value", money(at_risk.lifetime_value.sum()))
    columns[2].metric(
        "Late-delivery rate",
        rate(delivery.late_line_count.sum() / delivered if delivered else None),
    )
    segments = view.query(
        """
        select order_month, market_segment, net_revenue, active_customer_count
        from marketing.segment_performance
        order by order_month
        """
    )
    columns[3].metric("Market segments", count(segments.market_segment.nunique()))

    left, right = st.columns(2)
    with left:
        if not empty(segments, "segment performance"):
            _trend(
                segments.astype({"net_revenue": float}), "order_month", "net_revenue",
                "market_segment", title="Segment performance (TPC-H customers)",
                series_title="segment", axis=_money_axis("net revenue"),
            )  # fmt: skip
    with right:
        rfm = view.query(
            """
            select rfm_segment, count(*) as customers, sum(net_revenue) as net_revenue
            from marketing.customer_value
            where has_ordered
            group by rfm_segment
            """
        )
        if not empty(rfm, "RFM segments"):
            _chart(
                alt.Chart(rfm.astype({"net_revenue": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("rfm_segment:N", sort="-x", title="RFM segment"),
                    x=alt.X("customers:Q", title="customers"),
                    tooltip=["rfm_segment:N", "customers:Q", "net_revenue:Q"],
                )
                .properties(title="RFM segments (TPC-H customers)", height=260)
            )

    campaigns = view.query(
        """
        select rfm_segment, campaign, sum(customer_count) as customers,
            sum(total_lifetime_value) as lifetime_value
        from marketing.campaign_segments
        group by rfm_segment, campaign
        """
    )
    cohorts = view.query(
        """
        select cohort_month, months_since_first_order, retention_rate, cohort_customers
        from gold_sales.mart_sales__cohort_retention
        """
    )
    left, right = st.columns(2)
    with left:
        if not empty(campaigns, "campaign segments"):
            _chart(
                alt.Chart(campaigns.astype({"lifetime_value": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("rfm_segment:N", sort="-x", title="RFM segment"),
                    x=alt.X("customers:Q", title="customers"),
                    color=alt.Color("campaign:N"),
                    tooltip=["rfm_segment:N", "campaign:N", "customers:Q", "lifetime_value:Q"],
                )
                .properties(title="Campaign segments (shop customers)", height=260)
            )
    with right:
        if not empty(cohorts, "cohorts"):
            _chart(
                alt.Chart(cohorts.astype({"retention_rate": float}))
                .mark_rect()
                .encode(
                    x=alt.X("months_since_first_order:O", title="months since first order"),
                    y=alt.Y("yearmonth(cohort_month):O", title="cohort"),
                    color=alt.Color(
                        "retention_rate:Q", scale=alt.Scale(scheme="blues"), title="retention"
                    ),
                    tooltip=[
                        "yearmonth(cohort_month):O",
                        "months_since_first_order:O",
                        "cohort_customers:Q",
                        alt.Tooltip("retention_rate:Q", format=".1%"),
                    ],
                )
                .properties(title="Cohort retention (shop customers)", height=260)
            )

    brands = view.query(
        """
        with latest as (select max(order_month) as order_month from marketing.top_brands)
        select top_brands.market_segment, top_brands.brand, top_brands.net_revenue,
            top_brands.brand_rank, top_brands.order_month
        from marketing.top_brands
        inner join latest on top_brands.order_month = latest.order_month
        """
    )
    left, right = st.columns(2)
    with left:
        if not empty(brands, "top brands"):
            _chart(
                alt.Chart(brands.astype({"net_revenue": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("brand:N", sort="-x", title="brand"),
                    x=alt.X("sum(net_revenue):Q", axis=_money_axis("net revenue")),
                    color=alt.Color("market_segment:N", title="segment"),
                    tooltip=["market_segment:N", "brand:N", "brand_rank:Q", "net_revenue:Q"],
                )
                .properties(
                    title=f"Top brands, {brands.order_month.max():%B %Y}",
                    height=alt.Step(14),
                )
            )
    with right:
        late = (
            delivery.groupby(["receipt_month", "ship_mode"])[
                ["late_line_count", "delivered_line_count"]
            ]
            .sum()
            .reset_index()
        )
        late["late_delivery_rate"] = late.late_line_count / late.delivered_line_count
        if not empty(late, "deliveries"):
            _trend(
                late, "receipt_month", "late_delivery_rate", "ship_mode",
                title="Late-delivery rate by ship mode", series_title="ship mode",
                time_title="receipt month", axis=alt.Axis(format="%", title="late"),
                value_format=".2%",
            )  # fmt: skip

    st.subheader("At-risk customers")
    st.caption("High value, inactive: the 25 with the highest lifetime value.")
    st.dataframe(at_risk.head(25), hide_index=True)


# ---------------------------------------------------------------- sales

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
            y=alt.Y("revenue:Q", axis=_money_axis("revenue")),
            tooltip=["period:T", "revenue:Q", "orders:Q", "revenue_growth:Q"],
        )
    )
    if grain == "Daily":
        chart_frame["revenue_7d_moving_avg"] = chart_frame.revenue_7d_moving_avg.astype(float)
        revenue = revenue + alt.Chart(chart_frame).mark_line(color="#d62728").encode(
            x="period:T", y=alt.Y("revenue_7d_moving_avg:Q", title="7-day moving average")
        )
    _chart(revenue.properties(title=f"{grain} revenue", height=260))
    growth = chart_frame.dropna(subset=["revenue_growth"])
    _chart(
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
            _chart(
                alt.Chart(products.astype({"revenue": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("product_name:N", sort="-x", title="product"),
                    x=alt.X("revenue:Q", axis=_money_axis("revenue")),
                    color=alt.Color("product_category:N", title="category"),
                    tooltip=["product_name:N", "units:Q", "revenue:Q", "unique_customers:Q"],
                )
                .properties(title="Top 15 products by revenue", height=alt.Step(16))
            )
    with right:
        if not empty(regions, "regions"):
            _chart(
                alt.Chart(regions.astype({"revenue": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("state:N", sort="-x", title="state"),
                    x=alt.X("revenue:Q", axis=_money_axis("revenue")),
                    color=alt.Color("country:N"),
                    tooltip=["country:N", "state:N", "orders:Q", "revenue:Q", "average_basket:Q"],
                )
                .properties(title="Revenue by region", height=alt.Step(16))
            )


# ---------------------------------------------------------------- data health


def health(tenant: Tenant) -> None:
    view = open_view(tenant, "Data health")
    sources = view.query(
        f"""
        select source_name,
            max(finished_at) filter (where status = 'ok') as last_successful_build,
            max(finished_at) as last_build,
            arg_max(status, finished_at) as last_status,
            round(date_diff('minute', max(finished_at) filter (where status = 'ok'),
                cast(now() at time zone 'UTC' as timestamp)) / 60.0, 1) as hours_since,
            coalesce(hours_since <= {FRESHNESS_HOURS}, false) as is_fresh
        from duckhouse_meta.build_sources
        group by source_name
        order by source_name
        """
    )
    quarantine = view.query(
        """
        select entity, _source_file as source_file, rule_name, column_name, count(*) as lines,
            min(_line) as first_line, any_value(reason) as example_reason
        from bronze.stg_shop__quarantine
        group by all
        order by lines desc, entity, source_file
        """
    )
    quality = view.query(
        """
        select entity, source_file, rule_name, lines_checked, lines_failed
        from gold_quality.mart_quality__shop_extracts
        order by entity, source_file, rule_order
        """
    )
    columns = st.columns(4)
    columns[0].metric("Quarantined lines", count(quarantine.lines.sum()))
    columns[1].metric(
        "Lines checked",
        count(quality.drop_duplicates(["entity", "source_file"]).lines_checked.sum()),
    )
    columns[2].metric("Sources fresh", f"{int(sources.is_fresh.sum())} of {len(sources)}")
    columns[3].metric(
        "Hours since last good build", f"{sources.hours_since.max():.1f}" if len(sources) else "-"
    )

    st.subheader("Last successful build per source")
    st.caption(f"Fresh: a successful build in the last {FRESHNESS_HOURS} hours.")
    st.dataframe(sources, hide_index=True)
    st.subheader("Quarantined lines")
    if not empty(quarantine, "quarantined lines"):
        _chart(
            alt.Chart(quarantine)
            .mark_bar()
            .encode(
                y=alt.Y("rule_name:N", sort="-x", title="rule"),
                x=alt.X("sum(lines):Q", title="lines"),
                color=alt.Color("entity:N"),
                tooltip=["entity:N", "source_file:N", "rule_name:N", "lines:Q"],
            )
            .properties(title="Quarantined lines by rule", height=alt.Step(18))
        )
        st.dataframe(quarantine, hide_index=True)
    st.subheader("Quality report")
    if not empty(quality, "quality checks"):
        failed = quality.astype({"lines_checked": float, "lines_failed": float})
        _chart(
            alt.Chart(failed)
            .mark_bar()
            .encode(
                y=alt.Y("rule_name:N", title="rule"),
                x=alt.X("sum(lines_failed):Q", title="lines failed"),
                color=alt.Color("entity:N"),
                tooltip=[
                    "entity:N",
                    "source_file:N",
                    "rule_name:N",
                    "lines_checked:Q",
                    "lines_failed:Q",
                ],
            )
            .properties(title="Lines failed per rule", height=alt.Step(14))
        )
        st.dataframe(quality, hide_index=True)
    st.subheader("Recent builds")
    st.dataframe(
        view.query("select * from duckhouse_meta.builds order by started_at desc limit 10"),
        hide_index=True,
    )


PAGES: dict[str, tuple[str, Callable[[Tenant], None]]] = {
    "overview": ("Overview", overview),
    "finance": ("Finance", finance),
    "marketing": ("Marketing", marketing),
    "sales": ("Sales", sales),
    "health": ("Data health", health),
}
