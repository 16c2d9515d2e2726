"""Chunking follows the document's structure: heading paths are kept, chunks are short enough to quote,
pages are never crossed, and ids are stable and derived from content."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cstassist.chunking import MAX_CHARS, MAX_TABLE_CHARS, chunk_elements, infer_title
from cstassist.documents import chunk_id
from cstassist.parsing import Element

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
LIMIT = int(MAX_CHARS * 1.2)  # packing stops at MAX_CHARS; folding a short remainder in may reach 1.2x


def _paragraphs(name: str = "what-is-a-strong-trust-2022.md", min_chars: int = 150) -> list[str]:
    text = (CORPUS / name).read_text(encoding="utf-8")
    out = [" ".join(b.replace("**", "").split()) for b in re.split(r"\n\s*\n", text)]
    return [p for p in out if len(p) >= min_chars and p.endswith(".")]


PARAS = _paragraphs() + _paragraphs("policy-library-trust-governance.txt")


def title(text: str, depth: int = 0, page: int | None = None) -> Element:
    return Element("Title", text, depth=depth, page=page)


def para(text: str, page: int | None = None, hidden: bool = False) -> Element:
    return Element("NarrativeText", text, page=page, hidden=hidden)


def _holder(chunks, text):  # noqa: ANN001, ANN202
    hits = [c for c in chunks if text[:60] in c.text]
    assert len(hits) == 1, f"{text[:60]!r} is in {len(hits)} chunks"
    return hits[0]


def test_nested_headings_become_the_section_path():
    a, b, c, d = PARAS[:4]
    chunks = chunk_elements(
        "doc",
        [
            title("What is a strong trust?"),
            para(a),
            title("Codifying the features", depth=0),
            para(b),
            title("Expert governance", depth=1),
            para(c),
            title("Quality of education", depth=1),
            para(d),
        ],
    )
    assert _holder(chunks, a).section == "What is a strong trust?"
    assert _holder(chunks, b).section == "Codifying the features"
    assert _holder(chunks, c).section == "Codifying the features > Expert governance"
    assert _holder(chunks, d).section == "Codifying the features > Quality of education"


def test_headings_themselves_are_not_passages():
    chunks = chunk_elements("doc", [title("Expert governance"), para(PARAS[0])])
    assert len(chunks) == 1 and not chunks[0].text.startswith("Expert governance")


def test_numbered_list_item_heading_nests_under_the_current_title():
    chunks = chunk_elements(
        "doc",
        [
            title("Codifying the features of strong trusts"),
            para(PARAS[0]),
            Element("ListItem", "Expert Governance"),
            para(PARAS[1]),
        ],
    )
    assert _holder(chunks, PARAS[1]).section == "Codifying the features of strong trusts > Expert Governance"


def test_short_capitalised_line_before_a_paragraph_is_read_as_a_heading():
    chunks = chunk_elements("doc", [Element("UncategorizedText", "Codifying the features of strong trusts"), para(PARAS[0])])
    assert chunks[0].section == "Codifying the features of strong trusts"


def test_a_short_sentence_is_not_mistaken_for_a_heading():
    chunks = chunk_elements("doc", [Element("NarrativeText", "Trusts are charities."), para(PARAS[0])])
    assert chunks[0].section == ""
    assert "Trusts are charities." in chunks[0].text


def test_chunks_never_cross_a_section_heading():
    elements, owner = [], {}
    for i, p in enumerate(PARAS[:12]):
        if i % 3 == 0:
            elements.append(title(f"Section {i // 3}"))
        elements.append(para(p))
        owner.update({s: f"Section {i // 3}" for s in re.split(r"(?<=\.) ", p) if len(s) >= 30})
    for c in chunk_elements("doc", elements):
        sections = {owner[s] for s in owner if s in c.text}
        assert sections == {c.section}, f"chunk in {c.section!r} holds text of {sections}"


def test_chunks_are_at_most_about_1200_characters_and_lose_no_text():
    long_element = " ".join(PARAS[:8])  # one element far over the limit
    assert len(long_element) > 3 * MAX_CHARS
    elements = [title("Long"), para(long_element), title("Many small")] + [para(p) for p in PARAS[8:30]]
    chunks = chunk_elements("doc", elements)
    assert max(len(c.text) for c in chunks) <= LIMIT, sorted(len(c.text) for c in chunks)[-3:]
    flat = " ".join(" ".join(c.text.split()) for c in chunks)
    for p in PARAS[:30]:
        for sentence in re.split(r"(?<=\.) ", p):
            assert sentence.strip() in flat, f"lost: {sentence[:60]!r}"


def test_an_over_long_element_is_split_at_sentence_ends():
    chunks = chunk_elements("doc", [para(" ".join(PARAS[:8]))])
    assert len(chunks) >= 3
    for c in chunks:
        assert c.text.rstrip().endswith("."), c.text[-40:]


def test_small_neighbours_in_one_section_are_packed_together():
    small = [p for p in PARAS if len(p) < 300][:6]
    assert len(small) == 6
    chunks = chunk_elements("doc", [title("Notes")] + [para(p) for p in small])
    assert len(chunks) < len(small)
    assert all(len(c.text) <= LIMIT for c in chunks)


def test_chunks_never_cross_a_page_boundary():
    elements = []
    for page in (1, 2, 3):
        elements += [para(f"Page {page} opening. " + PARAS[page], page=page), para(f"Page {page} short closing line.", page=page)]
    elements.insert(0, Element("Header", "Confederation of School Trusts", page=1))
    chunks = chunk_elements("doc", elements)
    assert {c.page for c in chunks} == {1, 2, 3}
    for c in chunks:
        assert set(re.findall(r"Page (\d)", c.text)) == {str(c.page)}, (c.page, c.text[:80])


def test_tables_stay_whole_up_to_their_own_limit():
    table = " | ".join(["Trust", "Schools", "Pupils"] * 80)[: MAX_TABLE_CHARS - 100]
    assert len(table) > LIMIT
    chunks = chunk_elements("doc", [title("Figures"), para(PARAS[0]), Element("Table", table), para(PARAS[1])])
    assert [c.text for c in chunks if "|" in c.text] == [table]


def test_ids_are_stable_across_runs():
    elements = [title("A"), para(PARAS[0]), title("B"), para(PARAS[1]), para(PARAS[2])]
    assert [c.chunk_id for c in chunk_elements("doc", elements)] == [c.chunk_id for c in chunk_elements("doc", list(elements))]


def test_ids_come_from_content_so_untouched_passages_keep_theirs_when_others_change():
    before = chunk_elements("doc", [title("A"), para(PARAS[0]), title("B"), para(PARAS[1]), title("C"), para(PARAS[2])])
    after = chunk_elements(
        "doc", [title("New"), para(PARAS[5]), title("A"), para(PARAS[0]), title("B"), para(PARAS[7]), title("C"), para(PARAS[2])]
    )
    ids_before = {c.text: c.chunk_id for c in before}
    ids_after = {c.text: c.chunk_id for c in after}
    assert ids_after[PARAS[0]] == ids_before[PARAS[0]] and ids_after[PARAS[2]] == ids_before[PARAS[2]]
    assert ids_before[PARAS[1]] not in ids_after.values()
    assert [c.ordinal for c in after] == list(range(len(after)))


def test_id_is_derived_from_document_and_text():
    c = chunk_elements("strong-trust", [para(PARAS[0])])[0]
    assert c.chunk_id == chunk_id("strong-trust", c.text, 1)
    assert c.chunk_id.startswith("strong-trust-")
    assert chunk_elements("other-paper", [para(PARAS[0])])[0].chunk_id != c.chunk_id


def test_the_same_passage_twice_in_a_document_gets_two_ids():
    chunks = chunk_elements("doc", [title("A"), para(PARAS[0]), title("B"), para(PARAS[0])])
    assert len(chunks) == 2 and chunks[0].text == chunks[1].text
    assert chunks[0].chunk_id != chunks[1].chunk_id


def test_hidden_text_marks_its_chunk():
    chunks = chunk_elements("doc", [title("A"), para(PARAS[0], hidden=True), title("B"), para(PARAS[1])])
    assert [c.hidden_text for c in chunks] == [True, False]


@pytest.mark.parametrize(
    ("elements", "expected"),
    [
        (
            [Element("Header", "Confederation of School Trusts"), title("What is a strong trust?"), para(PARAS[0])],
            "What is a strong trust?",
        ),
        ([para(PARAS[0]), para(PARAS[1])], None),
        ([title("ab"), title("Taking Stock")], "Taking Stock"),
    ],
    ids=["first Title", "no Title", "too short to be a title"],
)
def test_title_is_the_first_title_element(elements, expected):
    assert infer_title(elements) == expected


def test_in_a_listing_each_item_is_its_own_chunk_and_a_heading_labels_only_the_items_that_name_it():
    elements = [
        title("Rising Strong"),
        para("‘Rising Strong’ is a series of essays from CST members recording the leadership response to COVID-19."),
        para("The performance review of the chief executive is one of a trust board’s most significant responsibilities."),
        para("This guidance offers a process or framework for auditing organisational culture in a school trust."),
    ]
    chunks = chunk_elements("library", elements, listing=True)
    assert len(chunks) == 3
    assert [c.section for c in chunks] == ["Rising Strong", "", ""]


def test_outside_a_listing_the_heading_governs_every_paragraph_below_it():
    elements = [title("Advocate"), para(PARAS[0]), para(PARAS[1])]
    assert {c.section for c in chunk_elements("report", elements)} == {"Advocate"}
