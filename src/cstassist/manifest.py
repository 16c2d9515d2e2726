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
```
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .documents import AUDIENCES, DocumentMeta, published_ord
from .errors import BadRequest

MANIFEST_NAME = "manifest.yaml"
_FIELDS = {"file", "title", "kind", "published", "author", "url", "audience", "id"}


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
        if entry.get("published") is not None and published_ord(str(entry["published"])) == 0:
            raise BadRequest(f"{where} ({entry['file']}): published must look like 2022, 2022-02 or 2022-02-01")
        out[entry["file"]] = ManifestEntry({k: (str(v) if k == "published" else v) for k, v in entry.items()})
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
    )
