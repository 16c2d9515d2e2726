"""The corpus manifest (``manifest.yaml`` beside the documents): facts staff record about each file.

```yaml
documents:
  - file: what-is-a-strong-trust-2022.md     # path relative to the folder holding manifest.yaml
    title: "What is a strong trust?"          # optional: else the first heading, else the file name
    kind: discussion paper                    # optional, default "document"
    published: 2022-02                        # optional: YYYY, YYYY-MM or YYYY-MM-DD
    author: Leora Cruddas CBE                 # optional
    url: https://cstuk.org.uk/...             # optional
    audience: public                          # public (default) or members
    id: strong-trust                          # optional stable document id, default from the path
    superseded_by: strong-trust-2025.md       # optional: the file (or id) in this manifest that replaces it
    layout: listing                           # optional: the file lists independent items (see below)
```

``layout: listing`` marks a file whose paragraphs are independent items (a policy library listing paper
after paper under a few headings): each item becomes its own passage, and is cited under a heading only
when it names that heading, otherwise by the document alone, so no item is cited under an unrelated
heading that happens to sit above it.

A superseded document stays searchable, but ranks below its replacement, and answers quoting it say
so and name the newer one, to callers who may see the newer one: a public paper replaced by a members-only
one says nothing of its replacement to anonymous callers (ingest warns about it), so the members paper's
title and id never reach them.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .documents import AUDIENCES, DocumentMeta, published_ord
from .errors import BadRequest

log = logging.getLogger(__name__)
MANIFEST_NAME = "manifest.yaml"
_FIELDS = {"file", "title", "kind", "published", "author", "url", "audience", "id", "superseded_by", "layout"}
LAYOUTS = ("prose", "listing")


@dataclass(frozen=True)
class ManifestEntry:
    fields: dict[str, Any]

    @property
    def fingerprint(self) -> str:
        return json.dumps(self.fields, sort_keys=True, default=str)


def load_manifest(folder: Path) -> dict[str, ManifestEntry]:
    """Entries keyed by relative path; an invalid manifest raises ``BadRequest`` naming the problem."""
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BadRequest(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    docs = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(docs, list):
        raise BadRequest(f"{path}: expected a top-level 'documents:' list")
    out: dict[str, ManifestEntry] = {}
    for i, entry in enumerate(docs):
        where = f"{path}: entry {i + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise BadRequest(f"{where}: each entry needs a 'file:'")
        unknown = set(entry) - _FIELDS
        if unknown:
            raise BadRequest(f"{where} ({entry['file']}): unknown field(s) {', '.join(sorted(unknown))}")
        audience = entry.get("audience", "public")
        if audience not in AUDIENCES:
            raise BadRequest(f"{where} ({entry['file']}): audience must be 'public' or 'members', not {audience!r}")
        if entry.get("layout", "prose") not in LAYOUTS:
            raise BadRequest(f"{where} ({entry['file']}): layout must be 'prose' or 'listing', not {str(entry['layout'])[:40]!r}")
        if entry.get("published") is not None and published_ord(str(entry["published"])) == 0:
            raise BadRequest(f"{where} ({entry['file']}): published must look like 2022, 2022-02 or 2022-02-01")
        out[entry["file"]] = ManifestEntry({k: (str(v) if k == "published" else v) for k, v in entry.items()})
    return _resolve_superseded(out, path)


def _resolve_superseded(entries: dict[str, ManifestEntry], path: Path) -> dict[str, ManifestEntry]:
    """Each ``superseded_by`` resolved to the newer document's id and title (both part of the older entry's
    fingerprint, so a renamed replacement re-labels the older document's passages on the next ingest)."""
    by_name = {name: e for name, e in entries.items()}
    by_name.update({str(e.fields["id"]): e for e in entries.values() if e.fields.get("id")})
    out = {}
    for name, entry in entries.items():
        target = entry.fields.get("superseded_by")
        if target is None:
            out[name] = entry
            continue
        newer = by_name.get(str(target))
        if newer is None or newer is entry:
            raise BadRequest(f"{path} ({name}): superseded_by {str(target)[:100]!r} is not another file or id in this manifest")
        newer_name = newer.fields["file"]
        newer_title = newer.fields.get("title") or Path(newer_name).stem.replace("-", " ").replace("_", " ").capitalize()
        fields = dict(entry.fields)
        fields["superseded_by"] = str(newer.fields.get("id") or default_document_id(newer_name))
        fields["superseded_by_title"] = str(newer_title)
        fields["superseded_by_audience"] = str(newer.fields.get("audience", "public"))
        if fields["superseded_by_audience"] != entry.fields.get("audience", "public"):
            log.warning(
                "%s: superseded by %s, which is %s-only: callers who may not see it are not told %s is superseded",
                name,
                newer_name,
                fields["superseded_by_audience"],
                name,
            )
        out[name] = ManifestEntry(fields)
    return out


def default_document_id(relative: str) -> str:
    stem = relative.rsplit(".", 1)[0] if "." in Path(relative).name else relative
    slug = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-").lower()
    return slug or "document"


def document_meta(relative: str, entry: ManifestEntry | None, inferred_title: str | None) -> DocumentMeta:
    """Metadata for a file: the manifest's facts, else what can be inferred (audience defaults to public)."""
    f = entry.fields if entry else {}
    title = f.get("title") or inferred_title or Path(relative).stem.replace("-", " ").replace("_", " ").strip().capitalize()
    return DocumentMeta(
        document_id=str(f.get("id") or default_document_id(relative)),
        title=str(title),
        source=relative,
        kind=str(f.get("kind") or "document"),
        published=f.get("published"),
        author=f.get("author"),
        url=f.get("url"),
        audience=f.get("audience", "public"),
        superseded_by=f.get("superseded_by"),
        superseded_by_title=f.get("superseded_by_title"),
        superseded_by_audience=f.get("superseded_by_audience"),
    )


def write_manifest(folder: Path, entries: list[dict[str, Any]]) -> Path:
    """Write ``manifest.yaml`` in ``folder`` listing ``entries`` (each with ``file:``), atomically; returns its path.

    ``load_manifest`` reads back what this writes; fields outside the manifest's own are refused before anything is
    written."""
    for entry in entries:
        unknown = set(entry) - _FIELDS
        if unknown or not isinstance(entry.get("file"), str):
            raise BadRequest(f"manifest entry {str(entry.get('file'))[:80]}: unknown field(s) {', '.join(sorted(unknown))}")
    path = folder / MANIFEST_NAME
    tmp = path.with_name(f".{MANIFEST_NAME}.tmp")
    tmp.write_text(
        "# written by the staff console (cstassist.staff); edit papers there\n"
        + yaml.safe_dump({"documents": entries}, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    tmp.replace(path)
    return path
