"""Marketing: segments, brands, customer value and the at-risk customers."""

from __future__ import annotations

import altair as alt
import streamlit as st

from duckhouse.dashboard.charts import chart, money_axis, trend
from duckhouse.dashboard.data import count, empty, money, open_view, rate
from duckhouse.tenants import Tenant


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
            trend(
                segments.astype({"net_revenue": float}), "order_month", "net_revenue",
                "market_segment", title="Segment performance (TPC-H customers)",
                series_title="segment", axis=money_axis("net revenue"),
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
            chart(
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
            chart(
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
            chart(
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
            chart(
                alt.Chart(brands.astype({"net_revenue": float}))
                .mark_bar()
                .encode(
                    y=alt.Y("brand:N", sort="-x", title="brand"),
                    x=alt.X("sum(net_revenue):Q", axis=money_axis("net revenue")),
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
            trend(
                late, "receipt_month", "late_delivery_rate", "ship_mode",
                title="Late-delivery rate by ship mode", series_title="ship mode",
                time_title="receipt month", axis=alt.Axis(format="%", title="late"),
                value_format=".2%",
            )  # fmt: skip

    st.subheader("At-risk customers")
    st.caption("High value, inactive: the 25 with the highest lifetime value.")
    st.dataframe(at_risk.head(25), hide_index=True)
