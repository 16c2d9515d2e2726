"""Every supported format ingests for real, and what staff record in the manifest reaches every chunk.

One library of real files (PDF by fpdf2, DOCX by python-docx, HTML, Markdown, text) is ingested once
for the module with the real embedder into a real Chroma; the tests read back what Chroma holds.
"""

from __future__ import annotations

import pytest

from cstassist.ingest import ingest
from cstassist.settings import Settings

MANIFEST = [
    {
        "file": "governance-paper.pdf",
        "title": "Strong governance (PDF edition)",
        "kind": "discussion paper",
        "published": "2022-02",
        "author": "Leora Cruddas CBE",
        "url": "https://cstuk.org.uk/governance-paper.pdf",
        "audience": "public",
    },
    {
        "file": "trust-boards.docx",
        "title": "Guidance for trust boards",
        "kind": "guidance",
        "published": "2023-05-10",
        "author": "CST governance team",
        "url": "https://cstuk.org.uk/members/trust-boards",
        "audience": "members",
    },
    {
        "file": "policy-library.html",
        "title": "Policy library",
        "kind": "policy listing",
        "published": "2023-09",
        "url": "https://cstuk.org.uk/knowledge",
    },
    {
        "file": "taking-stock.md",
        "title": "Taking Stock",
        "kind": "journal article",
        "published": "2019-07",
        "author": "Leora Cruddas",
    },
    {"file": "trust-leadership.txt", "title": "Trust leadership notes", "kind": "notes", "published": "2021"},
]
PDF_PAGES = ["Expert governance", "Quality of education", "Workforce resilience"]


@pytest.fixture(scope="module")
def library(tmp_path_factory, docs, embedder):
    """(settings, report, snapshot, paragraphs) after ingesting a folder of every format once."""
    folder = tmp_path_factory.mktemp("library")
    strong = docs.paragraphs("what-is-a-strong-trust-2022.md", 12)
    stock = docs.paragraphs("taking-stock-2019.txt", 6)
    policy = docs.paragraphs("policy-library-trust-governance.txt", 6)
    paras = {
        "pdf": strong[0:6],
        "docx": strong[6:9],
        "html": policy[0:2],
        "md": stock[0:3],
        "txt": policy[2:4],
        "briefing": strong[9:11],
        "notes": stock[3:5],
    }
    docs.pdf(folder / "governance-paper.pdf", [(h, paras["pdf"][2 * i : 2 * i + 2]) for i, h in enumerate(PDF_PAGES)])
    docs.docx(
        folder / "trust-boards.docx",
        "Strong trusts",
        [("Governance", 1, paras["docx"][:1]), ("Trust boards", 2, paras["docx"][1:2]), ("Improvement", 1, paras["docx"][2:])],
    )
    docs.html(folder / "policy-library.html", "Policy library", [("Trust leadership", paras["html"])])
    docs.markdown(folder / "taking-stock.md", "Taking Stock", [("Advocacy", paras["md"])])
    docs.text(folder / "trust-leadership.txt", paras["txt"])
    docs.markdown(folder / "board-briefing.md", "Briefing for new trustees", [("Why trusts", paras["briefing"])])
    docs.text(folder / "meeting-notes.txt", paras["notes"])
    docs.manifest(folder, MANIFEST)

    settings = Settings(data_dir=tmp_path_factory.mktemp("library-data"), corpus_dir=folder)
    report = ingest([folder], settings, embedder=embedder)
    return settings, report, paras


@pytest.fixture(scope="module")
def records(library, snapshot):
    return snapshot(library[0])


def _chunk_with(records, document_id, sentence):
    """The one chunk of the document whose text contains the sentence's opening words."""
    probe = sentence[:80]
    hits = [dict(m) | {"text": t} for _, t, m in records if dict(m)["document_id"] == document_id and probe in t]
    assert len(hits) == 1, f"{probe!r} found in {len(hits)} chunks of {document_id}"
    return hits[0]


def test_every_format_is_ingested(library, records):
    _, report, _ = library
    assert report.failed == []
    assert sorted(p.rsplit("/", 1)[1] for p in report.added) == sorted(
        [
            "governance-paper.pdf",
            "trust-boards.docx",
            "policy-library.html",
            "taking-stock.md",
            "trust-leadership.txt",
            "board-briefing.md",
            "meeting-notes.txt",
        ]
    )
    per_doc = {}
    for _, _, m in records:
        per_doc[dict(m)["document_id"]] = per_doc.get(dict(m)["document_id"], 0) + 1
    assert set(per_doc) == {
        "governance-paper",
        "trust-boards",
        "policy-library",
        "taking-stock",
        "trust-leadership",
        "board-briefing",
        "meeting-notes",
    }
    assert report.chunks_total == len(records) == sum(per_doc.values()) == report.chunks_written


def test_every_paragraph_of_every_file_is_in_the_index(library, records):
    _, _, paras = library
    everything = "\n".join(t for _, t, _ in records)
    for kind, paragraphs in paras.items():
        for para in paragraphs:
            assert para[:80] in everything, f"{kind}: {para[:80]!r} was not indexed"


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_manifest_facts_reach_every_chunk_of_the_document(records, by_document, entry):
    chunks = by_document(records, entry["file"].rsplit(".", 1)[0])
    assert chunks
    for c in chunks:
        assert c["title"] == entry["title"]
        assert c["kind"] == entry["kind"]
        assert c["published"] == entry["published"]
        assert c["author"] == entry.get("author", "")
        assert c["url"] == entry.get("url", "")
        assert c["audience"] == entry.get("audience", "public")
        assert c["source"] == entry["file"]


def test_members_entry_is_stored_as_members_and_nothing_else_is(records):
    audiences = {dict(m)["document_id"]: set() for _, _, m in records}
    for _, _, m in records:
        audiences[dict(m)["document_id"]].add(dict(m)["audience"])
    assert audiences.pop("trust-boards") == {"members"}
    assert all(a == {"public"} for a in audiences.values()), audiences


def test_member_document_is_recorded_as_members_in_the_ledger(library):
    from cstassist.index import Index

    index = Index(library[0])
    members = [d.meta.document_id for d in index.documents(("members",))]
    public = [d.meta.document_id for d in index.documents(("public",))]
    assert members == ["trust-boards"]
    assert "trust-boards" not in public and len(public) == 6


def test_file_without_manifest_entry_takes_its_title_from_the_first_heading_and_is_public(records, by_document):
    chunks = by_document(records, "board-briefing")
    assert chunks
    assert {c["title"] for c in chunks} == {"Briefing for new trustees"}
    assert {c["audience"] for c in chunks} == {"public"}
    assert {c["kind"] for c in chunks} == {"document"}
    assert {c["published"] for c in chunks} == {""}


def test_file_without_manifest_entry_or_heading_takes_its_title_from_the_file_name(records, by_document):
    chunks = by_document(records, "meeting-notes")
    assert chunks
    assert {c["title"] for c in chunks} == {"Meeting notes"}
    assert {c["audience"] for c in chunks} == {"public"}


def test_pdf_chunks_keep_the_page_their_text_is_on(library, records, by_document):
    _, _, paras = library
    chunks = by_document(records, "governance-paper")
    assert {c["page"] for c in chunks} == {1, 2, 3}
    for i, para in enumerate(paras["pdf"]):
        assert _chunk_with(records, "governance-paper", para)["page"] == i // 2 + 1


def test_pdf_chunks_never_hold_text_from_two_pages(library, records):
    _, _, paras = library
    for _, text, m in records:
        if dict(m)["document_id"] != "governance-paper":
            continue
        pages = {i // 2 + 1 for i, p in enumerate(paras["pdf"]) if p[:60] in text}
        assert len(pages) <= 1, f"chunk on page {dict(m)['page']} holds text of pages {pages}"


def test_pdf_headings_become_the_section_of_their_page(library, records):
    _, _, paras = library
    for i, para in enumerate(paras["pdf"]):
        assert _chunk_with(records, "governance-paper", para)["section"] == PDF_PAGES[i // 2]


def test_docx_headings_become_the_section_path(library, records):
    _, _, paras = library
    governance, boards, improvement = paras["docx"]
    assert _chunk_with(records, "trust-boards", governance)["section"] == "Governance"
    assert _chunk_with(records, "trust-boards", boards)["section"] == "Governance > Trust boards"
    assert _chunk_with(records, "trust-boards", improvement)["section"] == "Improvement"


def test_html_and_markdown_headings_become_the_section_path(library, records):
    _, _, paras = library
    assert _chunk_with(records, "policy-library", paras["html"][0])["section"] == "Policy library > Trust leadership"
    assert _chunk_with(records, "taking-stock", paras["md"][0])["section"] == "Taking Stock > Advocacy"


def test_only_pdf_chunks_carry_a_page(records):
    for _, _, m in records:
        m = dict(m)
        assert (m["page"] >= 1) == (m["document_id"] == "governance-paper"), m
