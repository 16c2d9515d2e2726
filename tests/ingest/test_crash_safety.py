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


@pytest.mark.parametrize("change", ["edit a file", "prune a deleted file"])
def test_run_stopped_after_its_writes_but_before_the_lexical_rebuild_is_repaired_by_the_next_run(
    change, tmp_path, docs, embedder, make_settings, snapshot, monkeypatch
):
    folder = docs.small_library(tmp_path / "library")
    settings = make_settings(folder)
    assert ingest([folder], settings, embedder=embedder).ok
    if change == "edit a file":
        target = folder / "strong-trust.md"
        old, new = docs.paragraphs("what-is-a-strong-trust-2022.md", 1, start=3)[0], docs.paragraphs("what-is-a-strong-trust-2022.md", 1, start=10)[0]
        target.write_text(target.read_text().replace(old, new))
    else:
        (folder / "mission.html").unlink()

    # the run dies after Chroma and the ledger were updated (at the orphan sweep), before BM25 is rebuilt
    def crash(*args):  # noqa: ANN002
        raise SimulatedCrash

    with monkeypatch.context() as m:
        m.setattr(pipeline, "_sweep_orphans", crash)
        with pytest.raises(SimulatedCrash):
            ingest([folder], settings, prune=True, embedder=embedder)
    assert sorted(i for i, _, _ in snapshot(settings)) != _lexical_ids(settings), "the crash did not leave BM25 behind"

    ingest([folder], settings, prune=True, embedder=embedder)

    assert _lexical_ids(settings) == sorted(i for i, _, _ in snapshot(settings))
    clean = make_settings(folder)
    ingest([folder], clean, prune=True, embedder=embedder)
    assert snapshot(settings) == snapshot(clean)


# --- a real process, really killed ------------------------------------------------------------------

FILES = 30


def _big_library(folder: Path, docs) -> Path:  # noqa: ANN001
    """FILES Markdown documents of about three chunks each, every one with different text."""
    folder.mkdir()
    pool = (docs.paragraphs("what-is-a-strong-trust-2022.md", 22) + docs.paragraphs("taking-stock-2019.txt", 13)
            + docs.paragraphs("policy-library-trust-governance.txt", 33))
    for i in range(FILES):
        paras = [pool[(i * 5 + k) % len(pool)] for k in range(5)]
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


def _kill_when(proc, watch: LedgerWatch, ready, timeout: float = 240) -> dict[str, int] | None:  # noqa: ANN001
    """SIGKILL the process as soon as ``ready(ledger counts)`` holds; the counts seen just after the kill,
    or None when the process ended on its own first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if ready(watch.counts()):
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return watch.counts()
        assert time.monotonic() < deadline, "ingest neither reached the kill point nor finished"
        time.sleep(0.002)
    return None


@pytest.mark.slow
def test_ingest_killed_at_any_moment_converges_to_a_clean_run(tmp_path, docs, embedder, start_cli, make_settings, snapshot, vectors):
    folder = _big_library(tmp_path / "library", docs)
    data = tmp_path / "killed"
    watch = LedgerWatch(data / "state.sqlite")
    moments = []

    # 1. mid-way through the files, between documents: parsing or embedding the next one
    proc = start_cli("ingest", str(folder), data_dir=data)
    seen = _kill_when(proc, watch, lambda c: c.get("done", 0) >= 3 and not c.get("pending"))
    assert seen is not None and proc.returncode == -signal.SIGKILL, "the first kill did not land"
    moments.append(("between documents", seen))

    # 2. while a document's chunks are being written (its ledger row is 'pending'); retried if we miss the window
    for _ in range(4):
        done_before = watch.counts().get("done", 0)
        proc = start_cli("ingest", str(folder), data_dir=data)
        seen = _kill_when(proc, watch, lambda c: c.get("pending", 0) > 0 and c.get("done", 0) > done_before)
        assert seen is not None, "ingest finished before a write could be interrupted"
        moments.append(("while writing", seen))
        if seen.get("pending"):
            break
    assert any(m == "while writing" and c.get("pending") for m, c in moments), f"no kill landed mid-write: {moments}"

    # 3. after the last document, during the orphan sweep and BM25 rebuild (or just after the run ended)
    proc = start_cli("ingest", str(folder), data_dir=data)
    seen = _kill_when(proc, watch, lambda c: c.get("done", 0) == FILES)
    moments.append(("after the last document", seen))
    watch.close()

    proc = start_cli("ingest", str(folder), data_dir=data)
    assert proc.wait(300) == 0, proc.stderr_path.read_text()
    assert "0 failed" in proc.stdout_path.read_text()

    clean = make_settings(folder)
    assert ingest([folder], clean, embedder=embedder).ok
    killed = Settings(data_dir=data, corpus_dir=folder)
    expected, got = snapshot(clean), snapshot(killed)
    assert len(expected) > FILES * 2
    assert got == expected, f"index after kills at {[m for m, _ in moments]} differs from a clean run"
    assert len({(dict(m)["document_id"], dict(m)["ordinal"]) for _, _, m in got}) == len(got)  # no duplicate passages
    v_clean, v_killed = vectors(clean), vectors(killed)
    assert all(np.allclose(v_clean[i], v_killed[i], atol=1e-4) for i in v_clean)
    assert _lexical_ids(killed) == sorted(i for i, _, _ in expected)
    from cstassist.state import Ledger

    rows = Ledger(killed.state_path).rows()
    assert len(rows) == FILES and {r.status for r in rows.values()} == {"done"}
    assert sum(r.chunk_count for r in rows.values()) == len(expected)
