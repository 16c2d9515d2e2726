"""Papers as they are really published read as cleanly as plain text: passage text, heading path and page.

Three real documents, written by the tests: a typeset two-column PDF (fpdf2, line by line: running header
and footer, ligature glyphs, hyphenation, a paragraph that turns the page, a footnote, a table, a hidden
white line; see ``typeset.py``), a bundled paper printed in two columns by headless Chromium (its own
running header and footer), and a Word file with a header and footer. Each is ingested with the real
embedder into a real Chroma; the tests read back what Chroma holds.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import typeset as t

from cstassist.documents import Passage
from cstassist.ingest import ingest
from cstassist.parsing import Parser
from cstassist.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
DOCX_HEADER = "CST governance guidance | members' edition"
DOCX_FOOTER = "Confederation of School Trusts · registered charity 1180907"
FURNITURE = re.compile(r"file://|Page \d+ of \d+|\d{1,2}/\d{1,2}/\d{2,4}, \d{1,2}:\d{2}|(?:^|\s)\d{1,2}/\d{1,2}(?:\s|$)")


def squash(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.fixture(scope="module")
def published(tmp_path_factory, embedder):
    """(settings, passages by document id) after ingesting the three documents once."""
    from cstassist.evals.formats import blocks_of, print_page, print_pdf, write_docx

    folder = tmp_path_factory.mktemp("published")
    t.write_typeset_pdf(folder / "typeset.pdf")
    with Parser() as parser:
        stock = blocks_of(parser.parse(CORPUS / "taking-stock-2019.txt", "text").elements)
    page = tmp_path_factory.mktemp("print") / "taking-stock.html"
    page.write_text(print_page("Taking Stock", stock, columns=2), encoding="utf-8")
    if not shutil.which("chromium") and not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's chromium is needed to print the two-column PDF (apt-get install -y chromium)")
    print_pdf(page, folder / "taking-stock-2col.pdf")
    write_docx(folder / "guidance.docx", "Guidance", stock)
    _docx_header_footer(folder / "guidance.docx")
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    report = ingest([folder], settings, embedder=embedder)
    assert report.ok, report.failed
    from cstassist.store import ChromaStore

    passages: dict[str, list[Passage]] = {}
    for ids, texts, metas, _ in ChromaStore(settings).iter_all():
        for i, text, meta in zip(ids, texts, metas):
            passages.setdefault(str(meta["document_id"]), []).append(Passage.from_record(i, text, meta))
    for group in passages.values():
        group.sort(key=lambda p: int(p.as_dict().get("page") or 0))
    return settings, report, passages, stock


def _docx_header_footer(path: Path) -> None:
    import docx

    doc = docx.Document(str(path))
    doc.sections[0].header.paragraphs[0].text = DOCX_HEADER
    doc.sections[0].footer.paragraphs[0].text = DOCX_FOOTER
    doc.save(str(path))


def holding(passages: list[Passage], text: str) -> list[Passage]:
    return [p for p in passages if squash(t.plain(text)) in squash(p.text)]


def test_typeset_pdf_paragraphs_are_whole_passages_without_ligatures_or_line_breaks(published):
    _, _, passages, _ = published
    typeset = passages["typeset"]
    for para in (t.P_EXPERT, t.P_QUALITY, t.P_WORKFORCE, t.P_VISIBLE_COPY):
        found = holding(typeset, para)
        assert found, para
        # no printed line break inside it: the paragraph is one line of the passage
        assert any(t.plain(para).rstrip(".") in line for p in found for line in p.text.split("\n")), para
    assert not any(re.search("[\ufb00-\ufb06]", p.text) for p in typeset)


def test_hyphenated_words_are_rejoined_where_the_document_knows_the_word(published):
    _, _, passages, _ = published
    assert holding(passages["typeset"], t.P_HYPHEN)  # "finan-/cial" -> financial, "sector-/led" -> sector-led


def test_running_header_footer_and_page_counter_are_in_no_passage(published):
    _, _, passages, _ = published
    for doc in ("typeset", "taking-stock-2col"):
        for p in passages[doc]:
            assert not FURNITURE.search(p.text), p.text[:200]
            assert t.HEADER not in p.text


def test_headings_come_from_font_sizes_and_become_the_section_path(published):
    _, _, passages, _ = published
    typeset = passages["typeset"]
    assert {p.section for p in holding(typeset, t.P_EXPERT)} == {f"{t.TITLE} > {t.H_EXPERT}"}
    assert {p.section for p in holding(typeset, t.P_QUALITY)} == {f"{t.TITLE} > {t.H_QUALITY}"}
    assert {p.section for p in holding(typeset, t.P_WORKFORCE)} == {f"{t.TITLE} > {t.H_WORKFORCE}"}


def test_a_paragraph_turning_the_page_is_one_passage_citing_each_sentence_by_its_page(published):
    _, _, passages, _ = published
    [turn] = holding(passages["typeset"], f"{t.P_TURN_PAGE1} {t.P_TURN_PAGE2}")
    assert turn.page == 1
    assert turn.pages_of("Every school in the trust shares one improvement model") == (1, 1)
    assert turn.pages_of("The chair reports these reviews to the members once a year.") == (2, 2)
    assert turn.pages_of(f"{t.P_TURN_PAGE1} {t.P_TURN_PAGE2.split('.')[0]}.") == (1, 2)


def test_pages_of_the_other_passages_are_the_page_they_are_printed_on(published):
    _, _, passages, _ = published
    typeset = passages["typeset"]
    assert {p.page for p in holding(typeset, t.P_EXPERT)} == {1}
    assert {p.page for p in holding(typeset, t.P_WORKFORCE)} == {2}


def test_footnote_is_kept_apart_from_the_body(published):
    _, _, passages, _ = published
    [note] = holding(passages["typeset"], t.FOOTNOTE)
    assert squash(note.text) == squash(t.FOOTNOTE)
    assert note.page == 1


def test_table_is_kept_whole_row_by_row(published):
    _, _, passages, _ = published
    [table] = [p for p in passages["typeset"] if "Reports to" in p.text]
    rows = [" | ".join(row) for row in t.TABLE]
    assert all(row in table.text for row in rows), table.text
    assert table.text.index(rows[0]) < table.text.index(rows[1]) < table.text.index(rows[2])
    assert table.section == f"{t.TITLE} > {t.H_ROLES}"


def test_hidden_white_line_is_dropped_but_the_visible_sentence_saying_the_same_stays(published):
    _, report, passages, _ = published
    assert holding(passages["typeset"], t.P_VISIBLE_COPY)
    assert not any(squash(p.text) == squash(t.HIDDEN) for p in passages["typeset"])
    assert any(n.endswith("typeset.pdf") for n in report.hidden_text)


def test_invisible_and_off_page_text_is_dropped_where_it_is_and_reported(published):
    _, report, passages, _ = published
    text = " ".join(p.text for p in passages["typeset"])
    assert "tell every reader" not in text and "ninety thousand" not in text
    reported = report.dropped[next(n for n in report.dropped if n.endswith("typeset.pdf"))]
    assert "invisible text" in reported and "off-page text" in reported and "white text" in reported


def _paragraphs(blocks):  # type: ignore[no-untyped-def]
    path: list[tuple[int, str]] = []
    for b in blocks:
        if b.kind == "h":
            path = [(lvl, h) for lvl, h in path if lvl < b.level] + [(b.level, b.text)]
        else:
            yield " > ".join(h for _, h in path), b.text


@pytest.mark.parametrize("doc", ["taking-stock-2col", "guidance"])
def test_every_paragraph_of_the_paper_is_in_one_passage_under_the_same_headings_as_its_text(published, doc):
    """Two columns read one after the other; a Word file's header and footer left out."""
    _, _, passages, stock = published
    paragraphs = list(_paragraphs(stock))
    for _, text in paragraphs:
        found = holding(passages[doc], text)
        assert found, text[:80]
        # words the paper prints twice (here inside a later paragraph too) are under the headings of each place
        assert {p.section for p in found} == {s for s, other in paragraphs if squash(text) in squash(other)}, text[:80]


def test_docx_header_and_footer_are_in_no_passage(published):
    _, _, passages, _ = published
    assert not any(DOCX_HEADER in p.text or DOCX_FOOTER in p.text for p in passages["guidance"])
