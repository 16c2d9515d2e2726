"""The staff console in a real headless Chromium against the real service (uvicorn on loopback), used the way a
staff member uses it: sign in, upload papers, watch them index, ask the widget about them on the same running
service, replace, retire and remove them, read their passages, read the questions and feedback reports, run an
evaluation. The tests run in order on one signed-in page. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest
from admin_console import ESTATES_QUESTION, WELLBEING_QUESTION, estates_pdf, start_staff_service, wellbeing_docx
from test_widget_browser import TIMEOUT_MS, ask_in_widget, tid

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "staff-console"  # the README's pictures: refreshed with CSTASSIST_UPDATE_SCREENSHOTS=1
UPDATE_SCREENSHOTS = os.environ.get("CSTASSIST_UPDATE_SCREENSHOTS") == "1"
UNANSWERABLE = "What is the fee for registering a trust with the Lanternfield estates register office?"


@pytest.fixture(scope="module")
def svc(tmp_path_factory, embedder, free_port):
    service = start_staff_service(tmp_path_factory.mktemp("admin-browser"), embedder, free_port())
    yield service
    service.stop()


@pytest.fixture(scope="module")
def context(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture(scope="module")
def page(context, svc):
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())  # "Remove …?" is answered yes
    page.js_errors = errors  # type: ignore[attr-defined]
    page.goto(svc.url + "/admin")
    return page


def shot(page, artifacts, name: str, keep: bool = False) -> None:
    path = artifacts / f"admin-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if keep and UPDATE_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / f"{name}.png")


def row(page, document_id: str):
    return page.locator(f'{tid("document-row")}[data-document="{document_id}"]')


def upload_in_page(page, path: Path, **fields: str) -> None:
    page.locator('[data-tab="upload"]').click()
    page.locator(tid("upload-file")).set_input_files(str(path))
    for name, value in fields.items():
        target = page.locator(tid(f"upload-{name.replace('_', '-')}"))
        if name in ("audience", "layout", "replaces"):
            target.locator(f'option[value="{value}"]').wait_for(state="attached")
            target.select_option(value)
        elif name == "supersede":
            target.check()
        else:
            target.fill(value)
    page.locator(tid("upload-submit")).click()


def wait_upload(page) -> str:
    """Wait for the upload's outcome line; returns it (done or the one-line reason)."""
    page.wait_for_function(
        """() => document.querySelector('[data-testid="upload-done"]').textContent
              || document.querySelector('[data-testid="upload-error"]').textContent""",
        timeout=180_000,
    )
    return page.locator(tid("upload-done")).text_content() or "failed: " + page.locator(tid("upload-error")).text_content()


def ask_widget(context, svc, question: str):
    """Ask on the site's own page (the widget), in a second tab: the service is the one the console talks to."""
    site = context.new_page()
    site.goto(svc.url + "/")
    site.locator(tid("launcher")).click()
    answer, response = ask_in_widget(site, question, 1)
    return site, answer, response


def test_signing_in_needs_an_admin_key(page, svc, artifacts):
    page.locator(tid("signin")).wait_for()  # shown once the page has asked whether a session exists
    assert page.locator(tid("console")).is_hidden()
    page.locator(tid("key")).fill(svc.member_key)
    page.locator(tid("signin-submit")).click()
    page.locator(tid("signin-error")).filter(has_text="admin key").wait_for()
    assert page.locator(tid("console")).is_hidden()
    page.locator(tid("key")).fill(svc.admin_key)
    page.locator(tid("signin-submit")).click()
    page.locator(tid("console")).wait_for()
    assert "ops-team" in page.locator(tid("who")).text_content()
    row(page, "members-briefing-trustee-succession").wait_for()  # the list is fetched after the console shows
    assert row(page, "members-briefing-trustee-succession").count() == 1
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["cstassist_staff"]["httpOnly"] and cookies["cstassist_staff"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == "", "the session cookie is out of the page's reach"
    shot(page, artifacts, "sign-in")


def test_a_pdf_uploaded_with_its_fields_indexes_with_progress_and_answers_in_the_widget(page, context, svc, artifacts, tmp_path):
    page.evaluate("""() => { window.__bar = []; new MutationObserver(() => window.__bar.push(
        document.querySelector('[data-testid="upload-progress"]').value)).observe(
        document.querySelector('[data-testid="upload-stage"]'), {childList: true, characterData: true, subtree: true}); }""")
    upload_in_page(
        page,
        estates_pdf(tmp_path / "lanternfield-estates-2026.pdf"),
        title="The Lanternfield protocol",
        kind="guidance",
        published="2026-03",
        author="CST estates team",
        url="https://cstuk.org.uk/lanternfield",
    )
    done = wait_upload(page)
    assert done.startswith("Indexed lanternfield-estates-2026"), done
    bar = page.evaluate("window.__bar")
    assert page.locator(tid("upload-progress")).evaluate("el => el.value") == 1
    assert any(0 < v < 1 for v in bar), bar
    shot(page, artifacts, "upload", keep=True)
    site, answer, _ = ask_widget(context, svc, ESTATES_QUESTION)  # same service, no restart
    assert "The Lanternfield protocol" in answer.locator(tid("citation-chip")).first.inner_text() or (
        "The Lanternfield protocol" in answer.inner_text()
    )
    assert "estate" in answer.locator(tid("answer-text")).inner_text().lower()
    site.close()


def test_a_docx_upload_answers_too(page, context, svc, tmp_path):
    upload_in_page(page, wellbeing_docx(tmp_path / "heronsgate-charter.docx"), title="The Heronsgate charter", kind="charter")
    assert wait_upload(page).startswith("Indexed heronsgate-charter")
    site, answer, _ = ask_widget(context, svc, WELLBEING_QUESTION)
    assert "The Heronsgate charter" in answer.inner_text()
    site.close()


def test_documents_list_status_and_sort_and_search(page, artifacts):
    page.locator('[data-tab="documents"]').click()
    lantern = row(page, "lanternfield-estates-2026")
    lantern.wait_for()
    text = lantern.inner_text()
    for expected in ("The Lanternfield protocol", "lanternfield-estates-2026.pdf", "guidance", "2026-03", "public", "indexed"):
        assert expected in text, (expected, text)
    page.locator(tid("doc-sort")).select_option("published")
    assert page.locator(tid("document-row")).first.get_attribute("data-document") == "lanternfield-estates-2026"
    page.locator(tid("doc-search")).fill("heronsgate")
    assert page.locator(tid("document-row")).count() == 1
    page.locator(tid("doc-search")).fill("")
    shot(page, artifacts, "documents", keep=True)


def test_a_papers_passages_show_heading_path_and_page(page, artifacts):
    row(page, "lanternfield-estates-2026").locator(tid("show-passages")).click()
    passages = page.locator(tid("passage"))
    passages.first.wait_for()
    wheres = [w.text_content() for w in page.locator(tid("passage-where")).all()]
    assert any("The Lanternfield protocol" in w and "page 1" in w for w in wheres), wheres
    assert any("Funding the repairs" in w and "page 2" in w for w in wheres), wheres
    shot(page, artifacts, "passages", keep=True)


def test_replacing_a_paper_updates_it_without_a_duplicate(page, tmp_path):
    newer = estates_pdf(tmp_path / "lanternfield-estates-2026.pdf", extra="The reserve is topped up every April.")
    upload_in_page(page, newer, replaces="lanternfield-estates-2026")
    assert wait_upload(page).startswith("Indexed lanternfield-estates-2026")
    page.locator('[data-tab="documents"]').click()
    page.locator(tid("doc-search")).fill("lanternfield")
    assert page.locator(tid("document-row")).count() == 1
    lantern = row(page, "lanternfield-estates-2026")
    assert "indexed" in lantern.inner_text() and "guidance" in lantern.inner_text(), "the fields not given again are kept"
    page.locator(tid("doc-search")).fill("")
    lantern.locator(tid("show-passages")).click()
    page.locator(tid("passage")).filter(has_text="topped up every April").first.wait_for()


def test_a_file_that_cannot_be_read_shows_its_reason(page, tmp_path, artifacts):
    broken = tmp_path / "broken-report.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + b"\x00junk" * 40)
    upload_in_page(page, broken, title="Broken report")
    outcome = wait_upload(page)
    assert outcome.startswith("failed: ") and len(outcome) > len("failed: ") and "\n" not in outcome, outcome
    disguised = tmp_path / "minutes.docx"
    disguised.write_bytes(b"%PDF-1.4\n" + b"x" * 300)
    upload_in_page(page, disguised)
    assert "content is a PDF" in wait_upload(page)
    page.locator('[data-tab="documents"]').click()
    failed = row(page, "broken-report")
    assert failed.locator(tid("status")).text_content() == "failed" and failed.locator(tid("reason")).text_content()
    shot(page, artifacts, "failed-upload", keep=True)


def test_retire_then_remove_a_paper(page, context, svc):
    page.locator('[data-tab="documents"]').click()
    row(page, "heronsgate-charter").locator(tid("retire")).click()
    page.locator(tid("doc-message")).filter(has_text="done").wait_for(timeout=120_000)
    assert row(page, "heronsgate-charter").locator(tid("status")).text_content() == "retired"
    site, answer, _ = ask_widget(context, svc, WELLBEING_QUESTION)
    assert "The Heronsgate charter" not in answer.inner_text()
    site.close()
    row(page, "heronsgate-charter").locator(tid("remove")).click()
    page.locator(tid("doc-message")).filter(has_text="done").wait_for(timeout=120_000)
    row(page, "heronsgate-charter").wait_for(state="detached")


def test_unanswered_questions_are_reported_exported_and_become_gold_candidates(page, context, svc, artifacts):
    site, answer, _ = ask_widget(context, svc, UNANSWERABLE)
    assert answer.get_attribute("data-outcome") in ("none", "related")
    answer.locator(tid("feedback-down")).click()
    answer.locator(tid("feedback-thanks")).wait_for()
    site.close()
    page.locator('[data-tab="questions"]').click()
    group = page.locator(tid("unanswered-group")).filter(has_text=UNANSWERABLE)
    group.wait_for()
    assert group.locator(tid("group-count")).text_content() == "1×"
    with page.expect_download() as download:
        page.locator(tid("unanswered-export")).click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert UNANSWERABLE in [r["question"] for r in rows]
    page.locator(tid("question-row")).filter(has_text=UNANSWERABLE).locator(tid("gold-candidate")).click()
    page.locator(tid("question-message")).filter(has_text="drafts-").wait_for()
    drafts = list(svc.settings.admin.drafts_dir.glob("drafts-*.jsonl"))
    assert drafts and UNANSWERABLE in drafts[0].read_text(encoding="utf-8")
    shot(page, artifacts, "questions", keep=True)


def test_feedback_is_listed_and_filtered_by_rating(page, artifacts):
    page.locator('[data-tab="feedback"]').click()
    page.locator(tid("feedback-rating")).select_option("down")
    item = page.locator(tid("feedback-item")).filter(has_text=UNANSWERABLE)
    item.wait_for()
    assert item.get_attribute("data-rating") == "down"
    page.locator(tid("feedback-rating")).select_option("up")
    page.locator(tid("feedback-item")).filter(has_text=UNANSWERABLE).wait_for(state="detached")
    page.locator(tid("feedback-rating")).select_option("")
    shot(page, artifacts, "feedback", keep=True)


def test_an_evaluation_runs_from_the_page_and_two_reports_compare(page, artifacts):
    page.locator('[data-tab="evaluations"]').click()
    for n in (1, 2):
        page.locator(tid("eval-limit")).fill("2")
        page.locator(tid("eval-submit")).click()
        page.locator(tid("eval-stage")).filter(has_text="done").wait_for(timeout=300_000)
        page.locator(tid("report-row")).nth(n - 1).wait_for()
        page.locator(tid("eval-stage")).evaluate("el => el.textContent = ''")
    picks = page.locator(tid("report-pick"))
    picks.nth(0).check()
    picks.nth(1).check()
    page.locator(tid("eval-compare")).click()
    page.locator(tid("eval-output")).filter(has_text="hybrid").wait_for()
    shot(page, artifacts, "evaluations", keep=True)


def test_the_audit_log_shows_who_did_what(page, artifacts):
    page.locator('[data-tab="audit"]').click()
    rows = page.locator(tid("audit-row"))
    rows.first.wait_for()
    text = page.locator(tid("audit")).inner_text()
    for action in ("sign in", "upload", "retire", "remove", "gold candidate", "evaluation"):
        assert action in text, action
    assert "ops-team" in text
    shot(page, artifacts, "audit", keep=True)


def test_the_console_is_readable_on_a_tablet(browser, svc, artifacts, page):
    tablet = browser.new_context(viewport={"width": 820, "height": 1180}, storage_state=page.context.storage_state())
    view = tablet.new_page()
    view.goto(svc.url + "/admin")
    view.locator(tid("document-row")).first.wait_for()
    assert view.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert view.locator(tid("doc-search")).bounding_box()["width"] > 200
    action = view.locator(tid("retire")).first.bounding_box()
    assert action["x"] + action["width"] <= 820, "a paper's actions stay on a tablet's screen"
    view.screenshot(path=str(artifacts / "admin-tablet.png"), full_page=True)
    if UPDATE_SCREENSHOTS:
        shutil.copy(artifacts / "admin-tablet.png", SCREENSHOTS / "tablet.png")
    tablet.close()
    assert page.js_errors == []
