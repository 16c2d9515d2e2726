"""Backup and restore: a backup taken beside a running service restores into a fresh data directory
with identical search results, keys and feedback."""

from __future__ import annotations

import pytest

from cstassist.access import KeyStore
from cstassist.assistant import Assistant
from cstassist.backup import backup, restore
from cstassist.database import Database
from cstassist.errors import BadRequest
from cstassist.ingest import ingest
from cstassist.locking import DataDirLock

QUERIES = ["five domains of a strong trust", "chief executive performance review", "civic leadership", "trust governance papers"]


def _results(assistant: Assistant) -> list[list[tuple[str, float]]]:
    return [[(p.chunk_id, p.score) for p in assistant.search(q, k=5, audiences=("public", "members"))] for q in QUERIES]


def _same(a: list[list[tuple[str, float]]], b: list[list[tuple[str, float]]]) -> bool:
    """Same passages in the same order, scores equal to float32 precision (a rebuilt HNSW graph may sum a
    distance in another order)."""
    return [[c for c, _ in r] for r in a] == [[c for c, _ in r] for r in b] and all(
        abs(x - y) < 1e-4 for ra, rb in zip(a, b) for (_, x), (_, y) in zip(ra, rb)
    )


@pytest.mark.slow
def test_a_restored_backup_gives_identical_search_results(make_settings, embedder, tmp_path):
    source = make_settings()
    ingest(None, source, embedder=embedder)
    key_info, secret = KeyStore(Database.for_settings(source)).create("portal", "members")
    expected = _results(Assistant.open(source, embedder=embedder))

    with DataDirLock(source.data_dir, exclusive=False, what="serve"):  # as a running service holds it
        info = backup(source, tmp_path / "snap")
    assert info.chunks > 50 and (tmp_path / "snap" / "manifest.yaml").exists()

    target = make_settings()
    restored = restore(target, tmp_path / "snap")
    assert restored.chunks == info.chunks
    restored_results = _results(Assistant.open(target, embedder=embedder))
    assert _same(restored_results, expected), (restored_results, expected)
    assert KeyStore(Database.for_settings(target)).verify(secret).key_id == key_info.key_id
    again = ingest(None, target, embedder=embedder)
    assert again.chunks_written == 0 and not again.added and not again.updated, "the restored ledger must match the index"


def test_restore_refuses_to_overwrite_an_index_without_force(corpus_index, tmp_path):
    with pytest.raises(BadRequest, match="not a cstassist backup"):
        restore(corpus_index, tmp_path)
    with DataDirLock(corpus_index.data_dir, exclusive=False, what="test"):
        snap = backup(corpus_index, tmp_path / "snap")
    with pytest.raises(BadRequest, match="already holds an index"):
        restore(corpus_index, snap.path)


def test_backup_refuses_a_non_empty_destination(corpus_index, tmp_path):
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "something").write_text("x")
    with pytest.raises(BadRequest, match="not empty"):
        backup(corpus_index, tmp_path / "dest")


@pytest.mark.slow
def test_a_damaged_backup_is_refused_before_the_index_is_touched(corpus_index, make_settings, embedder, tmp_path):
    snap = backup(corpus_index, tmp_path / "snap").path
    lines = (snap / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    (snap / "chunks.jsonl").write_text("\n".join(lines[:-3]) + "\n", encoding="utf-8")  # truncated copy

    target = make_settings()
    ingest(None, target, embedder=embedder)
    before = _results(Assistant.open(target, embedder=embedder))
    with pytest.raises(BadRequest, match="incomplete"):
        restore(target, snap, force=True)
    assert _same(_results(Assistant.open(target, embedder=embedder)), before)
