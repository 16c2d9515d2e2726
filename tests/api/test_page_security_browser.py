"""Security headers on the demo page, /docs and the API (issue 18, finding 10) and the demo page a member
sees (finding 15), in real headless Chromium against a real uvicorn.

Before: no Content-Security-Policy, no ``nosniff`` and no ``frame-ancestors`` anywhere, so any site could
frame the demo page; the page showed its "style isolation check" test fixtures (red dashed buttons) to
members; its example questions were plain text; the widget's empty conversation suggested nothing."""

from __future__ import annotations

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
TIMEOUT_MS = 30_000


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.console_lines = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.console_lines.append(m.text))  # type: ignore[attr-defined]
    page.js_errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.mark.parametrize("path", ["/", "/docs", "/widget.js", "/demo.js", "/openapi.json", "/healthz", "/v1/documents"])
def test_every_response_carries_nosniff_and_a_policy_that_forbids_framing(live_server, path):
    r = httpx.get(live_server + path, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_errors_refused_before_routing_carry_the_headers_too(live_server):
    r = httpx.post(live_server + "/v1/ask", content=b"x" * (200 * 1024), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_the_demo_page_allows_no_inline_script(live_server):
    policy = httpx.get(live_server + "/", timeout=30).headers["content-security-policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]


def test_the_demo_page_runs_under_its_policy_with_no_violation_and_no_test_fixtures(page, live_server):
    page.goto(live_server + "/")
    page.wait_for_selector(tid("launcher"))
    refused = [line for line in page.console_lines if "Content Security Policy" in line or "Refused to" in line]
    assert refused == [] and page.js_errors == []
    text = page.inner_text("body")
    assert "isolation" not in text.lower(), text[max(0, text.lower().find("isolation") - 200) :][:400]
    assert page.locator("#open-assistant, #close-assistant").count() == 0
    assert page.locator("button[data-example]").count() >= 3


def test_an_example_question_on_the_page_opens_the_assistant_and_asks_it(page, live_server):
    page.goto(live_server + "/")
    page.wait_for_selector(tid("launcher"))
    example = page.locator("button[data-example]").first
    question = " ".join(example.inner_text().split())
    with page.expect_response(lambda r: r.url.endswith("/v1/ask")) as response:
        example.click()
    assert response.value.status == 200
    assert " ".join(page.locator(tid("message-user")).first.inner_text().split()).endswith(question)
    page.locator(tid("message-assistant")).and_(page.locator('[data-state="done"]')).wait_for()
    assert page.locator(tid("panel")).is_visible()


def test_the_empty_conversation_suggests_questions_that_can_be_asked_with_one_click(page, live_server):
    page.goto(live_server + "/")
    page.locator(tid("launcher")).click()
    suggestions = page.locator(tid("suggestion"))
    assert suggestions.count() >= 3
    question = suggestions.nth(1).inner_text().strip()
    with page.expect_response(lambda r: r.url.endswith("/v1/ask")) as response:
        suggestions.nth(1).click()
    assert response.value.status == 200
    assert " ".join(page.locator(tid("message-user")).first.inner_text().split()).endswith(question)
    page.locator(tid("message-assistant")).and_(page.locator('[data-state="done"]')).wait_for()


def test_docs_render_under_their_policy_with_no_violation(page, live_server):
    page.goto(live_server + "/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    refused = [line for line in page.console_lines if "Content Security Policy" in line or "Refused to" in line]
    assert refused == [] and page.js_errors == []


def test_another_site_cannot_frame_the_demo_page_or_docs(page, live_server):
    page.set_content(f'<iframe id="a" src="{live_server}/"></iframe><iframe id="b" src="{live_server}/docs"></iframe>')
    page.wait_for_timeout(1500)
    framed = [f for f in page.frames if f != page.main_frame]
    assert len(framed) == 2
    for frame in framed:  # a blocked frame shows Chromium's error page, never the page's own content
        assert frame.locator(tid("launcher")).count() == 0 and frame.locator(".swagger-ui").count() == 0
    assert sum("frame-ancestors" in line for line in page.console_lines) == 2, page.console_lines


HOSTILE_HOST_STYLES = """
button { background: #d4351c !important; color: #fff !important; border: 4px dashed #000 !important;
         font: bold 22px/1 "Courier New", monospace !important; transform: rotate(-1deg); }
textarea, input { background: #ffef9f !important; font-size: 26px !important; }
div { border: 1px dashed red !important; }
"""


def test_host_page_styles_do_not_reach_the_widget(page, live_server):
    """The style-isolation check the demo page used to show members, as a test: aggressive host rules
    (injected here) leave the widget, which lives in a Shadow DOM, as it was."""
    page.goto(live_server + "/")
    page.wait_for_selector(tid("launcher"))
    read = """() => {
      const root = document.querySelector('cst-assist-widget').shadowRoot;
      const s = (sel) => getComputedStyle(root.querySelector(sel));
      return [s('[data-testid="launcher"]').backgroundColor, s('[data-testid="launcher"]').fontFamily,
              s('[data-testid="input"]').fontSize, s('[data-testid="panel"]').borderStyle];
    }"""
    before = page.evaluate(read)
    page.add_style_tag(content=HOSTILE_HOST_STYLES)
    assert page.evaluate("() => getComputedStyle(document.querySelector('button[data-example]')).fontFamily").startswith(
        '"Courier New"'
    ), "the hostile rules did not apply to the host page"
    assert page.evaluate(read) == before
