"""Ordinary files that were refused or mis-read (issue 18, finding 9), through the real ingest.

Before: a text file of one 300 KB line failed ("parser ran out of memory"; 100 KB took 3-9 s), UTF-16 text
was refused as binary, and a Word document named ``.pdf`` was ingested and cited as a PDF without a word."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cstassist.assistant import Assistant
from cstassist.ingest import ingest
from cstassist.settings import Settings


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, docs, embedder):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("ordinary")
    prose = docs.paragraphs("what-is-a-strong-trust-2022.md", 6)
    one_line = " ".join(prose)
    one_line = (one_line + " ") * (300_000 // len(one_line) + 1)
    one_line = one_line[: one_line.rfind(". ", 0, 300_000) + 1]
    unique = "The clerk files the long-line register in the trust's archive every July."
    (folder / "one-line.txt").write_text(one_line + " " + unique, encoding="utf-8")
    (folder / "utf16-bom.txt").write_text(
        "Trust boards review the utf-sixteen scheme of delegation each spring.\n", encoding="utf-16"
    )
    (folder / "utf16-nobom.txt").write_bytes(
        "Members appoint the big-endian auditors at the annual meeting.\n".encode("utf-16-be")
    )
    docs.docx(folder / "looks-like.pdf", "Misnamed", [("Misnamed", 1, ["A Word document named as a PDF."])])
    settings = Settings(data_dir=tmp_path_factory.mktemp("ordinary-data") / "data", corpus_dir=folder)
    started = time.perf_counter()
    report = ingest([folder], settings, embedder=embedder)
    return settings, report, time.perf_counter() - started, one_line


def _names(files: list[str]) -> set[str]:
    return {Path(f).name for f in files}


def test_a_single_line_text_file_of_300_kb_is_ingested_whole(ingested, embedder):
    settings, report, seconds, one_line = ingested
    assert len(one_line) >= 290_000
    assert "one-line.txt" in _names(report.added), report.failed
    hits = Assistant.open(settings, embedder=embedder).search("long-line register archive July", 3, ("public",))
    assert hits and "long-line register" in hits[0].text


@pytest.mark.parametrize(
    ("name", "query", "words"),
    [
        ("utf16-bom.txt", "utf-sixteen scheme of delegation", "utf-sixteen scheme"),
        ("utf16-nobom.txt", "big-endian auditors annual meeting", "big-endian auditors"),
    ],
)
def test_utf16_text_is_read_as_text(ingested, embedder, name, query, words):
    settings, report, _, _ = ingested
    assert name in _names(report.added), report.failed
    hits = Assistant.open(settings, embedder=embedder).search(query, 3, ("public",))
    assert any(words in h.text for h in hits), [h.text for h in hits]


def test_a_word_document_named_pdf_is_refused_with_a_rename_hint(ingested):
    _, report, _, _ = ingested
    reasons = {Path(f).name: why for f, why in report.failed}
    assert "looks-like.pdf" in reasons, report
    assert "Word document" in reasons["looks-like.pdf"] and "rename it .docx" in reasons["looks-like.pdf"]
