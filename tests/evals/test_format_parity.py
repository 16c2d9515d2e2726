"""The format-parity harness renders a paper in every published format with real tools, and each reads back
as the text version does: every paragraph whole, under the same headings, with no furniture or glyphs.

(The full side-by-side run, ``cstassist eval --formats``, takes minutes; its figures are in evals/README.md.
Here one paper is rendered and read back through the real parser.)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cstassist.evals.formats import FORMATS, dirty_passages, format_parity, heading_agreement, render_corpus
from cstassist.filetypes import detect
from cstassist.parsing import Parser

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
PAPER = "taking-stock-2019.txt"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The one-paper corpus, and that corpus rendered in every format, with a parser to read them."""
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy2(CORPUS / PAPER, corpus / PAPER)
    entries = [e for e in yaml.safe_load((CORPUS / "manifest.yaml").read_text())["documents"] if e["file"] == PAPER]
    (corpus / "manifest.yaml").write_text(yaml.safe_dump({"documents": entries}))
    out = tmp_path_factory.mktemp("rendered")
    with Parser() as parser:
        yield corpus, {fmt: render_corpus(corpus, out / fmt, fmt, parser) for fmt in FORMATS}, parser


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_written_with_the_manifest_carried_over(rendered, fmt):
    _, folders, _ = rendered
    [entry] = yaml.safe_load((folders[fmt] / "manifest.yaml").read_text())["documents"]
    assert Path(entry["file"]).stem == "taking-stock-2019"  # the document id, so gold targets still match
    assert detect(folders[fmt] / entry["file"], max_bytes=2**30).kind == {"text": "text", "html": "html", "docx": "docx"}.get(
        fmt, "pdf"
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_reads_back_every_paragraph_under_the_same_headings(rendered, fmt):
    corpus, folders, parser = rendered
    reference = heading_agreement(corpus, folders["text"], parser)
    got = heading_agreement(corpus, folders[fmt], parser)
    assert got == reference and got["found"] == got["paragraphs"] > 10, got


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_element_of_any_format_carries_furniture_ligatures_or_broken_lines(rendered, fmt):
    _, folders, parser = rendered
    [target] = [f for f in folders[fmt].iterdir() if f.name != "manifest.yaml"]
    texts = [e.text for e in parser.parse(target, detect(target, max_bytes=2**30).kind).elements]
    assert dirty_passages(texts) == {"ligatures": 0, "furniture": 0, "broken_lines": 0}


def test_the_parity_table_gives_each_format_and_its_held_out_gap_to_text():
    def result(hit: float) -> dict:
        split = {"hit_at_1": hit, "recall_at_k": 0.8, "evidence_in_answer_text": 0.7}
        return {
            "summary": {"hybrid": {"by_split": {"dev": split, "heldout": split}}},
            "chunks": 90,
            "unreachable": 5,
            "headings": {"paragraphs": 10, "found": 10, "same_path": 9},
            "dirty": {"furniture": 0, "ligatures": 0, "broken_lines": 1},
        }

    table = format_parity({"text": result(0.70), "pdf2col": result(0.65)})
    assert "| pdf2col | 90 / 5 | 0.650 / 0.650 (-0.050) |" in table
    assert "10 / 9 of 10" in table and "0 / 0 / 1 of 90" in table
