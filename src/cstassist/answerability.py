"""Does CST's guidance answer this question? Signals we can compute, and a small fitted model over them.

No reader model (cross-encoder, NLI, capable LLM) can run offline here, so the decision is built from
cheap, measurable signals of the top passages, each chosen to separate "a passage *states* it" from
"a passage is *about* it":

- how close the best passage and its best two-sentence window are to the question (cosines), and how
  far the best window stands out from the other candidates (a margin);
- how much of the question's IDF mass the best window, and the top passage, contain: a question
  whose rarest words are nowhere near the closest sentences is usually asking for a fact that is not
  there (a fee, a deadline, a named trust's results);
- words of the question that never occur in what the caller may search (out-of-vocabulary share), and
  capitalised names that do not occur at all.

A logistic regression over the standardised signals gives a probability that the top passages answer
the question; two thresholds turn it into the outcome: ``answer`` (quote the answer), ``related``
(no direct answer; show the closest guidance, framed as such) or ``none`` (nothing relevant). The
weights and thresholds ship as ``data/answerability.json``; ``evals/answerability.py`` fits them by
cross-validation on the gold set's dev split and reports the held-out split apart (evals/README.md).

>>> judge = Judge.default()
>>> verdict = judge.judge(query, passages, stats)
>>> verdict.outcome, round(verdict.probability, 2)
('answer', 0.93)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import numpy as np

from .documents import Passage
from .lexical import tokenize
from .scope import Scope, question_scope
from .text import question_terms, terms
from .windows import sentence_windows

Outcome = Literal["answer", "related", "none"]
OUTCOMES: tuple[Outcome, ...] = ("answer", "related", "none")
TOP = 5  # passages the signals look at
MODEL_FILE = "answerability.json"

# (visible passage count, {token: passages containing it}) for the caller's audiences
TermStats = Callable[[list[str]], tuple[int, dict[str, int]]]
Embed = Callable[[str], np.ndarray]  # a query's unit vector (the retrieval embedder's embed_query)

_ASKS_FIGURE = re.compile(
    r"\b(how (many|much|long|often|old)|what (percentage|proportion|share|number|date|year|time|age|amount|fee|rate|salary)|"
    r"when\b|which (year|date|month)|by when|deadline)",
    re.I,
)
_FIGURE = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|half|quarter|third|annual|annually|yearly|monthly|weekly|termly|january|february|"
    r"march|april|may|june|july|august|september|october|november|december)\b",
    re.I,
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|[.?!]")


def _pairs(query: str, keep: set[str]) -> list[tuple[str, str]]:
    """Adjacent content-word pairs of the query ("scheme delegation", "chief execut"): phrases, not bags."""
    seq = [t for t in tokenize([query])[0] if t in keep]
    return list(dict.fromkeys((a, b) for a, b in zip(seq, seq[1:]) if a != b))


def names(question: str) -> set[str]:
    """Capitalised words that do not start a sentence: names of trusts, people, bodies, places."""
    out, start = set(), True
    for w in _WORD.findall(question):
        if w in ".?!":
            start = True
            continue
        if not start and w[0].isupper() and w != "I":
            out.add(w)
        start = False
    return out


def idf(n: int, df: int) -> float:
    """BM25's IDF: rarer terms weigh more; a term absent from the corpus weighs most."""
    return math.log((n - df + 0.5) / (df + 0.5) + 1.0)


@dataclass(frozen=True)
class Signals:
    """What the answerability model reads. Every value is a plain float; names are the model's features."""

    values: dict[str, float]

    def vector(self, names: Sequence[str]) -> np.ndarray:
        return np.array([self.values[n] for n in names], dtype=np.float64)


def _windows_of(p: Passage) -> list[tuple[str, float]]:
    """The passage's sentence windows with their cosine to the query (the whole passage when none stored)."""
    texts = sentence_windows(p.text)
    if p.window_scores and len(texts) == len(p.window_scores):
        return list(zip(texts, p.window_scores))
    return [(p.text, p.similarity or 0.0)]


def without_terms(text: str, drop: set[str]) -> str:
    """``text`` with every word whose stem is in ``drop`` left out."""
    words = re.findall(r"\S+", text)
    stems = tokenize([re.sub(r"[^\w'’-]", " ", w) for w in words])
    return " ".join(w for w, st in zip(words, stems) if not (set(st) & drop))


def focus_drop(query: str, focus: set[str], passages: list[Passage], embed: Embed | None) -> float:
    """How much closer the best window of the top passage is to the question than to the question without its
    focus words (its rarest terms). A window that *states* the asked-for fact loses closeness when the words
    naming that fact are removed; a window merely on the topic ("the chief executive") does not notice that
    "salary" is gone. 0 when it cannot be measured (no embedder, no stored windows, nothing to remove)."""
    if embed is None or not focus or not passages or passages[0].window_vectors is None or not passages[0].window_scores:
        return 0.0
    reduced = without_terms(query, focus)
    if not reduced.strip() or reduced == query:
        return 0.0
    p = passages[0]
    i = int(np.argmax(p.window_scores))
    return float(p.window_scores[i] - float(p.window_vectors[i] @ embed(reduced)))


def compute_signals(
    query: str,
    question: str,
    passages: list[Passage],
    stats: TermStats,
    embed: Embed | None = None,
    known: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[Signals, dict[str, float]]:
    """The signals of the top passages for ``query`` (the resolved question) and the user's ``question``,
    and the IDF weight of each of the query's terms. ``embed`` (optional) enables ``focus_drop``."""
    top = passages[:TOP]
    q_terms = sorted(question_terms(query))
    n, df = stats(q_terms)
    weight = {t: idf(max(n, 1), df.get(t, 0)) for t in q_terms}
    mass = sum(weight.values()) or 1.0

    def idf_share(found: set[str]) -> float:
        return sum(w for t, w in weight.items() if t in found) / mass

    # each passage's windows, with their cosines and terms, split and tokenised once
    wins = [[(text, score, terms(text)) for text, score in _windows_of(p)] for p in top]
    cosines = [p.similarity or 0.0 for p in top]
    windows = [max((score for _, score, _ in ws), default=0.0) for ws in wins]
    best = int(np.argmax(windows)) if windows else 0
    in_corpus = [t for t in q_terms if df.get(t, 0) > 0]
    rare = sorted(in_corpus, key=lambda t: -weight[t])[:2]
    pairs = _pairs(query, set(q_terms))
    near = [found for ws in wins[:3] for _, _, found in ws]  # the windows of the top three passages

    # the passage retrieval ranks first is the one the answer quotes: its best window is what must state it
    lead_windows = [max(ws, key=lambda w: w[1]) for ws in wins[:3]]
    best_window_terms = lead_windows[0][2] if lead_windows else set()
    rare_window = max((sum(t in found for t in rare) / len(rare) for found in near), default=0.0) if rare else 0.0
    pair_window = (
        max((sum(a in found and b in found for a, b in pairs) / len(pairs) for found in near), default=0.0) if pairs else 0.0
    )
    top_ranks = top[0].ranks if top else {}
    name_terms = [terms(nm) for nm in names(question) if nm not in known]  # a glossary term is no unknown name
    _, name_df = stats(sorted({t for ts in name_terms for t in ts}))
    values = {
        "cosine": max(cosines, default=0.0),
        "window": max(windows, default=0.0),
        "window_gap": (windows[best] - float(np.mean([w for i, w in enumerate(windows) if i != best])))
        if len(windows) > 1
        else 0.0,
        "idf_window": idf_share(best_window_terms),
        "idf_top": idf_share(terms(f"{top[0].title} {top[0].section} {top[0].text}")) if top else 0.0,
        "rare_window": rare_window,
        "oov_share": (len(q_terms) - len(in_corpus)) / len(q_terms) if q_terms else 1.0,
        "pair_window": pair_window if pairs else 1.0,
        "focus_drop": focus_drop(query, set(sorted(q_terms, key=lambda t: -weight[t])[:1]), top, embed),
        "focus_drop2": focus_drop(query, set(sorted(q_terms, key=lambda t: -weight[t])[:2]), top, embed),
        "agree": float(top_ranks.get("dense", 99) <= 3 and top_ranks.get("lexical", 99) <= 3),
        "figure_missing": float(
            bool(_ASKS_FIGURE.search(question)) and not any(_FIGURE.search(text) for text, _, _ in lead_windows)
        ),
        "names_absent": float(min(3, sum(1 for ts in name_terms if ts and all(name_df.get(t, 0) == 0 for t in ts)))),
    }
    # how broad the question reads (cstassist.scope): broad questions are answered by passages that are about the
    # subject rather than by one close sentence, so the same closeness means more for them
    values["scope"] = question_scope(question, top, values, query=query).score
    return Signals(values), weight


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    probability: float
    signals: dict[str, float] = field(default_factory=dict)
    term_weights: dict[str, float] = field(default_factory=dict)  # IDF of each query term, for choosing the answer span
    scope: Scope | None = None  # one fact or broad (cstassist.scope); None: not judged, answered as one fact


@dataclass(frozen=True)
class Model:
    """Logistic regression over standardised signals, with the two outcome thresholds."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    answer_at: float
    related_at: float
    info: dict[str, Any] = field(default_factory=dict)

    def probability(self, signals: Signals) -> float:
        z = float(((signals.vector(self.features) - self.mean) / self.scale) @ self.weights + self.bias)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def outcome(self, probability: float) -> Outcome:
        if probability >= self.answer_at:
            return "answer"
        return "related" if probability >= self.related_at else "none"

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Model:
        return cls(
            features=tuple(raw["features"]),
            mean=np.array(raw["mean"], dtype=np.float64),
            scale=np.array(raw["scale"], dtype=np.float64),
            weights=np.array(raw["weights"], dtype=np.float64),
            bias=float(raw["bias"]),
            answer_at=float(raw["answer_at"]),
            related_at=float(raw["related_at"]),
            info=dict(raw.get("info", {})),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "weights": [round(float(x), 6) for x in self.weights],
            "bias": round(self.bias, 6),
            "answer_at": round(self.answer_at, 4),
            "related_at": round(self.related_at, 4),
            "info": self.info,
        }

    @classmethod
    def bundled(cls) -> Model:
        """The model shipped with the package (``cstassist/data/answerability.json``)."""
        raw = resources.files("cstassist").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
        return cls.from_dict(json.loads(raw))


class Judge:
    """Turns the top passages for a question into a :class:`Verdict`."""

    def __init__(self, model: Model, broad_at: float = 1.01) -> None:
        self.model = model
        self.broad_at = broad_at  # above 1: every question is answered as one fact

    @classmethod
    def default(cls) -> Judge:
        return cls(Model.bundled())

    def judge(
        self,
        query: str,
        question: str,
        passages: list[Passage],
        stats: TermStats,
        embed: Embed | None = None,
        every_signal: bool = False,
        known: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> Verdict:
        """The outcome for these passages. ``embed`` is used only when the model reads a signal that needs it
        (each costs a query embedding), or for ``every_signal`` (the evaluation records them all for fitting)."""
        if not passages:
            return Verdict("none", 0.0, {})
        needs_embed = every_signal or any(f.startswith("focus_drop") for f in self.model.features)
        signals, weights = compute_signals(query, question, passages, stats, embed if needs_embed else None, known)
        p = self.model.probability(signals)
        scope = question_scope(question, passages[:TOP], signals.values, self.broad_at, query)
        return Verdict(self.model.outcome(p), p, signals.values, weights, scope)
