"""The dashboard (Streamlit): `duckhouse dashboard` starts it on 127.0.0.1.

Pages per tenant over the gold layer and the finance and marketing views, read from the
Parquet snapshot each successful build publishes (duckhouse.dashboard.snapshots).
"""

from __future__ import annotations

import streamlit as st

from duckhouse.dashboard.data import select_tenant
from duckhouse.dashboard.pages import PAGES

st.set_page_config(page_title="duckhouse", page_icon=":duck:", layout="wide")
# metrics show money to the cent: a smaller figure than Streamlit's default keeps a
# hundred-billion amount whole in a third of the page
st.html("<style>[data-testid='stMetricValue'] { font-size: 1.8rem; }</style>")
tenant = select_tenant()
st.sidebar.caption("Each page shows the tenant's last successful build.")
navigation = st.navigation(
    [
        st.Page(
            lambda render=render: render(tenant),
            title=title,
            url_path=path,
            default=index == 0,
        )
        for index, (path, (title, render)) in enumerate(PAGES.items())
    ]
)
navigation.run()
