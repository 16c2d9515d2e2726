"""Ingest is incremental: unchanged files cost nothing, changed files replace their chunks, pruned files
leave nothing behind, and repeated runs converge to the index a clean run builds."""

from __future__ import annotations

import os

import pytest

from cstassist.index import Index
from cstassist.ingest import ingest
from cstassist.lexical import LexicalIndex
from cstassist.settings import Settings


def _lexical_ids(settings: Settings) -> list[str]:
    lex = LexicalIndex.load(settings.data_dir / "lexical")
    assert lex is not None, "no lexical index was written"
    return sorted(lex.ids)


@pytest.fixture(scope="module")
def repeated(tmp_path_factory, docs, embedder, counting, snapshot, vectors):
    """A small library ingested three times: as is, again unchanged, and again after its files were touched."""
    folder = docs.small_library(tmp_path_factory.mktemp("repeat") / "library")
    settings = Settings(data_dir=tmp_path_factory.mktemp("repeat-data"), corpus_dir=folder)
    out = {"first": ingest([folder], settings, embedder=embedder)}
    out["snap1"], out["vec1"] = snapshot(settings), vectors(settings)

    second = counting()
    out["second"], out["second_embedded"] = ingest([folder], settings, embedder=second), second
    out["snap2"], out["vec2"] = snapshot(settings), vectors(settings)

    for f in folder.iterdir():  # same bytes, new modification time: must be recognised by content
        st = f.stat()
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    third = counting()
    out["third"], out["third_embedded"] = ingest([folder], settings, embedder=third), third
    out["snap3"] = snapshot(settings)
    out["settings"] = settings
    return out


def test_first_run_adds_every_file(repeated):
    first = repeated["first"]
    assert first.failed == [] and len(first.added) == 3 and first.chunks_written > 0
    assert len(repeated["snap1"]) == first.chunks_total == first.chunks_written


def test_second_run_reports_every_file_unchanged_and_embeds_nothing(repeated):
    second = repeated["second"]
    assert len(second.unchanged) == 3
    assert second.added == second.updated == second.removed == second.failed == []
    assert second.chunks_written == 0
    assert repeated["second_embedded"].texts == 0
    assert second.chunks_total == repeated["first"].chunks_total


def test_two_runs_in_a_row_leave_an_identical_index(repeated):
    assert repeated["snap1"] == repeated["snap2"]
    assert repeated["snap1"]  # not two empty indexes
    v1, v2 = repeated["vec1"], repeated["vec2"]
    assert v1.keys() == v2.keys() and all((v1[k] == v2[k]).all() for k in v1)


def test_touched_but_identical_files_are_recognised_by_content_and_not_reembedded(repeated):
    third = repeated["third"]
    assert len(third.unchanged) == 3 and third.updated == [] and third.chunks_written == 0
    assert repeated["third_embedded"].texts == 0
    assert repeated["snap3"] == repeated["snap1"]


def test_lexical_index_holds_exactly_the_chunks_in_chroma(repeated):
    assert _lexical_ids(repeated["settings"]) == sorted(i for i, _, _ in repeated["snap3"])


@pytest.fixture
def library(tmp_path, docs, embedder, make_settings):
    """A small library already ingested once: (folder, settings)."""
    folder = docs.small_library(tmp_path / "library")
    settings = make_settings(folder)
    report = ingest([folder], settings, embedder=embedder)
    assert report.ok and len(report.added) == 3
    return folder, settings


def test_changed_file_replaces_its_old_chunks(library, docs, embedder, counting_embedder, make_settings, snapshot, by_document):
    folder, settings = library
    before = by_document(snapshot(settings), "strong-trust")
    old_text = (folder / "strong-trust.md").read_text()
    dropped = docs.paragraphs("what-is-a-strong-trust-2022.md", 1, start=3)[0]
    added = docs.paragraphs("what-is-a-strong-trust-2022.md", 1, start=10)[0]
    assert dropped in old_text
    (folder / "strong-trust.md").write_text(old_text.replace(dropped, added))

    report = ingest([folder], settings, embedder=counting_embedder)

    assert [p.rsplit("/", 1)[1] for p in report.updated] == ["strong-trust.md"]
    assert len(report.unchanged) == 2 and report.added == []
    after = by_document(snapshot(settings), "strong-trust")
    assert counting_embedder.texts == len(after) == report.chunks_written
    stale = {c["id"] for c in before if dropped[:60] in c["text"]}
    assert stale and not stale & {c["id"] for c in after}, "chunks of the old version are still in the index"
    assert not any(dropped[:60] in c["text"] for c in after)
    assert any(added[:60] in c["text"] for c in after)
    assert sorted(c["ordinal"] for c in after) == list(range(len(after)))

    clean = make_settings(folder)
    ingest([folder], clean, embedder=embedder)
    assert snapshot(settings) == snapshot(clean), "the updated index differs from a clean ingest of the same files"
    assert _lexical_ids(settings) == sorted(i for i, _, _ in snapshot(clean))


def test_manifest_change_relabels_a_document_without_a_file_change(library, counting_embedder, docs, snapshot, by_document):
    folder, settings = library
    manifest = (folder / "manifest.yaml").read_text()
    (folder / "manifest.yaml").write_text(manifest.replace("title: Taking Stock", "title: Taking Stock\n  audience: members"))

    report = ingest([folder], settings, embedder=counting_embedder)

    assert [p.rsplit("/", 1)[1] for p in report.updated] == ["taking-stock.txt"]
    chunks = by_document(snapshot(settings), "taking-stock")
    assert chunks and {c["audience"] for c in chunks} == {"members"}


def test_deleted_file_is_kept_without_prune_and_removed_with_prune(library, embedder, snapshot, by_document):
    folder, settings = library
    kept_before = len(by_document(snapshot(settings), "strong-trust"))
    assert by_document(snapshot(settings), "mission")
    (folder / "mission.html").unlink()

    report = ingest([folder], settings, embedder=embedder)  # explicit folder: prune is off by default
    assert report.removed == [] and by_document(snapshot(settings), "mission")

    report = ingest([folder], settings, prune=True, embedder=embedder)

    assert [p.rsplit("/", 1)[1] for p in report.removed] == ["mission.html"]
    snap = snapshot(settings)
    assert by_document(snap, "mission") == []
    assert len(by_document(snap, "strong-trust")) == kept_before
    assert "mission" not in {d.meta.document_id for d in Index(settings).documents(("public", "members"))}
    assert _lexical_ids(settings) == sorted(i for i, _, _ in snap)
    assert report.chunks_total == len(snap)
