"""The chat widget in a real headless Chromium against the real service (uvicorn on a loopback port).

Hooks are ``data-testid`` attributes inside the open shadow root of ``<cst-assist-widget>``; Playwright's
CSS locators pierce open shadow roots. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cstassist.feedback import FeedbackStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
QUESTION = "How should the board review the chief executive's performance?"
FOLLOW_UP = "And how often should that happen?"
TIMEOUT_MS = 30_000


def tid(name: str) -> str:
    return f'[data-testid="{name}"]'


@pytest.fixture
def page_at(browser, live_server):
    """``page_at(width, height)``: a fresh page showing the demo page with the widget loaded."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        page.goto(live_server + "/")
        page.wait_for_selector(tid("launcher"))
        return page

    yield open_page
    for context in contexts:
        context.close()


WATCH_STREAMING = """() => {
  const root = document.querySelector('cst-assist-widget').shadowRoot;
  const seen = window.__cstSeen = {states: [], textChanges: 0};
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'attributes') seen.states.push(m.target.getAttribute('data-state'));
      if (m.type === 'characterData') seen.textChanges += 1;
      if (m.type === 'childList') for (const n of m.addedNodes) {
        if (n.nodeType === 1 && n.getAttribute('data-testid') === 'message-assistant') seen.states.push(n.getAttribute('data-state'));
      }
    }
  }).observe(root, {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-state']});
}"""


def ask_in_widget(page, question: str, n: int):
    """Type ``question``, send it with the button, and wait for the ``n``-th answer (1-based) to finish."""
    page.locator(tid("input")).fill(question)
    with page.expect_response(lambda r: r.url.endswith("/v1/ask")) as response:
        page.locator(tid("send")).click()
    answer = page.locator(tid("message-assistant")).nth(n - 1)
    answer.and_(page.locator('[data-state="done"]')).wait_for()
    return answer, response.value


def settle(locator) -> None:
    """Wait for the element's CSS animations (the panel slides in) to finish, so its box is final."""
    locator.evaluate(
        "el => Promise.all(el.getAnimations().filter((a) => a.effect.getComputedTiming().iterations !== Infinity).map((a) => a.finished))"
    )


def active_testid(page) -> str | None:
    return page.evaluate("""() => {
      const host = document.activeElement;
      if (!host || host.tagName !== 'CST-ASSIST-WIDGET') return null;
      const el = host.shadowRoot.activeElement;
      return el ? el.getAttribute('data-testid') : null;
    }""")


def conversation_of(data_dir: Path, answer_id: str) -> str:
    with closing(sqlite3.connect(data_dir / "cstassist.sqlite")) as db:
        return db.execute("SELECT conversation_id FROM turns WHERE answer_id=?", (answer_id,)).fetchone()[0]


def feedback_rows(data_dir: Path) -> dict[str, dict]:
    buf = io.StringIO()
    FeedbackStore(data_dir / "cstassist.sqlite").export(buf)
    return {row["answer_id"]: row for row in map(json.loads, buf.getvalue().splitlines())}


def test_widget_streams_a_cited_answer_opens_a_citation_follows_up_and_takes_feedback(page_at, artifacts, api_settings):
    page = page_at()
    page.locator(tid("launcher")).click()
    assert page.locator(tid("panel")).is_visible()

    # ask, and watch the answer stream in
    page.evaluate(WATCH_STREAMING)
    first, response = ask_in_widget(page, QUESTION, 1)
    assert response.request.post_data_json["stream"] is True
    assert response.headers["content-type"].startswith("text/event-stream")
    seen = page.evaluate("window.__cstSeen")
    assert "streaming" in seen["states"] or seen["textChanges"] > 1, seen
    assert seen["states"][-1] == "done"
    assert page.locator(tid("message-user")).first.inner_text().strip().endswith(QUESTION)
    answer_text = first.locator(tid("answer-text")).inner_text()
    assert "chief executive" in answer_text.lower()
    assert first.get_attribute("data-abstained") is None
    chips = first.locator(tid("citation-chip"))
    assert chips.count() >= 1
    page.screenshot(path=str(artifacts / "widget-answer.png"))

    # open a citation: its detail shows the title and section
    detail = first.locator(tid("citation-detail")).first
    assert detail.is_hidden()
    chips.first.click()
    detail.wait_for(state="visible")
    assert chips.first.get_attribute("aria-expanded") == "true"
    detail_text = detail.inner_text()
    assert "CST policy library: trust governance papers" in detail_text
    assert "Published" in detail_text  # the policy library lists papers: cited by document and date, not a heading
    page.screenshot(path=str(artifacts / "widget-citation.png"))

    # a follow-up continues the conversation and is answered in context
    second, follow_response = ask_in_widget(page, FOLLOW_UP, 2)
    sent = follow_response.request.post_data_json
    assert sent["question"] == FOLLOW_UP
    assert sent.get("conversation_id") == conversation_of(api_settings.data_dir, first.get_attribute("data-answer-id")), sent
    assert second.get_attribute("data-abstained") is None
    assert second.locator(tid("citation-chip")).count() >= 1
    assert second.get_attribute("data-answer-id") != first.get_attribute("data-answer-id")

    # feedback: thumbs up, then a comment; both reach the feedback store
    answer_id = first.get_attribute("data-answer-id")
    first.locator(tid("feedback-up")).click()
    first.locator(tid("feedback-thanks")).wait_for()
    assert feedback_rows(api_settings.data_dir)[answer_id]["rating"] == "up"
    first.locator(tid("feedback-comment")).fill("Clear and well sourced")
    first.locator(tid("feedback-send")).click()
    first.locator(tid("feedback-comment")).wait_for(state="hidden")  # the form closes once the comment is stored
    first.locator(tid("feedback-thanks")).wait_for()
    row = feedback_rows(api_settings.data_dir)[answer_id]
    assert (row["rating"], row["comment"], row["question"]) == ("up", "Clear and well sourced", QUESTION)
    page.screenshot(path=str(artifacts / "widget-feedback.png"))
    assert page.js_errors == []


def test_widget_renders_each_outcome_distinctly_and_flags_a_superseded_source(page_at, artifacts):
    from superseded_docs import NEW_TITLE, OLD_ONLY_QUESTION
    from test_outcomes import ANSWER, NONE, RELATED

    page = page_at()
    page.locator(tid("launcher")).click()
    answer, _ = ask_in_widget(page, ANSWER, 1)
    assert answer.get_attribute("data-outcome") == "answer" and answer.get_attribute("data-abstained") is None
    assert answer.locator(tid("outcome-label")).count() == 0
    assert answer.locator(".sources-heading").text_content() == "Sources"

    related, _ = ask_in_widget(page, RELATED, 2)
    assert related.get_attribute("data-outcome") == "related" and related.get_attribute("data-abstained") == "true"
    assert "No direct answer" in related.locator(tid("outcome-label")).text_content()
    assert related.locator(".sources-heading").text_content() == "Closest passages"
    assert related.locator(tid("citation-chip")).count() >= 1
    related_colour = related.locator(".bubble").evaluate("el => getComputedStyle(el).borderLeftColor")
    page.screenshot(path=str(artifacts / "widget-related.png"))

    none, _ = ask_in_widget(page, NONE, 3)
    assert none.get_attribute("data-outcome") == "none" and none.get_attribute("data-abstained") == "true"
    assert "Not covered by CST guidance" in none.locator(tid("outcome-label")).text_content()
    assert none.locator(tid("citation-chip")).count() == 0
    assert none.locator(".bubble").evaluate("el => getComputedStyle(el).borderLeftColor") != related_colour

    old, _ = ask_in_widget(page, OLD_ONLY_QUESTION, 4)
    old.locator(tid("citation-chip")).first.click()
    flag = old.locator(tid("superseded-flag")).first
    flag.wait_for(state="visible")
    assert flag.inner_text() == f"Superseded by {NEW_TITLE}"
    assert "Published" in old.locator(tid("citation-detail")).first.inner_text()  # each source's date is shown
    page.screenshot(path=str(artifacts / "widget-superseded.png"))
    assert page.js_errors == []


def test_widget_is_usable_from_the_keyboard(page_at, artifacts):
    page = page_at()
    for _ in range(40):
        page.keyboard.press("Tab")
        if active_testid(page) == "launcher":
            break
    assert active_testid(page) == "launcher", "Tab never reached the launcher"

    page.keyboard.press("Enter")
    page.locator(tid("panel")).wait_for(state="visible")
    assert page.locator(tid("launcher")).get_attribute("aria-expanded") == "true"
    assert active_testid(page) == "input"

    page.keyboard.type("What are the five domains of a strong trust?")
    page.keyboard.press("Enter")
    page.locator(tid("message-assistant")).and_(page.locator('[data-state="done"]')).wait_for()
    assert page.locator(tid("citation-chip")).count() >= 1
    page.screenshot(path=str(artifacts / "widget-keyboard.png"))

    page.keyboard.press("Escape")
    page.locator(tid("panel")).wait_for(state="hidden")
    assert active_testid(page) == "launcher"
    assert page.locator(tid("launcher")).get_attribute("aria-expanded") == "false"
    assert page.js_errors == []


def test_widget_panel_fits_a_375px_wide_screen(page_at, artifacts):
    width, height = 375, 667
    page = page_at(width, height)
    page.locator(tid("launcher")).click()
    panel = page.locator(tid("panel"))
    panel.wait_for(state="visible")
    settle(panel)

    def inside_screen(box) -> bool:
        return (
            box["x"] >= -0.5
            and box["y"] >= -0.5
            and box["x"] + box["width"] <= width + 0.5
            and box["y"] + box["height"] <= height + 0.5
        )

    assert inside_screen(panel.bounding_box()), panel.bounding_box()
    for part in ("input", "send", "close"):
        assert page.locator(tid(part)).is_visible()
        assert inside_screen(page.locator(tid(part)).bounding_box()), part

    answer, _ = ask_in_widget(page, "Who does CST run its national survey of school trusts with?", 1)
    answer.locator(tid("citation-chip")).first.click()
    for part in (answer.locator(tid("answer-text")), answer.locator(tid("citation-detail")).first):
        box = part.bounding_box()
        assert box["x"] >= -0.5 and box["x"] + box["width"] <= width + 0.5, box
    assert (
        page.evaluate("() => document.querySelector('cst-assist-widget').shadowRoot.querySelector('.log').scrollWidth") <= width
    )
    page.screenshot(path=str(artifacts / "widget-375px.png"))
    assert page.js_errors == []


def test_widget_renders_a_composed_answer_as_a_lead_and_a_cited_list_of_points(page_at, artifacts):
    page = page_at()
    page.locator(tid("launcher")).click()
    answer, _ = ask_in_widget(page, "What are the five domains of a strong trust?", 1)
    domains = [
        "Expert Governance",
        "Quality of education",
        "Workforce resilience and wellbeing",
        "Efficiency and effectiveness of operational structures",
        "Public benefit and civic duty",
    ]
    points = answer.locator(tid("answer-point"))
    shown = [points.nth(i).inner_text() for i in range(points.count())]
    assert len(shown) == 5 and all(text.startswith(d) for text, d in zip(shown, domains)), shown
    chips = answer.locator(tid("citation-chip")).count()
    assert chips >= 2 and all(1 <= int(re.search(r"\[(\d+)\]$", t).group(1)) <= chips for t in shown)
    lead = answer.locator(tid("answer-text")).inner_text()
    assert "five domains" in lead and "Expert Governance" not in lead  # the points are a list, not repeated as text
    assert answer.locator(f"{tid('answer-points')} strong").first.inner_text().startswith("Expert Governance")
    page.screenshot(path=str(artifacts / "widget-composed-answer.png"))

    # a one-fact question keeps its quoted span, with no list
    page = page_at()
    page.locator(tid("launcher")).click()
    fact, _ = ask_in_widget(page, "How many people attended CST's annual conference this year?", 1)
    assert fact.locator(tid("answer-point")).count() == 0
    assert "1,600 attendees" in fact.locator(tid("answer-text")).inner_text()
    assert page.js_errors == []
