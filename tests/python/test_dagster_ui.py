"""The Dagster UI, started with the README's command (`make dagster`) and used in a real
headless Chromium: both tenants' assets are in the lineage graph, a materialization
launched from the UI succeeds, and the built asset shows its metadata."""

from __future__ import annotations

import time

import dagster as dg
import duckdb
import pytest

from conftest import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    SCREENSHOTS,
    free_port,
    make_env,
    serving,
    write_registry,
)

TENANTS = ("ui_a", "ui_b")
LAYERS = ("landing", "bronze", "silver", "gold", "views")


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    root = tmp_path_factory.mktemp("dagster_ui")
    registry = root / "tenants.yml"
    write_registry(registry, dict.fromkeys(TENANTS, 0.01))
    env = make_env(root, registry)
    home = root / "dagster_home"
    port = free_port()
    command = ["make", "--no-print-directory", "dagster",
               f"DAGSTER_HOME={home}", f"DAGSTER_PORT={port}"]  # fmt: skip
    with (
        (root / "dagster.log").open("w") as log,
        serving(command, port, "make dagster", env, timeout=300, log=log) as url,
    ):
        yield url, root, home


def test_lineage_shows_both_tenants_and_ui_materialization_succeeds(dagster_ui) -> None:
    from playwright.sync_api import sync_playwright

    url, root, home = dagster_ui
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(60_000)

            # the global lineage graph: one group node per tenant and layer, in the graph
            page.goto(f"{url}/asset-groups")
            graph = page.locator("svg").filter(has_text="ui_b_views").first
            graph.wait_for(state="visible", timeout=120_000)
            drawn = graph.text_content() or ""
            for tenant in TENANTS:
                for layer in LAYERS:
                    assert f"{tenant}_{layer}" in drawn, f"{tenant}_{layer} not in the graph"
            page.wait_for_timeout(500)
            page.screenshot(path=str(SCREENSHOTS / "dagster_lineage.png"))

            # every tenant's view is an asset under its own key prefix, with its dbt docs
            for tenant in TENANTS:
                page.goto(f"{url}/assets/{tenant}/views/finance_revenue_monthly")
                page.get_by_text("The finance view").first.wait_for()

            # launch the tenant's job from its page, as an operator would
            page.goto(f"{url}/locations/duckhouse.orchestration.definitions/jobs/ui_a_build")
            page.get_by_role("button", name="Materialize all").click()
            page.get_by_text("Launched run").wait_for()
            page.get_by_role("link", name="View").first.click()
            page.wait_for_url("**/runs/**")
            run_id = page.url.rstrip("/").split("/")[-1]

            deadline = time.monotonic() + 600
            status = None
            with dg.DagsterInstance.from_config(str(home)) as instance:
                while time.monotonic() < deadline:
                    status = instance.get_run_by_id(run_id).status
                    if status in (
                        dg.DagsterRunStatus.SUCCESS,
                        dg.DagsterRunStatus.FAILURE,
                        dg.DagsterRunStatus.CANCELED,
                    ):
                        break
                    time.sleep(2)
            assert status == dg.DagsterRunStatus.SUCCESS, (root / "dagster.log").read_text()[-4000:]
            page.reload()
            page.get_by_text("Success").first.wait_for()
            page.screenshot(path=str(SCREENSHOTS / "dagster_run_success.png"))

            # the gold mart shows its row count, and the UI agrees with the warehouse
            warehouse = root / "data" / "ui_a" / "ui_a.duckdb"
            with duckdb.connect(str(warehouse), read_only=True) as connection:
                (rows,) = connection.execute(
                    "select count(*) from gold_finance.mart_finance__monthly_revenue"
                ).fetchone()
            assert rows > 0
            page.goto(f"{url}/assets/ui_a/gold/mart_finance__monthly_revenue")
            page.get_by_text("Row count").first.wait_for()
            page.get_by_text("Execution Duration").first.wait_for()
            body = page.inner_text("body")
            assert f"{rows:,}" in body or str(rows) in body, f"row count {rows} not shown"
            page.screenshot(path=str(SCREENSHOTS / "dagster_gold_asset.png"), full_page=True)
        finally:
            browser.close()
    assert (SCREENSHOTS / "dagster_lineage.png").stat().st_size > 10_000
