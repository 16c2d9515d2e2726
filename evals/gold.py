"""The gold set: test questions with the documents and evidence strings that answer them.

The format is described in ``evals/data/FORMAT.md``; ``evals/data/check_gold.py`` checks a file
against the corpus. Here it is only read, and turned into *targets*: one per document an answerable
question needs, each with the evidence strings of which a passage must contain at least one.

>>> items = load_gold(DEFAULT_GOLD)
>>> items[0].targets[0].matches("what-is-a-strong-trust-2022", "... We think our 'best bet' is the School Trust because ...")
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_GOLD = DATA_DIR / "gold.jsonl"
KINDS = ("answerable", "unanswerable", "broad")
SPLITS = ("dev", "heldout")


class GoldError(ValueError):
    """The gold file cannot be used (bad JSON, a missing field, a dangling follow-up)."""


def normalize(text: str) -> str:
    """Whitespace collapsed and lower-cased: how evidence is compared with passages and answers."""
    return " ".join(text.split()).lower()


@dataclass(frozen=True)
class Target:
    """One document an answer needs, and the evidence strings (any one suffices) that show it."""

    document_id: str
    evidence: tuple[str, ...]

    def matches(self, document_id: str, text: str) -> bool:
        """True when a passage from ``document_id`` with this ``text`` carries the evidence."""
        if document_id != self.document_id:
            return False
        haystack = normalize(text)
        return any(normalize(e) in haystack for e in self.evidence)

    def found_in(self, text: str) -> bool:
        """The evidence appears in ``text`` (an answer), whatever document it came from."""
        haystack = normalize(text)
        return any(normalize(e) in haystack for e in self.evidence)


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    kind: str
    documents: tuple[str, ...]
    evidence: tuple[str, ...]
    follow_up_of: str | None = None
    split: str = "dev"  # "dev" (fitting and tuning) or "heldout" (reported apart, never fitted on)
    category: str | None = None  # unanswerable items: off-topic, uncovered or near-miss
    absent: tuple[str, ...] = ()  # unanswerable items: key terms an answer would need (checked absent)
    # broad items: the points CST's papers make in answer, each as alternative phrases (any one states it)
    key_points: tuple[tuple[str, ...], ...] = ()

    @property
    def broad(self) -> bool:
        return self.kind == "broad"

    def points_stated(self, text: str) -> list[bool]:
        """For each key point, whether ``text`` (an answer without its ``[n]`` markers) states one of its phrases,
        compared as evidence is (whitespace collapsed, case ignored)."""
        haystack = normalize(text)
        return [any(normalize(a) in haystack for a in alts) for alts in self.key_points]

    @property
    def answerable(self) -> bool:
        return self.kind == "answerable"

    @property
    def targets(self) -> tuple[Target, ...]:
        """Single-document items: one target with every evidence string as an alternative.
        Multi-document items: one target per document with its own evidence string (same order)."""
        if not self.answerable:
            return ()
        if len(self.documents) > 1 and len(self.evidence) == len(self.documents):
            return tuple(Target(d, (e,)) for d, e in zip(self.documents, self.evidence))
        return tuple(Target(d, self.evidence) for d in self.documents)

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "question": self.question,
            "kind": self.kind,
            "documents": list(self.documents),
            "evidence": list(self.evidence),
            "follow_up_of": self.follow_up_of,
            "split": self.split,
            "category": self.category,
            "absent": list(self.absent),
            **({"key_points": [list(k) for k in self.key_points]} if self.broad else {}),
        }


def load_gold(path: Path = DEFAULT_GOLD) -> list[GoldItem]:
    """Read a gold JSONL file; raises ``GoldError`` naming the line of the first problem."""
    items: list[GoldItem] = []
    seen: dict[str, GoldItem] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise GoldError(f"cannot read the gold set {path}: {exc.strerror}") from exc
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            item = GoldItem(
                id=str(raw["id"]),
                question=str(raw["question"]),
                kind=str(raw["kind"]),
                documents=tuple(raw.get("documents") or ()),
                evidence=tuple(raw.get("evidence") or ()),
                follow_up_of=raw.get("follow_up_of"),
                split=str(raw.get("split") or "dev"),
                category=raw.get("category"),
                absent=tuple(raw.get("absent") or ()),
                key_points=tuple(tuple(str(a) for a in k) for k in raw.get("key_points") or ()),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise GoldError(f"{path}:{lineno}: not a gold item ({exc})") from exc
        if item.kind not in KINDS:
            raise GoldError(f"{path}:{lineno}: kind must be one of {', '.join(KINDS)}")
        if item.split not in SPLITS:
            raise GoldError(f"{path}:{lineno}: split must be one of {', '.join(SPLITS)}")
        if item.id in seen:
            raise GoldError(f"{path}:{lineno}: duplicate id {item.id!r}")
        if item.answerable and (not item.documents or not item.evidence):
            raise GoldError(f"{path}:{lineno}: answerable item {item.id!r} needs documents and evidence")
        if item.broad and not item.key_points:
            raise GoldError(f"{path}:{lineno}: broad item {item.id!r} needs key_points")
        if item.follow_up_of is not None and item.follow_up_of not in seen:
            raise GoldError(f"{path}:{lineno}: {item.id!r} follows {item.follow_up_of!r}, which is not earlier in the file")
        seen[item.id] = item
        items.append(item)
    if not items:
        raise GoldError(f"{path}: no gold items")
    return items
