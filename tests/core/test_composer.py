"""Broad questions get a composed answer: a lead from the best passage, then key points from other passages, cited,
in the documents' order, within the words budget; lists and sub-headings that are the answer are listed; one-fact
questions keep the answer-bearing span.

Passages are built here as retrieval hands them over (score, section, ordinal, window cosines); the answerer and
composer are the real ones."""

from __future__ import annotations

import re

from cstassist.answerability import Verdict
from cstassist.answering import ExtractiveAnswerer, composed_evidence
from cstassist.documents import Passage
from cstassist.extractive import sentences_of
from cstassist.scope import Scope
from cstassist.settings import RetrievalSettings
from cstassist.text import question_terms, sentences
from cstassist.windows import starts_of

SETTINGS = RetrievalSettings()
BROAD = Scope(True, 0.9)
ONE_FACT = Scope(False, 0.1)


def passage(doc: str, ordinal: int, text: str, section: str = "", score: float = 0.8, cosine: float = 0.5) -> Passage:
    p = Passage(
        chunk_id=f"{doc}-{ordinal}",
        document_id=doc,
        title=f"Title of {doc}",
        section=section,
        page=None,
        published="2022",
        url=None,
        source=f"{doc}.md",
        text=text,
        similarity=cosine,
        score=score,
        ordinal=ordinal,
    )
    p.window_scores = tuple(cosine for _ in starts_of(len(sentences(text))))
    return p


def verdict(question: str, scope: Scope = BROAD) -> Verdict:
    return Verdict("answer", 0.9, {}, {t: 1.0 for t in question_terms(question)}, scope)


def ask(question: str, passages: list[Passage], scope: Scope = BROAD, previous: str | None = None, **settings):  # type: ignore[no-untyped-def]
    answerer = ExtractiveAnswerer(RetrievalSettings(**settings) if settings else SETTINGS)
    return answerer.answer(question, question, passages, verdict(question, scope), previous)


GOVERNANCE = [
    passage(
        "paper",
        3,
        "Strong boards hold executive leaders to account for the outcomes of all pupils. Boards set the strategic "
        "direction of the trust.",
        "Domains > Governance",
        score=1.0,
        cosine=0.7,
    ),
    passage("report", 0, "The trust board appoints and reviews the chief executive every year.", "Support", score=0.9),
    passage("paper", 1, "Trust boards determine, embed and monitor the culture, values and ethos of the trust.", "Intro", 0.8),
    passage("policy", 5, "Boards should monitor and improve their own performance continually.", "", score=0.7),
]


def test_a_broad_question_gets_a_lead_then_cited_key_points_from_other_passages():
    answer = ask("What is the role of the trust board?", GOVERNANCE)
    assert answer.outcome == "answer" and 2 <= len(answer.points) <= SETTINGS.broad_points
    lead, *lines = answer.text.split("\n")
    assert "hold executive leaders to account" in lead and lead.endswith("[1]")
    numbers = {c.n: c.passage for c in answer.citations}
    for point, line in zip(answer.points, lines):
        assert line == f"- {point['label'] + ': ' if point['label'] else ''}{point['text']} [{point['n']}]"
        assert point["text"] in numbers[point["n"]].text  # quoted from the passage it cites
    assert len({(numbers[p["n"]].document_id, numbers[p["n"]].section) for p in answer.points}) >= 2
    assert sorted(c.n for c in answer.citations) == list(range(1, len(answer.citations) + 1))


def test_key_points_follow_the_documents_order():
    answer = ask("What is the role of the trust board?", GOVERNANCE)
    by_n = {c.n: c.passage for c in answer.citations}
    order = [(by_n[p["n"]].document_id, by_n[p["n"]].ordinal) for p in answer.points]
    docs = list(dict.fromkeys(d for d, _ in order))
    for d in docs:  # within a document, chunk order
        ordinals = [o for dd, o in order if dd == d]
        assert ordinals == sorted(ordinals)
    assert docs == sorted(docs, key=lambda d: [i for i, (dd, _) in enumerate(order) if dd == d][0])


def test_the_composed_answer_keeps_to_the_words_budget():
    long = " ".join(["Boards also review the trust's risk register and the scheme of delegation each term."] * 3)
    passages = GOVERNANCE + [passage(f"extra{i}", 0, long, score=0.75) for i in range(6)]
    answer = ask("What is the role of the trust board?", passages, broad_words=60)
    words = len(re.sub(r"\[\d+\]|^- ", "", answer.text, flags=re.M).split())
    assert words <= 60 + 70  # the lead (up to about 70 words, whole sentences) plus points within the budget
    assert sum(len(p["text"].split()) + len(p["label"].split()) for p in answer.points) <= 60


def test_a_one_fact_question_keeps_the_answer_bearing_span_and_no_points():
    ranked = [GOVERNANCE[1], GOVERNANCE[0], *GOVERNANCE[2:]]  # retrieval ranks the answering passage first
    answer = ask("Who appoints the chief executive?", ranked, scope=ONE_FACT)
    assert answer.points == [] and "\n- " not in answer.text
    assert answer.text == "The trust board appoints and reviews the chief executive every year. [1]"
    assert ask("Who appoints the chief executive?", ranked, scope=BROAD).points  # the same passages, asked broadly


def test_when_the_lead_introduces_a_list_its_items_are_the_points_read_on_into_the_next_chunk():
    intro = passage(
        "paper",
        6,
        "We think the school trust is our best bet because:\n- Shared accountability is part of trust structures.\n"
        "- The best trusts put the quality of education first.",
        "Why trusts",
        score=1.0,
        cosine=0.8,
    )
    rest = passage("paper", 7, "- The best trusts are good employers.\n- They work with other civic actors.\nNext paragraph.")
    answer = ask(
        "Why is the school trust the best bet?", [intro, passage("other", 0, "Unrelated text about funding.", score=0.5)]
    )
    assert [p["text"] for p in answer.points] == [
        "Shared accountability is part of trust structures.",
        "The best trusts put the quality of education first.",
    ]  # the next chunk was not retrieved and no index was given to read it from
    answer = ask("Why is the school trust the best bet?", [intro, rest])
    assert [p["text"] for p in answer.points][2:] == ["The best trusts are good employers.", "They work with other civic actors."]
    assert {p["n"] for p in answer.points[2:]} != {p["n"] for p in answer.points[:2]}  # each item cites its own chunk


# sub-headings listed as the answer need a document's outline from a real index: tests/api/test_broad_answers.py


def test_a_follow_up_leaves_out_the_sentences_the_previous_answer_showed():
    first = ask("What is the role of the trust board?", GOVERNANCE)
    said = set(sentences_of(first.text))
    again = ask("What else does the board do?", GOVERNANCE, previous=first.text)
    shown = [p["text"] for p in again.points] + sentences_of(again.text.split("\n")[0])
    assert not [s for s in shown if s in said and len(s.split()) > 5], (first.text, again.text)


def test_the_llm_is_shown_the_composition_cut_to_its_chosen_sentences():
    q = "What is the role of the trust board?"
    answer = ask(q, GOVERNANCE)
    from cstassist.answering import LLMAnswerer
    from cstassist.settings import LLMSettings

    llm = LLMAnswerer(LLMSettings(base_url="http://127.0.0.1:9/v1"), SETTINGS)
    composed = llm.composed(q, q, GOVERNANCE, verdict(q))
    passages, evidence = composed_evidence(composed)
    assert [p.chunk_id for p in passages] == [c.passage.chunk_id for c in answer.citations]
    chosen = [s for n in sorted(evidence) for s in evidence[n]]
    assert chosen == sentences_of(re.sub(r"^- ", "", answer.text, flags=re.M))
    prompt = llm.prompt(q, passages, evidence=evidence)[1][1]
    blocks = re.findall(r'<passage n="(\d+)" title=.*?">\n(.*?)\n</passage>', prompt, re.S)
    assert {int(n): body.split("\n") for n, body in blocks} == evidence  # each passage shown as the chosen sentences only
