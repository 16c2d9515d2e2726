"""Answerability: the signals of the top passages, the shipped model over them, and the three outcomes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cstassist.answerability import OUTCOMES, Judge, Model, compute_signals, names
from cstassist.documents import Passage
from cstassist.filters import Filters
from cstassist.lexical import LexicalIndex


def passage(text: str, similarity: float, windows: tuple[float, ...] = (), doc: str = "doc-a") -> Passage:
    p = Passage(f"{doc}-{abs(hash(text))}", doc, "Title", "Section", None, None, None, f"{doc}.md", text, similarity=similarity)
    p.window_scores = windows
    return p


def stats_from(texts: list[str]):  # type: ignore[no-untyped-def]
    """Term statistics from a real BM25 index over ``texts`` (all public)."""
    lex = LexicalIndex.build([(f"c{i}", t, {"audience": "public"}) for i, t in enumerate(texts)], generation=1)
    return lambda tokens: lex.document_frequency(tokens, Filters(("public",)))


CORPUS = [
    "The board reviews the chief executive's performance every year against agreed objectives.",
    "Trusts publish their annual accounts each December.",
    "Strong trusts invest in the professional development of teachers.",
    "School trusts are charities with a single legal and moral purpose.",
]


def test_words_absent_from_the_corpus_raise_the_out_of_vocabulary_share():
    stats = stats_from(CORPUS)
    top = [passage(CORPUS[0], 0.6)]
    covered, _ = compute_signals("Is the chief executive's performance reviewed each year?", "q", top, stats)
    uncovered, _ = compute_signals("What salary band applies to the chief executive?", "q", top, stats)
    assert covered.values["oov_share"] == 0.0
    assert uncovered.values["oov_share"] > 0.0


def test_a_named_trust_that_never_occurs_counts_as_an_absent_name():
    stats = stats_from(CORPUS)
    signals, _ = compute_signals("q", "What results did Oakfield Learning Trust get?", [passage(CORPUS[3], 0.5)], stats)
    assert signals.values["names_absent"] >= 1.0
    assert names("What did Oakfield Learning Trust do? Boards meet.") == {"Oakfield", "Learning", "Trust"}


def test_the_best_window_holding_the_rare_terms_scores_higher_idf_coverage():
    stats = stats_from(CORPUS)
    text = "Trusts publish their annual accounts each December. The board reviews the chief executive every year."
    states_it = passage(text, 0.5, windows=(0.2, 0.3))  # 2 sentences -> one window; scores are per window
    states_it.window_scores = (0.6,)
    off = passage("Trusts publish their annual accounts each December.", 0.5, windows=(0.6,))
    q = "How often does the board review the chief executive?"
    with_it, _ = compute_signals(q, q, [states_it], stats)
    without, _ = compute_signals(q, q, [off], stats)
    assert with_it.values["idf_window"] > without.values["idf_window"]


def test_document_frequency_counts_only_what_the_caller_may_see():
    records = [
        ("c0", "Trustees approve the budget.", {"audience": "public"}),
        ("c1", "The confidential merger plan names Oakfield.", {"audience": "members"}),
    ]
    lex = LexicalIndex.build(records, generation=1)
    token = "oakfield"
    assert lex.document_frequency([token], Filters(("public",))) == (1, {token: 0})
    assert lex.document_frequency([token], Filters(("public", "members"))) == (2, {token: 1})


def test_the_model_maps_probability_to_the_three_outcomes_by_its_thresholds():
    model = replace(Model.bundled(), answer_at=0.7, related_at=0.2)
    assert [model.outcome(p) for p in (0.9, 0.7, 0.5, 0.2, 0.1)] == ["answer", "answer", "related", "related", "none"]


def test_the_bundled_model_reads_every_signal_the_judge_computes_and_its_thresholds_are_ordered():
    model = Model.bundled()
    signals, _ = compute_signals("board review", "board review", [passage(CORPUS[0], 0.6, (0.7,))], stats_from(CORPUS))
    assert set(model.features) <= set(signals.values)
    assert 0.0 <= model.related_at <= model.answer_at <= 1.0
    assert np.all(model.scale > 0)
    assert model.info.get("cv"), "the shipped model records how it was cross-validated"


def test_a_passage_that_states_it_outranks_one_merely_on_topic_and_no_passages_is_none():
    judge = Judge.default()
    stats = stats_from(CORPUS)
    q = "How often does the board review the chief executive's performance?"
    states = passage(CORPUS[0], 0.72, (0.8,))
    on_topic = passage(CORPUS[3], 0.35, (0.38,))
    yes = judge.judge(q, q, [states], stats)
    no = judge.judge(q, q, [on_topic], stats)
    assert yes.probability > no.probability
    assert yes.outcome in OUTCOMES and no.outcome in OUTCOMES
    assert judge.judge(q, q, [], stats).outcome == "none"
