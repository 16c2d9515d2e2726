"""Ingest is incremental: unchanged files cost nothing, changed files replace their chunks, pruned files
leave nothing behind, and repeated runs converge to the index a clean run builds."""

from __future__ import annotations

import os

import pytest

from cstassist.index import Index
from cstassist.ingest import ingest
from cstassist.lexical import LexicalIndex
from cstassist.settings import Settings
from cstassist.windows import sentence_windows


def texts_embedded_for(texts: list[str]) -> int:
    """How many texts ingest embeds for these passages: each passage, and each distinct sentence window."""
    return len(texts) + len({w for t in texts for w in sentence_windows(t)})


def _lexical_ids(settings: Settings) -> list[str]:
    lex = LexicalIndex.load(settings.data_dir / "lexical")
    assert lex is not None, "no lexical index was written"
    return sorted(lex.ids)


@pytest.fixture(scope="module")
def history(tmp_path_factory, docs, embedder, counting, snapshot, vectors):
    """One small library through a sequence of runs, each step's report and index kept for the tests:
    first ingest; again unchanged; again after every file was touched; after a manifest edit; after a
    file was deleted (without, then with prune)."""
    folder = docs.small_library(tmp_path_factory.mktemp("history") / "library")
    settings = Settings(data_dir=tmp_path_factory.mktemp("history-data"), corpus_dir=folder)
    h = {"settings": settings}

    def run(step, **kw):  # noqa: ANN001, ANN003, ANN202
        counter = counting()
        h[step] = ingest([folder], settings, embedder=counter, **kw)
        h[step + " embedded"], h[step + " index"] = counter.texts, snapshot(settings)
        h[step + " lexical"] = _lexical_ids(settings)

    run("first")
    h["first vectors"] = vectors(settings)
    run("unchanged")
    h["unchanged vectors"] = vectors(settings)

    for f in folder.iterdir():  # same bytes, new modification time: must be recognised by content
        st = f.stat()
        os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    run("touched")

    manifest = (folder / "manifest.yaml").read_text()
    (folder / "manifest.yaml").write_text(manifest.replace("title: Taking Stock", "title: Taking Stock\n  audience: members"))
    run("relabelled")

    (folder / "mission.html").unlink()
    run("deleted")  # an explicit folder: prune is off by default
    run("pruned", prune=True)
    return h


def test_first_run_adds_every_file(history):
    first = history["first"]
    assert first.failed == [] and len(first.added) == 3 and first.chunks_written > 0
    assert len(history["first index"]) == first.chunks_total == first.chunks_written
    assert history["first embedded"] == texts_embedded_for([text for _, text, _ in history["first index"]])


def test_second_run_reports_every_file_unchanged_and_embeds_nothing(history):
    again = history["unchanged"]
    assert len(again.unchanged) == 3
    assert again.added == again.updated == again.removed == again.failed == []
    assert again.chunks_written == 0 and history["unchanged embedded"] == 0
    assert again.chunks_total == history["first"].chunks_total


def test_two_runs_in_a_row_leave_an_identical_index(history):
    assert history["first index"] == history["unchanged index"]
    assert history["first index"]  # not two empty indexes
    v1, v2 = history["first vectors"], history["unchanged vectors"]
    assert v1.keys() == v2.keys() and all((v1[k] == v2[k]).all() for k in v1)


def test_touched_but_identical_files_are_recognised_by_content_and_not_reembedded(history):
    touched = history["touched"]
    assert len(touched.unchanged) == 3 and touched.updated == [] and touched.chunks_written == 0
    assert history["touched embedded"] == 0
    assert history["touched index"] == history["first index"]


def test_manifest_change_relabels_a_document_without_a_file_change(history, by_document):
    relabelled = history["relabelled"]
    assert [p.rsplit("/", 1)[1] for p in relabelled.updated] == ["taking-stock.txt"]
    assert len(relabelled.unchanged) == 2
    chunks = by_document(history["relabelled index"], "taking-stock")
    assert chunks and {c["audience"] for c in chunks} == {"members"}
    before = by_document(history["first index"], "taking-stock")
    assert [c["id"] for c in chunks] == [c["id"] for c in before]  # same passages, new facts


def test_deleted_file_is_kept_without_prune(history, by_document):
    assert history["deleted"].removed == []
    assert by_document(history["deleted index"], "mission") == by_document(history["relabelled index"], "mission") != []


def test_deleted_file_is_removed_with_prune(history, by_document):
    pruned = history["pruned"]
    assert [p.rsplit("/", 1)[1] for p in pruned.removed] == ["mission.html"]
    index = history["pruned index"]
    assert by_document(index, "mission") == []
    assert [r for r in index if dict(r[2])["document_id"] != "mission"] == [
        r for r in history["deleted index"] if dict(r[2])["document_id"] != "mission"
    ]
    assert "mission" not in {d.meta.document_id for d in Index(history["settings"]).documents(("public", "members"))}
    assert pruned.chunks_total == len(index)


@pytest.mark.parametrize("step", ["first", "unchanged", "touched", "relabelled", "deleted", "pruned"])
def test_lexical_index_holds_exactly_the_chunks_in_chroma_after_every_run(history, step):
    assert history[step + " lexical"] == sorted(i for i, _, _ in history[step + " index"])


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
    assert len(after) == report.chunks_written
    assert counting_embedder.texts == texts_embedded_for([c["text"] for c in after])  # that document only
    stale = {c["id"] for c in before if dropped[:60] in c["text"]}
    assert stale and not stale & {c["id"] for c in after}, "chunks of the old version are still in the index"
    assert not any(dropped[:60] in c["text"] for c in after)
    assert any(added[:60] in c["text"] for c in after)
    assert sorted(c["ordinal"] for c in after) == list(range(len(after)))

    clean = make_settings(folder)
    ingest([folder], clean, embedder=embedder)
    assert snapshot(settings) == snapshot(clean), "the updated index differs from a clean ingest of the same files"
    assert _lexical_ids(settings) == sorted(i for i, _, _ in snapshot(clean))


def test_a_file_made_members_only_that_then_fails_to_parse_is_withdrawn_not_left_public(tmp_path, docs, embedder, make_settings):
    folder = docs.small_library(tmp_path / "library")
    settings = make_settings(folder)
    ingest([folder], settings, embedder=embedder)
    assert Index(settings).store.query(embedder.embed_query("taking stock"), 50, ("public",))

    manifest = (folder / "manifest.yaml").read_text()
    (folder / "manifest.yaml").write_text(manifest.replace("title: Taking Stock", "title: Taking Stock\n  audience: members"))
    (folder / "taking-stock.txt").write_bytes(b"\x00\x01\x02 not text at all \xff\xfe" * 50)
    report = ingest([folder], settings, embedder=embedder)

    assert [name for name, _ in report.failed] == [str(folder / "taking-stock.txt")]
    index = Index(settings)
    public = index.store.query(embedder.embed_query("taking stock"), 100, ("public",))
    assert all(meta["document_id"] != "taking-stock" for _, _, meta, _ in public), "old public passages still served"
    assert "taking-stock" not in {d.meta.document_id for d in index.documents(("public", "members"))}
    assert {d.meta.document_id for d in index.documents(("public",))} == {"strong-trust", "mission"}
