"""The dashboard's pages, one module each. Each reads the tenant's current snapshot
(data.View) with SQL over the same relations people query in the warehouse, and draws
Altair charts (duckhouse.dashboard.charts)."""

from __future__ import annotations

from collections.abc import Callable

from duckhouse.dashboard.pages.finance import finance
from duckhouse.dashboard.pages.health import health
from duckhouse.dashboard.pages.marketing import marketing
from duckhouse.dashboard.pages.overview import overview
from duckhouse.dashboard.pages.sales import sales
from duckhouse.tenants import Tenant

PAGES: dict[str, tuple[str, Callable[[Tenant], None]]] = {
    "overview": ("Overview", overview),
    "finance": ("Finance", finance),
    "marketing": ("Marketing", marketing),
    "sales": ("Sales", sales),
    "health": ("Data health", health),
}
