"""Words members use: a staff-edited glossary, and the acronyms the papers define themselves, expand queries.

A member asks "How do we run our AGM?"; the paper says "members' annual meeting". Neither BM25 nor the
embedder links the two, so the query is searched with the glossary's other names for what it mentions:

    How do we run our AGM? (annual general meeting; members' annual meeting)

Two sources, both data, never lists in code:

- ``glossary.yaml`` in the corpus folder (``Settings.glossary_file``), edited by staff; each entry is a group of
  terms that mean the same thing::

      synonyms:
        - [AGM, annual general meeting, members' annual meeting]
        - [MAT, multi-academy trust]

- acronyms a paper defines itself, "multi-academy trusts (MATs)", "National Teacher Accreditation (NTA)": learned
  from the indexed passages (``learn``), separately for each audience, so that an anonymous caller's query is never
  expanded with a definition only a members-only paper gives.

An acronym (a term written in capitals) matches only as written, in capitals; other terms match case-insensitively
on word boundaries. The expansion is added once, in brackets, and only with terms the query does not already hold.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

GLOSSARY_NAME = "glossary.yaml"
_DEFINED = re.compile(r"((?:[A-Za-z][\w'’]*[\s-]+){1,8}?)\(([A-Z]{2,6})s?\)")
_SMALL = {"of", "the", "and", "for", "in", "on", "to", "a", "an", "&"}
MAX_EXPANSION_CHARS = 300
Frequency = Callable[[str], int]  # a term -> the number of searchable passages that hold all its words


class GlossaryError(ValueError):
    """The glossary file cannot be used: the message names the file and the reason."""


def _is_acronym(term: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][A-Z0-9&]{1,7}s?", term))


def _pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[\s-]+", term.strip()) if w]
    body = r"[\s-]+".join(words).replace("’", "['’]").replace("'", "['’]")
    if _is_acronym(term):
        return re.compile(rf"(?<![A-Za-z0-9]){body}s?(?![A-Za-z0-9])")
    return re.compile(rf"(?<![\w]){body}(s|es)?(?![\w])", re.I)


@dataclass
class Glossary:
    """Groups of terms that mean the same; ``expand`` adds a query's other names for what it mentions."""

    groups: list[tuple[str, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._patterns = [[(t, _pattern(t)) for t in g] for g in self.groups]

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """The staff glossary at ``path``; an empty one when there is no file."""
        if not path.is_file():
            return cls()
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise GlossaryError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
        entries = raw.get("synonyms") if isinstance(raw, dict) else None
        if not isinstance(entries, list):
            raise GlossaryError(f"{path}: expected a 'synonyms:' list of term groups")
        groups = []
        for i, entry in enumerate(entries, 1):
            if not isinstance(entry, list) or len(entry) < 2 or not all(isinstance(t, str) and t.strip() for t in entry):
                raise GlossaryError(f"{path}: synonyms entry {i} must be a list of at least two terms")
            groups.append(tuple(" ".join(t.split()) for t in entry))
        return cls(groups)

    def merged(self, other: Glossary) -> Glossary:
        return Glossary(self.groups + other.groups)

    def expand(self, query: str, frequency: Frequency | None = None) -> str:
        return self.expansion(query, frequency)[0]

    def expansion(self, query: str, frequency: Frequency | None = None) -> tuple[str, set[str]]:
        """``query`` with, in brackets, the other terms of every group it mentions (none: ``query`` itself).

        With ``frequency`` (a term -> how many searchable passages hold it), a group is used only when the
        passages call the thing by another of its names more often than by the one the query used: "AGM" (in no
        paper) is expanded to "members' annual meeting", but "CST" (in every paper) is not expanded to
        "Confederation of School Trusts", which would only blur the query. Also returns the terms of the query
        that were explained this way (an acronym the papers never use is then not an unknown name)."""
        extra: list[str] = []
        explained: set[str] = set()
        for group in self._patterns:
            used = [t for t, p in group if p.search(query)]
            if not used:
                continue
            others = [t for t, _ in group if t not in used]
            if frequency is not None and max(map(frequency, used)) >= max(map(frequency, others), default=0):
                continue
            extra += [t for t in others if t not in extra]
            explained.update(used)
        if not extra:
            return query, explained
        added = "; ".join(extra)
        if len(added) > MAX_EXPANSION_CHARS:
            added = added[:MAX_EXPANSION_CHARS].rsplit(";", 1)[0]
        return f"{query} ({added})", explained


def _initials(words: list[str]) -> str:
    return "".join(w[0] for w in words if w.lower() not in _SMALL).upper()


def defined_acronyms(text: str) -> dict[str, str]:
    """Acronyms ``text`` defines, "long form (ACRONYM)", where the acronym is the long form's initials
    (small words such as "of" may be skipped; a hyphen starts a word): {"MAT": "multi-academy trusts"}."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        acronym, words = m.group(2), m.group(1).split()
        for n in range(1, len(words) + 1):
            tail = words[-n:]
            parts = [p for w in tail for p in re.split(r"-", w) if p]
            if tail[0].lower() in _SMALL:
                continue
            if _initials(parts) == acronym:
                out.setdefault(acronym, " ".join(tail))
                break
    return out


def learn(texts: Iterable[str]) -> Glossary:
    """The acronyms the passages ``texts`` define, as a glossary (one group per acronym)."""
    found: dict[str, str] = {}
    for text in texts:
        for acronym, long in defined_acronyms(text).items():
            found.setdefault(acronym, long)
    return Glossary([(a, long) for a, long in sorted(found.items())])


ACRONYMS_FILE = "acronyms.json"  # in the data directory: the acronyms learned at ingest, per audience
LEARN_ON_OPEN_MAX = 5000  # an index without a current acronyms file is read at start-up only up to this size
PAGE = 2000


def learn_index(store) -> dict[str, Glossary]:  # type: ignore[no-untyped-def]
    """The acronyms each audience's passages define, read page by page (texts only)."""
    learned = {}
    for audience, collection in store.collections.items():
        found: dict[str, str] = {}
        offset = 0
        while True:
            got = collection.get(limit=PAGE, offset=offset, include=["documents"])
            if not got["ids"]:
                break
            for text in got["documents"]:
                for acronym, long in defined_acronyms(text or "").items():
                    found.setdefault(acronym, long)
            offset += len(got["ids"])
        learned[audience] = Glossary(sorted(found.items()))
    return learned


def save_learned(store, data_dir: Path, generation: int) -> None:  # type: ignore[no-untyped-def]
    """Learn the index's acronyms and keep them in ``data_dir`` stamped with ``generation`` (the end of an ingest)."""
    learned = {a: [list(g) for g in glossary.groups] for a, glossary in learn_index(store).items()}
    target = data_dir / ACRONYMS_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"generation": generation, "acronyms": learned}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)


def load_learned(data_dir: Path, generation: int) -> dict[str, Glossary] | None:
    """The acronyms saved for ``generation``; None when there is no such file, or it is for another generation."""
    try:
        raw = json.loads((data_dir / ACRONYMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict) or raw.get("generation") != generation:
        return None
    return {a: Glossary([tuple(g) for g in groups]) for a, groups in (raw.get("acronyms") or {}).items()}


class Vocabulary:
    """The staff glossary and each audience's learned acronyms, kept current with the index generation.

    ``expand(query, audiences, generation)`` uses the staff glossary and the acronyms learned from the collections
    of ``audiences`` only. When the generation moves on, the staff file is re-read and the acronyms are taken from
    the data directory, where ingest saves them (``save_learned``); a small index without that file (up to
    ``LEARN_ON_OPEN_MAX`` passages) is read instead, a large one goes without until its next ingest, so that a
    start-up never reads every passage of a large index."""

    def __init__(self, path: Path, store, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
        self.path = path
        self.store = store
        self.data_dir = data_dir
        self._at: int | None = None
        self._staff = Glossary()
        self._learned: dict[str, Glossary] = {}
        self._merged: dict[tuple[str, ...], Glossary] = {}

    def _refresh(self, gen: int) -> None:
        if gen == self._at:
            return
        try:
            staff = Glossary.load(self.path)
        except GlossaryError as exc:
            log.warning("glossary not used: %s", exc)
            staff = Glossary()
        learned = load_learned(self.data_dir, gen)
        if learned is None:
            if self.store.count() <= LEARN_ON_OPEN_MAX:
                learned = learn_index(self.store)
            else:
                log.warning(
                    "no acronyms saved for index generation %s; the papers' own acronyms apply after the next ingest", gen
                )
                learned = {}
        self._staff, self._learned, self._merged, self._at = staff, learned, {}, gen

    def glossary(self, audiences: Iterable[str], generation: int) -> Glossary:
        """The staff glossary with the acronyms learned from ``audiences``' passages (made once per generation)."""
        self._refresh(generation)
        key = tuple(sorted(set(audiences)))
        if key not in self._merged:
            out = self._staff
            for audience in key:
                if audience in self._learned:
                    out = out.merged(self._learned[audience])
            self._merged[key] = out
        return self._merged[key]

    def expand(
        self, query: str, audiences: Iterable[str], generation: int, frequency: Frequency | None = None
    ) -> tuple[str, set[str]]:
        """``query`` expanded for a caller of ``audiences``, and the terms of it that the expansion explains."""
        return self.glossary(audiences, generation).expansion(query, frequency)
