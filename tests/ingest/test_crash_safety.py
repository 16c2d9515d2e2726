"""A run killed at any moment leaves nothing the next run cannot repair: after a re-run the index (Chroma
and the BM25 index derived from it) equals what a clean run builds, with no duplicates and no orphans."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from cstassist.ingest import ingest, pipeline
from cstassist.lexical import LexicalIndex
from cstassist.settings import Settings


def _lexical_ids(settings: Settings) -> list[str]:
    lex = LexicalIndex.load(settings.data_dir / "lexical")
    assert lex is not None, "no lexical index was written"
    return sorted(lex.ids)


class SimulatedCrash(BaseException):
    """Raised at an exact point inside a run, standing in for a kill there."""


def test_run_stopped_after_its_writes_but_before_the_lexical_rebuild_is_repaired_by_the_next_run(
    tmp_path, docs, embedder, make_settings, snapshot, by_document, monkeypatch
):
    folder = docs.small_library(tmp_path / "library")
    settings = make_settings(folder)
    assert ingest([folder], settings, embedder=embedder).ok
    old, new = (docs.paragraphs("what-is-a-strong-trust-2022.md", 1, start=k)[0] for k in (3, 10))
    target = folder / "strong-trust.md"
    target.write_text(target.read_text().replace(old, new))  # one document changes...
    (folder / "mission.html").unlink()  # ...and one is pruned

    # the run dies after Chroma and the ledger were updated (at the orphan sweep), before BM25 is rebuilt
    def crash(*args):  # noqa: ANN002
        raise SimulatedCrash

    with monkeypatch.context() as m:
        m.setattr(pipeline, "_sweep_orphans", crash)
        with pytest.raises(SimulatedCrash):
            ingest([folder], settings, prune=True, embedder=embedder)
    chroma_ids = sorted(i for i, _, _ in snapshot(settings))
    assert chroma_ids != _lexical_ids(settings), "the crash did not leave the BM25 index behind"

    report = ingest([folder], settings, prune=True, embedder=embedder)

    assert report.ok and report.chunks_written == 0  # nothing to redo in Chroma...
    assert _lexical_ids(settings) == chroma_ids  # ...but BM25 is rebuilt to match it
    snap = snapshot(settings)
    assert by_document(snap, "mission") == []
    assert any(new[:60] in c["text"] for c in by_document(snap, "strong-trust"))


# --- a real process, really killed ------------------------------------------------------------------

FILES = 12


def _big_library(folder: Path, docs) -> Path:  # noqa: ANN001
    """FILES Markdown documents of two or three chunks each, every one with different text."""
    folder.mkdir()
    pool = (
        docs.paragraphs("what-is-a-strong-trust-2022.md", 22)
        + docs.paragraphs("taking-stock-2019.txt", 13)
        + docs.paragraphs("policy-library-trust-governance.txt", 33)
    )
    for i in range(FILES):
        paras = [pool[(i * 4 + k) % len(pool)] for k in range(4)]
        docs.markdown(folder / f"paper-{i:02d}.md", f"Paper {i}", [("Context", paras[:2]), ("Proposals", paras[2:])])
    return folder


class LedgerWatch:
    """Reads the ledger of a running ingest (SQLite in WAL mode allows a reader beside the writer)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def counts(self) -> dict[str, int]:
        try:
            if self._db is None:
                if not self.path.exists():
                    return {}
                self._db = sqlite3.connect(self.path, timeout=5)
            return dict(self._db.execute("SELECT status, count(*) FROM documents GROUP BY status").fetchall())
        except sqlite3.OperationalError:  # the schema is not there yet
            return {}

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _wait_until(proc, watch: LedgerWatch, ready, poll_s: float, timeout: float = 240) -> bool:  # noqa: ANN001
    """Poll the ledger until ``ready(counts)`` holds (True) or the process ends on its own (False)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if ready(watch.counts()):
            return True
        assert time.monotonic() < deadline, "ingest neither reached the awaited point nor finished"
        time.sleep(poll_s)
    return False


def _kill_when(proc, watch: LedgerWatch, ready, poll_s: float) -> dict[str, int] | None:  # noqa: ANN001
    """SIGKILL the process as soon as ``ready(ledger counts)`` holds; the counts seen just after the kill,
    or None when the process ended on its own first."""
    if not _wait_until(proc, watch, ready, poll_s):
        return None
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    return watch.counts()


@pytest.mark.slow
def test_ingest_killed_mid_write_and_mid_run_converges_to_a_clean_run(
    tmp_path, docs, embedder, start_cli, make_settings, snapshot, vectors
):
    folder = _big_library(tmp_path / "library", docs)
    data = tmp_path / "killed"
    watch = LedgerWatch(data / "cstassist.sqlite")
    kills = []

    # 1. while a document's chunks are being written: its ledger row is 'pending' (a window of tens of
    #    milliseconds, so poll fast once two documents are in; retried if the window is missed)
    for _ in range(4):
        done_before = watch.counts().get("done", 0)
        proc = start_cli("ingest", str(folder), data_dir=data)
        assert _wait_until(proc, watch, lambda c: c.get("done", 0) >= done_before + 2, poll_s=0.05)  # noqa: B023
        seen = _kill_when(proc, watch, lambda c: c.get("pending", 0) > 0, poll_s=0.003)
        assert seen is not None, "ingest finished before a write could be interrupted"
        kills.append(("while writing", seen))
        if seen.get("pending"):
            break
    assert any(c.get("pending") for _, c in kills), f"no kill landed mid-write: {kills}"

    # 2. between documents, a few documents later: parsing or embedding the next one
    done_before = watch.counts().get("done", 0)
    proc = start_cli("ingest", str(folder), data_dir=data)
    seen = _kill_when(proc, watch, lambda c: c.get("done", 0) >= done_before + 3 and not c.get("pending"), poll_s=0.02)
    assert seen is not None and seen.get("done", 0) < FILES, "the second kill did not land mid-run"
    kills.append(("between documents", seen))

    # 3. the run to completion (in this process: the same code, without paying for another start-up)
    killed = Settings(data_dir=data, corpus_dir=folder)
    done_before = watch.counts().get("done", 0)
    final = ingest([folder], killed, embedder=embedder)
    assert final.ok and len(final.added) == FILES - done_before - seen.get("pending", 0), final.summary()

    clean = make_settings(folder)
    assert ingest([folder], clean, embedder=embedder).ok
    expected, got = snapshot(clean), snapshot(killed)
    assert len(expected) >= FILES * 2
    assert got == expected, f"the index after kills {kills} differs from a clean run's"
    assert len({(dict(m)["document_id"], dict(m)["ordinal"]) for _, _, m in got}) == len(got)  # no duplicate passages
    v_clean, v_killed = vectors(clean), vectors(killed)
    assert all(np.allclose(v_clean[i], v_killed[i], atol=1e-4) for i in v_clean)
    assert _lexical_ids(killed) == sorted(i for i, _, _ in expected)
    watch.close()
    from cstassist.database import Database
    from cstassist.state import Ledger

    rows = Ledger(Database.for_settings(killed)).rows()
    assert len(rows) == FILES and {r.status for r in rows.values()} == {"done"}
    assert sum(r.chunk_count for r in rows.values()) == len(expected)
