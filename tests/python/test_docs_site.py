"""The dbt docs site: generated with full documentation coverage, served with the README's
command, and looked at in a real headless Chromium."""

from __future__ import annotations

import subprocess

import pytest

from conftest import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    PROJECT_DIR,
    SCREENSHOTS,
    free_port,
    serving,
)

TENANT = "tiny_a"
VIEW = "model.duckhouse.finance_revenue_monthly"
# counts the drawn (non-transparent) pixels of every canvas: the lineage graph is a canvas
CANVAS_INK = """() => Array.from(document.querySelectorAll('canvas')).map(canvas => {
    if (!canvas.width || !canvas.height) return 0;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ink++;
    return ink;
})"""


def _dbt(lakehouse, *args: str) -> list[str]:
    return [
        str(PROJECT_DIR / ".venv" / "bin" / "dbt"),
        *args,
        "--target",
        TENANT,
        "--target-path",
        str(lakehouse.target(TENANT)),
    ]


@pytest.fixture(scope="module")
def docs_site(lakehouse):
    subprocess.run(
        _dbt(lakehouse, "docs", "generate"),
        cwd=PROJECT_DIR,
        env=lakehouse.env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    command = [
        *_dbt(lakehouse, "docs", "serve"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-browser",
    ]
    with serving(command, port, "dbt docs serve", lakehouse.env) as url:
        yield url


def test_every_model_column_and_source_is_documented(lakehouse, docs_site) -> None:
    target = lakehouse.target(TENANT)
    result = lakehouse.cli(
        "check-project",
        "--manifest",
        str(target / "manifest.json"),
        "--catalog",
        str(target / "catalog.json"),
    )
    assert "no violations" in result.stdout


def test_finance_view_page_and_lineage_render(docs_site) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{docs_site}/#!/model/{VIEW}")
            page.wait_for_selector("text=The finance view", timeout=30_000)

            assert page.get_by_text("finance_revenue_monthly").first.is_visible()
            assert "Finance Analytics" in page.content(), "group owner missing"
            assert "data-platform" not in page.content(), "the view shows a second owner"
            columns = page.locator("table").first.inner_text()
            for column in (
                "tenant_id",
                "order_month",
                "net_revenue",
                "gross_margin",
                "average_order_value",
                "receivables",
            ):
                assert column in columns, f"column {column} not on the page"
            assert "DECIMAL(18,2)" in columns, "column types missing"
            page.screenshot(path=str(SCREENSHOTS / "docs_finance_view.png"), full_page=True)

            page.locator("[title='View Lineage Graph']").first.click()
            page.wait_for_function(
                f"() => ({CANVAS_INK})().some(ink => ink > 1000)", timeout=30_000
            )
            page.wait_for_timeout(500)  # let the layout settle before the screenshot
            page.screenshot(path=str(SCREENSHOTS / "docs_finance_view_lineage.png"))
        finally:
            browser.close()
    assert (SCREENSHOTS / "docs_finance_view_lineage.png").stat().st_size > 10_000
