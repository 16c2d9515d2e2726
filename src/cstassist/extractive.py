"""Extractive answers: the answer-bearing span of the best passage, quoted in the document's own words.

The answer is the sentence window (``cstassist.windows``) that best answers the question: closest to it
by cosine, and holding the most of the question's IDF mass. It is widened only as far as it needs to
read on its own: a sentence that opens with a reference ("This", "These", "However") brings the one
before it; a sentence that introduces a list (ends with ":") brings the list's items; a list item
brings its list's introduction; and the adjacent sentence that holds more of the question's words comes
too. Sentences stay in document order. A second passage is quoted only
when it comes from another document and adds question terms the first span lacks (questions that two
papers answer together) — never a collage of loosely related sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .documents import Passage
from .injection import is_instruction
from .text import sentences, terms
from .windows import WINDOW_SENTENCES, starts_of

LEXICAL_WEIGHT = 2.0  # window score = its cosine + this x the share of the question's IDF mass it holds
SECOND_SPAN_MARGIN = 0.1  # a second document's span must score within this of the first
MAX_SPAN_CHARS = 900
MAX_LIST_ITEMS = 12
_REFERS_BACK = re.compile(
    r"^(this|these|that|those|it|its|they|their|them|such|however|but|and|so|also|here|there|he|she|both|each|"
    r"in (this|that|these|those|doing so|turn|addition|particular)|for (this|that|these) reason|as a result|"
    r"instead|otherwise|similarly|likewise|again|then|further|furthermore|moreover|thus|therefore|hence)\b",
    re.I,
)
_LIST_ITEM = re.compile(r"^(-|•|\*|\d{1,2}[.)])\s")


def is_list_item(sentence: str) -> bool:
    return bool(_LIST_ITEM.match(sentence))


@dataclass(frozen=True)
class Span:
    """A run of a passage's sentences (``start`` to ``end``, exclusive), with what chose it."""

    passage: Passage
    start: int
    end: int
    text: str
    score: float
    found: frozenset[str]  # the question terms the span holds


def _idf_share(text_terms: set[str], weights: dict[str, float]) -> float:
    mass = sum(weights.values()) or 1.0
    return sum(w for t, w in weights.items() if t in text_terms) / mass


def _norm(sentence: str) -> str:
    return " ".join(sentence.split())


class Said:
    """What a previous answer said, to be left out of a follow-up's: a sentence counts as said when the previous
    answer holds it, whatever framed it there (a quote in a related reply, a key point's label)."""

    def __init__(self, avoid: Iterable[str] = ()) -> None:
        self.sentences = {_norm(s) for s in avoid if s.strip()}
        self._blob = "\n".join(self.sentences)
        self._size = sum(len(x) for x in self.sentences)

    def __contains__(self, sentence: object) -> bool:
        n = _norm(str(sentence))
        return bool(n) and (n in self.sentences or n in self._blob)

    def __bool__(self) -> bool:
        return bool(self.sentences)

    def whole(self, texts: Iterable[str]) -> bool:
        """``texts`` (said sentences) make up (nearly) all of the previous answer."""
        return sum(len(_norm(t)) for t in texts) >= 0.8 * self._size


def usable_sentences(sents: list[str]) -> list[bool]:
    """For each sentence, whether it may be quoted (not an instruction, not a removed hidden text)."""
    return [not is_instruction(s) and s.strip() != "[text removed]" for s in sents]


def _widen(sents: list[str], start: int, end: int, usable: list[bool]) -> tuple[int, int]:
    """Grow [start, end) until it reads on its own: its antecedent, its list's introduction and items."""
    if is_list_item(sents[start]):  # a list item brings the sentence that introduces the list
        for i in range(start - 1, max(-1, start - MAX_LIST_ITEMS - 1), -1):
            if not is_list_item(sents[i]):
                if sents[i].rstrip().endswith(":"):
                    start = i
                break
    elif start > 0 and _REFERS_BACK.match(sents[start]) and usable[start - 1]:
        start -= 1
    if any(s.rstrip().endswith(":") for s in sents[start:end]) or (end > start and is_list_item(sents[end - 1])):
        while end < len(sents) and is_list_item(sents[end]) and end - start < MAX_LIST_ITEMS + WINDOW_SENTENCES:
            end += 1
    return start, end


def _with_neighbour(sents: list[str], start: int, end: int, usable: list[bool], weights: dict[str, float]) -> tuple[int, int]:
    """Add the adjacent sentence (before or after) that holds more of the question's words, if either holds any:
    an answer often runs one sentence past the window that found it (measured: evidence in the answer text
    0.670 -> 0.698 of answered dev questions, for about 80 more characters)."""
    before = _idf_share(terms(sents[start - 1]), weights) if start > 0 and usable[start - 1] else 0.0
    after = _idf_share(terms(sents[end]), weights) if end < len(sents) and usable[end] else 0.0
    if after > 0 and after >= before:
        return start, end + 1
    if before > 0:
        return start - 1, end
    return start, end


def _candidates(p: Passage, sents: list[str], weights: dict[str, float], focus: set[str]) -> list[tuple[float, int, int]]:
    """(score, start, end) of every window of the passage (split into ``sents``), best first."""
    if not sents:
        return []
    starts = starts_of(len(sents))
    scores = p.window_scores if len(p.window_scores) == len(starts) else None
    if scores is None:  # a passage stored without windows: score each sentence on its own words
        starts, width = list(range(len(sents))), 1
    else:
        width = WINDOW_SENTENCES
    out = []
    for i, s in enumerate(starts):
        found = terms(" ".join(sents[s : s + width]))
        lexical = _idf_share(found, weights) + (len(found & focus) / len(focus) if focus else 0.0)
        cosine = scores[i] if scores is not None else (p.similarity or 0.0)
        out.append((cosine + LEXICAL_WEIGHT * lexical, s, min(len(sents), s + width)))
    return sorted(out, key=lambda c: -c[0])


def best_span(
    p: Passage,
    weights: dict[str, float],
    focus: set[str] = frozenset(),
    avoid: Iterable[str] = (),  # type: ignore[assignment]
) -> Span | None:
    """The passage's best answer span. Sentences already said (``avoid``: the previous answer's) are left out,
    except the one(s) closest to the follow-up's own words (``focus``); a span that would only repeat the whole
    previous answer is passed over."""
    sents = sentences(p.text)
    usable = usable_sentences(sents)
    said = avoid if isinstance(avoid, Said) else Said(avoid)
    for score, s, e in _candidates(p, sents, weights, focus):
        s, e = _with_neighbour(sents, *_widen(sents, s, e, usable), usable, weights)
        # a follow-up's answer leaves out what the previous answer already said (it is still on screen), except a
        # sentence that holds the follow-up's own words (the answer may have been given in passing), and never
        # repeats the whole previous answer
        new = [i for i in range(s, e) if usable[i] and _norm(sents[i]) not in said]
        overlap = {i: len(focus & terms(sents[i])) for i in range(s, e) if usable[i] and _norm(sents[i]) in said}
        most = max(overlap.values(), default=0)
        again = [i for i, n in overlap.items() if n and n == most]  # the said sentence(s) closest to the follow-up
        keep = sorted(new + again)
        if not keep or (not new and said.whole(sents[i] for i in again)):
            continue
        text = _join([sents[i] for i in keep])
        if len(text) > MAX_SPAN_CHARS:
            text = text[:MAX_SPAN_CHARS].rsplit(" ", 1)[0] + " …"
        return Span(p, s, e, text, score, frozenset(terms(text) & set(weights)))
    return None


def answer_spans(
    passages: list[Passage],
    weights: dict[str, float],
    focus: set[str] = frozenset(),  # type: ignore[assignment]
    avoid: Iterable[str] = (),
) -> list[Span]:
    """The span of the best passage, and a second document's span when it adds what the first lacks."""
    avoid = list(avoid)
    spans = [s for s in (best_span(p, weights, focus, avoid) for p in passages) if s is not None]
    if not spans:
        return []
    # retrieval's ranking (fused dense, window and BM25 scores) knows best which passage answers: the answer
    # is the top passage's span; a later one is added when it scores nearly as well and brings question terms
    # the first lacks (two papers answering together), or outscores it
    first = spans[0]
    chosen = [first]
    for s in sorted(spans[1:], key=lambda s: -s.score):
        adds = s.found - first.found
        if s.score > first.score + SECOND_SPAN_MARGIN or (
            s.passage.document_id != first.passage.document_id
            and s.score >= first.score - SECOND_SPAN_MARGIN
            and adds
            and _idf_share(set(adds), weights) >= 0.1
        ):
            chosen.append(s)
        break
    return chosen


def sentences_of(text: str) -> list[str]:
    """An answer's sentences without their ``[n]`` markers (what ``avoid`` compares)."""
    return [re.sub(r"\s*\[\d+\]", "", s).strip() for s in sentences(text)]


def _join(parts: list[str]) -> str:
    """Sentences as prose, list items on their own lines."""
    text = ""
    for part in parts:
        if is_list_item(part):
            text += "\n" + part
        elif text.endswith(tuple(".?!:;”\"')")) and "\n" in text[-200:] and is_list_item(text.rsplit("\n", 1)[-1]):
            text += "\n" + part
        else:
            text += (" " if text else "") + part
    return text.strip()
