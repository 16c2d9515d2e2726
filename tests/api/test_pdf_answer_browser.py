"""An answer drawn from a two-column PDF reads as clean sentences in the widget, the API and the CLI.

The strong-trust paper is printed in two columns by headless Chromium (its own running header and footer,
ligature glyphs, a line break at every printed line), ingested into its own index, and served by a real
uvicorn; the widget is driven in a real headless Chromium. What the member reads must be the paper's own
sentences: no ligature glyphs, no page furniture, no line break inside a sentence, and the same text in
the API and the CLI.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from live_uvicorn import start_uvicorn
from test_widget_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, ask_in_widget, tid

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PAPER = "what-is-a-strong-trust-2022.md"
QUESTION = (
    "According to the DfE research CST cites, how many primary and secondary schools said working together "
    "more was a main reason for joining a trust?"
)
EVIDENCE = "60% of primary and 73% of secondary schools"
FURNITURE = re.compile(r"file://|\d{1,2}/\d{1,2}/\d{2,4}, \d{1,2}:\d{2}|(?:^|\s)\d{1,2}/\d{1,2}(?:\s|$)")
LIGATURE = re.compile("[\ufb00-\ufb06]")


def squash(text: str) -> str:
    return " ".join(text.split()).lower()


def sentences(answer: str) -> list[str]:
    """The quoted passages of an answer: its paragraphs, markers and list dashes removed."""
    parts = [re.sub(r"\s*\[\d+\]", "", p).strip() for p in re.split(r"\n\s*\n", answer)]
    return [p.removeprefix("- ") for p in parts if p]


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory, embedder):
    """Settings over an index of the paper as a two-column Chromium PDF, and the paper's own text."""
    import yaml

    from cstassist.evals.formats import blocks_of, print_page, print_pdf
    from cstassist.ingest import ingest
    from cstassist.parsing import Parser
    from cstassist.settings import Settings

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium")
    corpus = tmp_path_factory.mktemp("pdf-corpus")
    with Parser() as parser:
        elements = parser.parse(ROOT / "corpus" / PAPER, "markdown").elements
    entry = next(e for e in yaml.safe_load((ROOT / "corpus" / "manifest.yaml").read_text())["documents"] if e["file"] == PAPER)
    page = tmp_path_factory.mktemp("print") / "strong-trust.html"
    page.write_text(print_page(entry["title"], blocks_of(elements), columns=2), encoding="utf-8")
    print_pdf(page, corpus / "what-is-a-strong-trust-2022.pdf")
    (corpus / "manifest.yaml").write_text(yaml.safe_dump({"documents": [{**entry, "file": "what-is-a-strong-trust-2022.pdf"}]}))
    settings = Settings(data_dir=tmp_path_factory.mktemp("pdf-data"), corpus_dir=corpus)
    report = ingest([corpus], settings, embedder=embedder)
    assert report.ok, report.failed
    return settings, squash(" ".join(e.text for e in elements))


@pytest.fixture(scope="module")
def pdf_server(pdf_index, embedder, free_port):
    from cstassist.api import create_app
    from cstassist.assistant import Assistant

    settings, _ = pdf_index
    port = free_port()
    server, thread = start_uvicorn(create_app(settings, Assistant.open(settings, embedder=embedder)), port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def assert_clean(answer: str, source: str) -> None:
    """Every quoted passage is the paper's own text, whole sentences without furniture or glyphs."""
    assert EVIDENCE in answer
    assert not LIGATURE.search(answer) and not FURNITURE.search(answer), answer
    for part in sentences(answer):
        assert "\n" not in part, part  # no printed line break inside what the member reads
        assert squash(part) in source, part  # the paper's own words, in its order (columns read one by one)
        assert part[:1].isupper() and part.endswith((".", "?", "!", ".”", ".’")), part


@pytest.fixture(scope="module")
def api_answer(pdf_server):
    import httpx

    reply = httpx.post(f"{pdf_server}/v1/ask", json={"question": QUESTION}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_api_answer_from_the_two_column_pdf_reads_as_clean_sentences_cited_by_page(api_answer, pdf_index):
    assert api_answer["outcome"] == "answer"
    assert_clean(api_answer["answer"], pdf_index[1])
    cited = api_answer["citations"][0]
    assert cited["document_id"] == "what-is-a-strong-trust-2022"
    assert cited["page"] == 1 and cited["page_end"] == 1  # the quoted sentence is on the first page


def test_widget_shows_the_same_clean_answer(pdf_server, api_answer, pdf_index, artifacts):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(pdf_server + "/")
            page.locator(tid("launcher")).click()
            answer, _ = ask_in_widget(page, QUESTION, 1)
            shown = answer.locator(tid("answer-text")).inner_text()
            answer.locator(tid("citation-chip")).first.click()
            detail = answer.locator(tid("citation-detail")).first
            detail.wait_for(state="visible")
            detail_text = detail.inner_text()
            page.screenshot(path=str(artifacts / "widget-pdf-answer.png"))
        finally:
            browser.close()
    assert_clean(shown, pdf_index[1])
    assert [squash(s) for s in sentences(shown)] == [squash(s) for s in sentences(api_answer["answer"])]
    assert "Page 1" in detail_text and "What is a strong trust?" in detail_text
    assert errors == []


def test_cli_prints_the_same_clean_answer(pdf_index, api_answer):
    settings, source = pdf_index
    script = Path(sys.executable).parent / "cstassist"
    env = {**os.environ, "CSTASSIST_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([str(script), "ask", QUESTION], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    text = done.stdout.split("\n", 1)[1].split("\n\n[1] ")[0]  # between the outcome line and the sources
    assert_clean(text, source)
    assert [squash(s) for s in sentences(text)] == [squash(s) for s in sentences(api_answer["answer"])]
    assert "p. 1" in done.stdout.split("\n\n[1] ")[1]
