"""Sentence windows: every passage's two-sentence spans are embedded at ingest, stored with the passage,
and read back at search time as the passage's best-window similarity."""

from __future__ import annotations

import numpy as np

from cstassist.filters import Filters
from cstassist.index import Index
from cstassist.retrieval import HybridRetriever
from cstassist.store import ChromaStore
from cstassist.text import sentences
from cstassist.windows import (
    MAX_WINDOWS,
    WINDOWS_KEY,
    decode,
    embed_passages,
    encode,
    per_sentence,
    sentence_windows,
    window_similarities,
)

EVERYONE = Filters(("public", "members"))


def test_a_passage_is_cut_into_overlapping_pairs_of_consecutive_sentences():
    text = "Boards set strategy. Executives deliver it. Trustees hold them to account. Members appoint trustees."
    assert sentence_windows(text) == [
        "Boards set strategy. Executives deliver it.",
        "Executives deliver it. Trustees hold them to account.",
        "Trustees hold them to account. Members appoint trustees.",
    ]


def test_a_short_passage_is_its_own_single_window_and_an_empty_one_has_none():
    assert sentence_windows("One sentence only.") == ["One sentence only."]
    assert sentence_windows("First point. Second point.") == ["First point. Second point."]
    assert sentence_windows("   \n ") == []


def test_a_passage_with_many_sentences_gets_at_most_max_windows_still_spread_over_all_of_it():
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    windows = sentence_windows(text)
    assert len(windows) <= MAX_WINDOWS
    assert windows[0].startswith("Sentence number 0 ") and "number 5" in windows[-1]  # reaches the end part
    assert all(len(sentences(w)) == 2 for w in windows)


def test_each_sentence_takes_the_best_score_of_the_windows_that_contain_it():
    text = "One. Two. Three. Four."  # windows: (One Two) (Two Three) (Three Four)
    n = len(sentences(text))
    assert per_sentence(n, (0.2, 0.9, 0.4)) == [0.2, 0.9, 0.9, 0.4]
    assert per_sentence(n, (0.2, 0.9)) == [None] * 4  # scores that do not fit the text's windows are not guessed
    assert per_sentence(n, ()) == [None] * 4


def test_window_vectors_survive_the_metadata_round_trip_at_half_precision():
    v = np.random.default_rng(1).normal(size=(3, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    blob = encode(v)
    assert isinstance(blob, str) and blob.isascii()
    np.testing.assert_allclose(decode(blob, 384), v, atol=1e-3)
    q = v[1]
    assert abs(max(window_similarities({WINDOWS_KEY: blob}, q)) - 1.0) < 1e-3


def test_a_passage_without_stored_windows_has_no_window_similarity():
    q = np.ones(384, dtype=np.float32) / np.sqrt(384)
    assert window_similarities({}, q) == ()
    assert window_similarities({WINDOWS_KEY: ""}, q) == ()
    assert window_similarities({WINDOWS_KEY: "not base64 of vectors!"}, q) == ()


def test_ingest_stores_each_passages_windows_as_the_embedder_sees_them(corpus_index, embedder):
    store = ChromaStore(corpus_index)
    ids, texts, metas = [], [], []
    for i, t, m, _ in store.iter_all():
        ids += i
        texts += t
        metas += m
    assert ids and all(WINDOWS_KEY in m for m in metas)
    for text, meta in list(zip(texts, metas))[:8]:
        windows = sentence_windows(text)
        stored = decode(meta[WINDOWS_KEY], embedder.dimension)
        assert stored.shape == (len(windows), embedder.dimension)
        # int8 ONNX quantises activations per batch, so a vector moves a little with its batch-mates
        agreement = np.sum(stored * embedder.embed(windows), axis=1)
        assert agreement.min() > 0.98, agreement


def test_search_reports_the_best_windows_similarity_for_every_passage_it_returns(corpus_index, embedder):
    retriever = HybridRetriever(Index(corpus_index), embedder, corpus_index.retrieval)
    query = "How should the board review the chief executive's performance?"
    passages = retriever.search(query, 8, EVERYONE)
    q = embedder.embed_query(query)
    for p in passages:
        expected = float((embedder.embed(sentence_windows(p.text)) @ q).max())
        assert p.window_similarity is not None and abs(p.window_similarity - expected) < 0.02  # batch-dependent int8


def test_passages_stored_without_windows_are_still_found_and_ranked(make_settings, embedder):
    """A store written before windows existed keeps working until the next ingest re-embeds it."""
    settings = make_settings()
    index = Index(settings)
    texts = [
        "The board appraises the chief executive every year against agreed objectives.",
        "Trusts publish their annual accounts on their websites.",
    ]
    metas = [{"document_id": f"d{i}", "audience": "public", "title": "t", "section": ""} for i in range(2)]
    index.store.upsert(["a", "b"], embedder.embed(texts), texts, metas)
    index.ledger.bump_generation()
    found = HybridRetriever(index, embedder, settings.retrieval).search("How is the CEO appraised?", 2, EVERYONE)
    assert [p.chunk_id for p in found][0] == "a" and all(p.window_similarity is None for p in found)


def test_ingest_with_windows_switched_off_stores_none_and_switching_them_on_re_embeds(make_settings, embedder, tmp_path):
    from cstassist.ingest import ingest
    from cstassist.settings import EmbeddingSettings

    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "board.md").write_text(
        "# Appraisal\n\nThe board appraises the chief executive every year. It agrees objectives first. "
        "A committee may do the review. The chair reports the outcome to the board.\n"
    )
    off = make_settings(embedding=EmbeddingSettings(windows=False))
    assert ingest([folder], off, embedder=embedder).ok
    assert not any(WINDOWS_KEY in m for _, _, metas, _ in ChromaStore(off).iter_all() for m in metas)

    on = off.model_copy(update={"embedding": EmbeddingSettings(windows=True)})
    report = ingest([folder], on, embedder=embedder)
    assert report.updated and not report.unchanged  # the stored vectors depend on the setting
    assert all(WINDOWS_KEY in m for _, _, metas, _ in ChromaStore(on).iter_all() for m in metas)


class _Recording:
    """The real embedder, recording each call's texts."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.name, self.dimension, self.calls = inner, inner.name, inner.dimension, []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def test_passages_and_windows_are_embedded_in_one_call_and_a_repeated_window_only_once(embedder):
    shared = "Trustees hold the executive to account. Members appoint the trustees."
    texts = [
        f"The board sets the strategy of the trust. {shared}",
        f"{shared} The accounts are published every year.",
        shared,  # a two-sentence passage: its one window is the same text again
    ]
    passages = [f"Governance — part {i}\n{t}" for i, t in enumerate(texts)]
    rec = _Recording(embedder)
    vectors, windows = embed_passages(rec, passages, texts)
    assert len(rec.calls) == 1
    seen = rec.calls[0]
    assert len(seen) == len(set(seen)) and seen.count(shared) == 1
    assert set(seen) == set(passages) | {w for t in texts for w in sentence_windows(t)}
    # every passage still gets one vector per window, in window order, and the shared one is the same vector
    per = [decode(blob, embedder.dimension) for blob in windows]
    assert [len(p) for p in per] == [len(sentence_windows(t)) for t in texts] == [2, 2, 1]
    np.testing.assert_array_equal(per[0][1], per[1][0])
    np.testing.assert_array_equal(per[0][1], per[2][0])
    # each vector is the one its text gets on its own (stored at half precision)
    alone = np.stack([embedder.embed_query(w) for w in sentence_windows(texts[0])])
    np.testing.assert_array_equal(per[0], decode(encode(alone), embedder.dimension))
    np.testing.assert_array_equal(vectors, np.stack([embedder.embed_query(p) for p in passages]))


def test_passages_without_sentences_get_no_windows_and_no_call_is_made_for_nothing(embedder):
    rec = _Recording(embedder)
    vectors, windows = embed_passages(rec, [], [])
    assert vectors.shape == (0, embedder.dimension) and windows == [] and rec.calls == []
    vectors, windows = embed_passages(rec, ["Title\n   "], ["   "])
    assert vectors.shape == (1, embedder.dimension) and windows == [""]
