"""The Chroma store: one collection per audience, so what a caller may not read is never searched."""

from __future__ import annotations

import numpy as np
import pytest

from cstassist.store import ChromaStore, open_client


def _vectors(n: int, seed: int = 3) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _meta(i: int) -> dict:
    return {"document_id": f"doc-{i // 10}", "audience": "members" if i % 2 else "public"}


def test_passages_go_to_their_audiences_collection_and_public_queries_never_see_members(make_settings):
    store = ChromaStore(make_settings())
    vectors = _vectors(40)
    store.upsert([f"c{i}" for i in range(40)], vectors, [f"text {i}" for i in range(40)], [_meta(i) for i in range(40)])
    assert {a: c.count() for a, c in store.collections.items()} == {"public": 20, "members": 20}
    public = store.query(vectors[1], 40, ("public",))  # vectors[1] is a members passage
    assert len(public) == 20 and all(meta["audience"] == "public" for _, _, meta, _ in public)
    both = store.query(vectors[1], 3, ("public", "members"))
    assert both[0][0] == "c1" and [h[3] for h in both] == sorted((h[3] for h in both), reverse=True)
    assert [r[0] for r in store.get(["c1", "c2"], ("public",))] == ["c2"]


def test_an_unknown_audience_is_refused(make_settings):
    store = ChromaStore(make_settings())
    with pytest.raises(ValueError, match="audience 'staff'"):
        store.upsert(["x"], _vectors(1), ["t"], [{"document_id": "d", "audience": "staff"}])
    assert store.count() == 0


def test_a_document_whose_audience_changed_leaves_nothing_behind(make_settings):
    store = ChromaStore(make_settings())
    v = _vectors(2)
    store.upsert(["a", "b"], v, ["one", "two"], [{"document_id": "d", "audience": "members"}] * 2)
    store.delete_document("d")
    store.upsert(["a"], v[:1], ["one"], [{"document_id": "d", "audience": "public"}])
    assert (store.collections["public"].count(), store.collections["members"].count()) == (1, 0)


def test_a_single_collection_store_from_version_0_1_is_split_by_audience_by_the_migration(make_settings):
    settings = make_settings()
    client = open_client(settings)
    legacy = client.create_collection("cstassist", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None)
    vectors = _vectors(30)
    legacy.add(
        ids=[f"c{i}" for i in range(30)],
        embeddings=vectors,
        documents=[f"t{i}" for i in range(30)],
        metadatas=[_meta(i) for i in range(30)],
    )

    store = ChromaStore(settings, client=client)
    assert store.query(vectors[4], 1, ("public",)) == [], "opening the store must not move anything"
    assert store.migrate_legacy() == 30 and store.migrate_legacy() == 0
    assert "cstassist" not in {c.name for c in client.list_collections()}
    assert {a: c.count() for a, c in store.collections.items()} == {"public": 15, "members": 15}
    assert store.query(vectors[4], 1, ("public",))[0][0] == "c4"
