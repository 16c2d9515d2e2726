"""The corpus manifest: superseded documents resolved to their replacement, layouts checked."""

from __future__ import annotations

import pytest

from cstassist.errors import BadRequest
from cstassist.manifest import document_meta, load_manifest


def write(folder, text: str):  # type: ignore[no-untyped-def]
    (folder / "manifest.yaml").write_text(text, encoding="utf-8")
    return folder


def test_superseded_by_names_the_replacements_id_and_title(tmp_path):
    write(
        tmp_path,
        "documents:\n"
        "  - file: old.md\n    title: Old guidance\n    superseded_by: new.md\n"
        "  - file: new.md\n    title: New guidance\n    id: guidance-2025\n",
    )
    entries = load_manifest(tmp_path)
    meta = document_meta("old.md", entries["old.md"], None)
    assert (meta.superseded_by, meta.superseded_by_title) == ("guidance-2025", "New guidance")
    assert document_meta("new.md", entries["new.md"], None).superseded_by is None


def test_renaming_the_replacement_changes_the_older_entrys_fingerprint(tmp_path):
    base = "documents:\n  - file: old.md\n    superseded_by: new.md\n  - file: new.md\n    title: {}\n"
    first = load_manifest(write(tmp_path, base.format("New guidance")))["old.md"].fingerprint
    second = load_manifest(write(tmp_path, base.format("Newer guidance")))["old.md"].fingerprint
    assert first != second  # so the next ingest re-labels the older document's passages


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("  - file: old.md\n    superseded_by: missing.md\n", "superseded_by 'missing.md' is not another file"),
        ("  - file: old.md\n    superseded_by: old.md\n", "is not another file"),
        ("  - file: old.md\n    layout: table\n", "layout must be 'prose' or 'listing'"),
    ],
)
def test_a_bad_superseded_by_or_layout_is_refused_with_the_reason(tmp_path, entries, message):
    write(tmp_path, "documents:\n" + entries)
    with pytest.raises(BadRequest, match=message):
        load_manifest(tmp_path)
