"""DOCX text a reader cannot see is removed by its position, with its formatting computed the way Word does
(document defaults, paragraph style, character style, direct formatting, theme colours), in the body, nested
tables, headers and footers; what a reader can see is kept exactly, even when it repeats a hidden string.

Every file is a real DOCX written with python-docx (styles and theme colours set in its XML where python-docx
has no call for them) and parsed by the real parser child."""

from __future__ import annotations

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.shared import Pt, RGBColor

from cstassist.parsing import Parser

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
VISIBLE = "Trustees must not approve their own pay."


@pytest.fixture(scope="module")
def parser():
    with Parser(timeout_s=120) as p:
        yield p


def _text(parsed) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(e.text for e in parsed.elements)


def _rpr(run, xml: str) -> None:  # type: ignore[no-untyped-def]
    """Append raw run properties (theme colours, shading) that python-docx has no call for."""
    run._r.get_or_add_rPr().append(parse_xml(f"<{xml.split(' ', 1)[0][1:]} {W} {xml.split(' ', 1)[1]}"))


def test_a_hidden_phrase_removes_only_itself_not_the_same_words_elsewhere(tmp_path, parser):
    doc = Document()
    doc.add_paragraph(VISIBLE)
    p = doc.add_paragraph("Pay is set by the remuneration committee; trustees ")
    p.add_run("must not").font.hidden = True
    p.add_run(" declare interests annually.")
    doc.add_paragraph("A second copy: Trustees must not approve their own pay.")
    path = tmp_path / "inverted.docx"
    doc.save(str(path))
    parsed = parser.parse(path, "docx")
    text = _text(parsed)
    assert text.count(VISIBLE) == 2, text  # before the fix: "Trustees approve their own pay." twice
    assert "trustees declare interests annually" in " ".join(text.split())
    assert parsed.dropped == [("hidden run", "must not")]


def _styled_document(path) -> list[str]:  # type: ignore[no-untyped-def]
    """A document hiding one sentence each way a reader-invisible run can be made; returns those sentences."""
    doc = Document()
    doc.add_paragraph("Boards meet at least three times a year and keep minutes of every meeting.")
    hidden: list[str] = []

    white_style = doc.styles.add_style("Ghost", WD_STYLE_TYPE.CHARACTER)
    white_style.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    hidden.append("Alpha character style white sentence.")
    doc.add_paragraph().add_run(hidden[-1], style="Ghost")

    vanish_style = doc.styles.add_style("Secret para", WD_STYLE_TYPE.PARAGRAPH)
    vanish_style.font.hidden = True
    hidden.append("Bravo paragraph style hidden sentence.")
    doc.add_paragraph(hidden[-1], style="Secret para")

    hidden.append("Charlie theme background colour sentence.")
    _rpr(doc.add_paragraph().add_run(hidden[-1]), '<w:color w:val="000000" w:themeColor="background1"/>')

    hidden.append("Delta near white sentence.")
    doc.add_paragraph().add_run(hidden[-1]).font.color.rgb = RGBColor(0xEE, 0xEE, 0xEE)

    hidden.append("Echo two point sentence.")
    doc.add_paragraph().add_run(hidden[-1]).font.size = Pt(2)

    hidden.append("Foxtrot black on black sentence.")
    run = doc.add_paragraph().add_run(hidden[-1])
    run.font.color.rgb = RGBColor(0, 0, 0)
    _rpr(run, '<w:shd w:val="clear" w:color="auto" w:fill="000000"/>')

    outer = doc.add_table(rows=1, cols=1).cell(0, 0)
    inner = outer.add_table(rows=1, cols=1).cell(0, 0)
    hidden.append("Golf nested table white sentence.")
    inner.paragraphs[0].add_run(hidden[-1]).font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    inner.add_paragraph("Nested tables keep their visible text.")

    section = doc.sections[0]
    hidden.append("Hotel header white sentence.")
    section.header.paragraphs[0].add_run(hidden[-1]).font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    hidden.append("India footer hidden sentence.")
    section.footer.paragraphs[0].add_run(hidden[-1]).font.hidden = True

    # visible on purpose: a style overridden by direct formatting, white on a black cell, mid-grey text
    doc.add_paragraph().add_run("Juliet visible despite its style.", style="Ghost").font.color.rgb = RGBColor(0, 0, 0)
    cell = doc.add_table(rows=1, cols=1).cell(0, 0)
    cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:shd {W} w:val="clear" w:color="auto" w:fill="000000"/>'))
    cell.paragraphs[0].add_run("Kilo white on a black cell.").font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    doc.add_paragraph().add_run("Lima grey but readable.").font.color.rgb = RGBColor(0x77, 0x77, 0x77)
    doc.save(str(path))
    return hidden


def test_invisible_runs_are_found_through_styles_themes_tables_headers_and_footers(tmp_path, parser):
    path = tmp_path / "styled.docx"
    hidden = _styled_document(path)
    parsed = parser.parse(path, "docx")
    text = _text(parsed)
    for sentence in hidden:
        assert sentence.split()[0] not in text, (sentence, text)
    dropped = {t for _, t in parsed.dropped}
    assert set(hidden) <= dropped, sorted(set(hidden) - dropped)
    for visible in (
        "Boards meet at least three times a year",
        "Nested tables keep their visible text.",
        "Juliet visible despite its style.",
        "Kilo white on a black cell.",
        "Lima grey but readable.",
    ):
        assert visible in text, (visible, text)
    assert not dropped - set(hidden), dropped - set(hidden)
