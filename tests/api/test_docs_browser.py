"""/docs (Swagger UI) in a real headless Chromium with every non-loopback request blocked: the page must
render the API's operations from assets the service serves itself, and request nothing from elsewhere."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture(scope="module")
def offline_page():
    """``offline_page()``: a page whose requests to anything but loopback are aborted; ``page.blocked`` lists them."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test-deps, or apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def open_page():  # type: ignore[no-untyped-def]
            context = browser.new_context()
            blocked: list[str] = []

            def route(r):  # type: ignore[no-untyped-def]
                if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.blocked = blocked  # type: ignore[attr-defined]
            return page

        yield open_page
        browser.close()


def test_swagger_ui_shows_the_operations_offline_and_calls_no_one(offline_page, live_server):
    page = offline_page()
    page.goto(live_server + "/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/v1/search" in p for p in paths) and any("/v1/ask" in p for p in paths), paths
    page.wait_for_load_state("networkidle")
    assert page.blocked == []  # type: ignore[attr-defined]


def test_redoc_is_not_served(live_server):
    # ReDoc's bundle fetches its logo from cdn.redoc.ly, so it is not offered
    import httpx

    assert httpx.get(live_server + "/redoc", timeout=30).status_code == 404
