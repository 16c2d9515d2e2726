"""A run killed at any moment leaves nothing the next run cannot repair: after a re-run the index (Chroma
and the BM25 index derived from it) equals what a clean run builds, with no duplicates and no orphans."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from cstassist.ingest import ingest
from cstassist.lexical import LexicalIndex
from cstassist.settings import Settings
from cstassist.state import Ledger


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

    # the run dies after Chroma and the ledger were updated, before the BM25 index was rebuilt
    def crash(self):  # noqa: ANN001
        raise SimulatedCrash

    with monkeypatch.context() as m:
        m.setattr(Ledger, "bump_generation", crash)
        with pytest.raises(SimulatedCrash):
            ingest([folder], settings, prune=True, embedder=embedder)
    assert sorted(i for i, _, _ in snapshot(settings)) != _lexical_ids(settings), "the crash did not leave BM25 behind"

    ingest([folder], settings, prune=True, embedder=embedder)

    assert _lexical_ids(settings) == sorted(i for i, _, _ in snapshot(settings))
    clean = make_settings(folder)
    ingest([folder], clean, prune=True, embedder=embedder)
    assert snapshot(settings) == snapshot(clean)
