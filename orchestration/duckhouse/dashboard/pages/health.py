"""Data health: each source's freshness, quarantined lines, the quality report, builds."""

from __future__ import annotations

import altair as alt
import streamlit as st

from duckhouse.dashboard.charts import chart
from duckhouse.dashboard.data import count, empty, open_view
from duckhouse.project import project_var
from duckhouse.tenants import Tenant
from duckhouse.warehouse import queries

FRESHNESS_HOURS = float(project_var("freshness_hours"))
"""How fresh gold must be: `freshness_hours` in dbt_project.yml (Dagster's policies too)."""


def health(tenant: Tenant) -> None:
    view = open_view(tenant, "Data health")
    sources = view.query(queries.source_freshness(FRESHNESS_HOURS))
    quarantine = view.query(queries.QUARANTINE_BY_FILE)
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
        chart(
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
        chart(
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
        view.query(queries.RECENT_BUILDS),
        hide_index=True,
    )
