"""The charts the dashboard's pages share (Altair, full width)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st


def chart(chart: alt.Chart) -> None:
    st.altair_chart(chart, width="stretch")


def money_axis(title: str) -> alt.Axis:
    # SI prefixes, but billions as B (not G): how finance people write them
    return alt.Axis(title=title, format="~s", labelExpr="replace(datum.label, 'G', 'B')")


def trend(
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
    chart(
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
