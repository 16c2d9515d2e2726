"""What the search hot path keeps between requests (issue 19) must never change what a search returns: the
tokeniser is bm25s's to the token, a passage read once is read again after an ingest changes it, a narrowed search
finds what Chroma's own ``where`` finds, and a remembered query vector cannot be altered by a caller."""

from __future__ import annotations

import shutil

import bm25s
import numpy as np
import pytest
import Stemmer

from cstassist.assistant import Assistant
from cstassist.filters import Filters
from cstassist.index import Index
from cstassist.ingest import ingest
from cstassist.lexical import tokenize
from cstassist.query_vectors import QueryVectors
from cstassist.settings import PROJECT_ROOT


def test_the_tokeniser_gives_exactly_the_tokens_bm25s_gives():
    texts = [line for f in sorted((PROJECT_ROOT / "corpus").glob("*.[mt][dx]*")) for line in f.read_text().splitlines()]
    texts += ["Ünïcödé wörds, l'école — naïve café 4th", "", "THE Board's CEO—appraisal!!", "ＣＥＯ ｆｕｌｌ", "a_b c__d 1_2 x y"]
    expected = bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), return_ids=False, show_progress=False)
    assert tokenize(texts) == expected
    assert len(texts) > 500


def test_a_passage_read_once_is_read_again_after_an_ingest_changes_it(make_settings, corpus_copy, embedder):
    settings = make_settings(corpus_copy)
    assert ingest(None, settings, embedder=embedder).ok
    assistant = Assistant.open(settings, embedder)
    first = assistant.search("What is a strong trust?", k=3)
    assert first
    again = assistant.search("What is a strong trust?", k=3)
    assert [p.chunk_id for p in again] == [p.chunk_id for p in first]
    assert assistant.index._records.hits > 0, "the second search read its passages from memory"

    # the paper is rewritten and re-ingested by another process's ingest (here: another Index on the same data)
    paper = corpus_copy / "what-is-a-strong-trust-2022.md"
    paper.write_text(paper.read_text().replace("strong trust", "sturdy trust"))
    assert ingest(None, settings, embedder=embedder).ok
    after = assistant.search("What is a sturdy trust?", k=3)
    assert any("sturdy trust" in p.text for p in after)
    assert not any("strong trust" in p.text for p in after if p.document_id == first[0].document_id)


@pytest.mark.parametrize(
    "narrowing",
    [
        {"document_ids": ("taking-stock-2019",)},
        {"kinds": ("discussion paper", "annual report")},
        {"published_from": "2022"},
        {"published_to": "2021-12"},
    ],
)
def test_a_narrowed_search_scores_exactly_what_chroma_where_finds(corpus_index, embedder, narrowing):
    index = Index(corpus_index)
    lexical = index.lexical()
    filters = Filters(("public",), **narrowing)
    for question in ("How should the board review the chief executive?", "What did CST do this year?", "school improvement"):
        vector = embedder.embed_query(question)
        ours = lexical.nearest(vector, 10, filters)
        chroma = index.store.nearest(vector, 10, ("public",), filters.chroma_where())
        assert ours, narrowing
        assert [cid for cid, _ in ours] == [cid for cid, _ in chroma], (narrowing, question)
        assert np.allclose([s for _, s in ours], [s for _, s in chroma], atol=1e-5)


def test_a_narrowed_search_never_scores_a_passage_the_caller_may_not_read(tmp_path, make_settings, embedder):
    from cstassist.lexical import LexicalIndex

    records = [
        ("pub", "The board appraises the chief executive.", {"audience": "public", "document_id": "d1", "kind": "paper"}),
        ("mem", "The board appraises the chief executive.", {"audience": "members", "document_id": "d1", "kind": "paper"}),
    ]
    vectors = embedder.embed([t for _, t, _ in records])
    lexical = LexicalIndex.build(records, 1, vectors)
    lexical.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    for lex in (lexical, loaded):
        assert [cid for cid, _ in lex.nearest(vectors[0], 5, Filters(("public",), kinds=("paper",)))] == ["pub"]
        both = lex.nearest(vectors[0], 5, Filters(("public", "members"), kinds=("paper",)))
        assert sorted(cid for cid, _ in both) == ["mem", "pub"]


def test_an_index_cached_before_it_kept_vectors_still_answers_narrowed_searches(corpus_index, tmp_path, embedder):
    data = tmp_path / "copy"
    shutil.copytree(corpus_index.data_dir, data)
    (data / "lexical" / "vectors.npy").unlink()
    settings = corpus_index.model_copy(update={"data_dir": data})
    assistant = Assistant.open(settings, embedder)
    found = assistant.search("governance", k=3, filters={"document_id": "taking-stock-2019"})
    assert found and {p.document_id for p in found} == {"taking-stock-2019"}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_ranking_from_the_passage_table_is_ranking_from_the_passages_themselves(corpus_index, tmp_path, embedder, mode):
    """Candidates are scored from the in-memory passage table (cstassist.table); an index cached without one reads
    every candidate from Chroma instead. Both must return the very same passages, scores and ranks."""
    data = tmp_path / "no-table"
    shutil.copytree(corpus_index.data_dir, data)
    for name in ("vectors.npy", "windows.npy", "table.npz"):
        (data / "lexical" / name).unlink()
    with_table = Assistant.open(corpus_index, embedder)
    without = Assistant.open(corpus_index.model_copy(update={"data_dir": data}), embedder)
    assert with_table.index.lexical().table is not None and without.index.lexical().table is None
    questions = ["How should the board review the chief executive's performance?", "What is a strong trust?",
                 "What did CST achieve in its first year?", "What is the capital of France?", "governance professionals"]  # fmt: skip
    for q in questions:
        for k in (1, 5, 12):
            a, b = with_table.search(q, k=k, mode=mode), without.search(q, k=k, mode=mode)
            facts = lambda ps: [(p.chunk_id, p.score, p.similarity, p.window_scores, p.ranks, p.text) for p in ps]  # noqa: E731
            assert facts(a) == facts(b), (q, k, mode)


def test_a_remembered_query_vector_is_the_embedders_own_and_cannot_be_changed(embedder):
    remembered = QueryVectors(embedder)
    v = remembered.embed_query("How should the board appraise the chief executive?")
    assert np.array_equal(v, embedder.embed_query("How should the board appraise the chief executive?"))
    assert remembered.embed_query("How should the board appraise the chief executive?") is v
    with pytest.raises(ValueError):
        v[0] = 1.0
    assert QueryVectors.around(remembered) is remembered
    assert remembered.name == embedder.name and remembered.dimension == embedder.dimension
