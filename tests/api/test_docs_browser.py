"""/docs (Swagger UI) and /redoc in a real headless Chromium with every non-loopback request blocked: the
pages must render the API's operations from assets the service serves itself."""

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


def test_swagger_ui_shows_the_operations_offline(offline_page, live_server):
    page = offline_page()
    page.goto(live_server + "/docs")
    page.wait_for_selector(".opblock-summary-path")
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/v1/search" in p for p in paths) and any("/v1/ask" in p for p in paths), paths
    assert page.blocked == []  # type: ignore[attr-defined]


def test_redoc_shows_the_operations_offline(offline_page, live_server):
    page = offline_page()
    page.goto(live_server + "/redoc")
    page.wait_for_function(
        "document.body.innerText.includes('/v1/search') && document.body.innerText.includes('/v1/ask')", timeout=90_000
    )
    assert page.blocked == []  # type: ignore[attr-defined]
