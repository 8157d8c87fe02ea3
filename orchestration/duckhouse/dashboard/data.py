"""What every page needs: the tenant chosen in the sidebar, its current snapshot, queries
over it (cached per snapshot), the page header and number formats."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from duckhouse.dashboard.snapshots import NoSnapshotError, Snapshot, latest_snapshot
from duckhouse.paths import registry_path
from duckhouse.tenants import Tenant, load_registry

TENANT_PARAM = "tenant"


@dataclass(frozen=True)
class View:
    """The tenant and the build a page shows."""

    tenant: Tenant
    snapshot: Snapshot

    def query(self, sql: str) -> pd.DataFrame:
        return _query(str(self.snapshot.path), sql)


@st.cache_resource(max_entries=8, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return Snapshot.at(Path(path)).load()


@st.cache_data(max_entries=512, show_spinner=False)
def _query(path: str, sql: str) -> pd.DataFrame:
    # a cursor per query: the cached connection is shared by every browser session
    return _connection(path).cursor().execute(sql).df()


def markdown_plain(text: str) -> str:
    """Registry text shown through Markdown as the characters it is (no links, no markup)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:])", r"\\\1", text)


def registry() -> list[Tenant]:
    return load_registry(registry_path())


def select_tenant() -> Tenant:
    """The sidebar's tenant selector: the registry's tenants only, kept in the URL
    (`?tenant=<id>`) so that a page can be linked to."""
    tenants = {tenant.id: tenant for tenant in registry()}
    if not tenants:
        st.error(f"The registry {registry_path()} has no tenants: add one (duckhouse create).")
        st.stop()
    requested = st.query_params.get(TENANT_PARAM)
    if requested is not None and requested not in tenants:
        st.sidebar.error(f"No tenant '{requested}' in the registry {registry_path()}.")
    if st.session_state.get(TENANT_PARAM) not in tenants:
        # a new browser session (or its tenant was deleted): the URL says which tenant;
        # afterwards the selector does, and the URL follows it
        st.session_state[TENANT_PARAM] = requested if requested in tenants else next(iter(tenants))
    tenant_id = st.sidebar.selectbox(
        "Tenant",
        list(tenants),
        key=TENANT_PARAM,
        format_func=lambda tenant_id: f"{tenants[tenant_id].display_name} ({tenant_id})",
    )
    st.query_params[TENANT_PARAM] = tenant_id
    return tenants[tenant_id]


def open_view(tenant: Tenant, title: str) -> View:
    """The page's title and the line that says which tenant and which build it shows."""
    st.title(title)
    try:
        snapshot = latest_snapshot(tenant.id)
    except NoSnapshotError as exc:
        st.warning(str(exc))
        st.stop()
    build = snapshot.build
    st.caption(
        f"Tenant **{markdown_plain(tenant.display_name)}** (`{tenant.id}`) · "
        f"build `{build['invocation_id']}` ({build['command']}), "
        f"started {build['started_at'].replace('T', ' ').rstrip('Z')} UTC, "
        f"published {build['published_at'].replace('T', ' ').rstrip('Z')} UTC"
    )
    return View(tenant=tenant, snapshot=snapshot)


def money(value: object) -> str:
    """To the cent, with thousands separators: the number people compare with the views."""
    if value is None or pd.isna(value):
        return "-"
    return f"{Decimal(str(value)).quantize(Decimal('0.01')):,}"


def count(value: object) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{int(value):,}"


def rate(value: object) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value) * 100:.2f} %"


def change(value: object) -> str | None:
    """A relative change as Streamlit's metric delta, or None when there is none."""
    if value is None or pd.isna(value):
        return None
    return f"{float(value) * 100:+.1f} %"


def empty(frame: pd.DataFrame, what: str) -> bool:
    """Say so on the page when a chart would be empty."""
    if frame.empty:
        st.info(f"No {what} in this build.")
        return True
    return False
