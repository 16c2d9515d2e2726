"""The composer's constants against key-point recall on the broad gold items, retrieval done once.

For every broad item of a split the passages, verdict and lead span are computed once; then the composed answer is
rebuilt for each setting and scored like the harness scores it (key-point recall, strict on the answer text). The
outcome is ignored (a broad item judged ``related`` is composed anyway), so this isolates the composer. Reproduces
the "Composition alone" figures in evals/README.md "Broad questions":

    python -m cstassist.evals.composition --split dev            # the grid over lambda, lexical weight, prior, floor
    python -m cstassist.evals.composition --split dev --curves   # words budget, points, passages, lead words
"""

from __future__ import annotations

import argparse
import itertools
import sys
from typing import Any

from cstassist import composer
from cstassist.answering import composed_answer
from cstassist.filters import Filters
from cstassist.settings import Settings

from .gold import load_gold
from .metrics import half_stated, key_point_recall, strip_markers

SHIPPED = {
    name: getattr(composer, name) for name in ("MMR_LAMBDA", "POINT_LEXICAL", "PASSAGE_PRIOR", "RELEVANCE_FLOOR", "LEAD_WORDS")
}


def prepare(split: str) -> tuple[Any, list[tuple[Any, list[Any], Any, list[Any]]]]:
    from .harness import open_assistant

    assistant = open_assistant(Settings())
    flt = Filters.from_request(None, ("public", "members"))
    cases = []
    for item in (i for i in load_gold() if i.broad and i.split == split):
        query, known = assistant.expand_query(item.question, flt)
        passages = assistant.retriever.search(query, 10, flt, None)
        verdict = assistant.verdict(item.question, query, passages[:5], flt, known=known)
        cases.append((item, passages, verdict, assistant.answerer.spans(item.question, query, passages, verdict, None)))
    return assistant, cases


def score(
    assistant: Any, cases: list[Any], words: int = 180, points: int = 6, passages: int = 8, **constants: float
) -> tuple[float, float]:
    """(mean key-point recall, share with half the points) with the composer's constants set to ``constants``."""
    for name, value in {**SHIPPED, **constants}.items():
        setattr(composer, name, value)
    outline = assistant.outline
    recall, half = [], []
    for item, ps, verdict, spans in cases:
        composed = (
            composer.compose(
                spans[0], ps[:passages], verdict.term_weights, words, points, (), outline.headings, outline.next_chunk
            )
            if spans
            else None
        )
        text = composed_answer(item.question, composed, verdict).text if composed else (spans[0].text if spans else "")
        stated = item.points_stated(strip_markers(text))
        recall.append(key_point_recall(stated))
        half.append(half_stated(stated))
    for name, value in SHIPPED.items():
        setattr(composer, name, value)
    return sum(recall) / len(recall), sum(half) / len(half)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="dev", choices=("dev", "heldout"))
    ap.add_argument("--curves", action="store_true", help="one setting at a time instead of the constants' grid")
    args = ap.parse_args(argv)
    assistant, cases = prepare(args.split)
    print(f"{len(cases)} broad {args.split} items")
    if args.curves:
        rows: list[tuple[str, dict[str, Any]]] = [(f"words {w}", {"words": w}) for w in (100, 140, 180, 220, 260)]
        rows += [(f"points {n}", {"points": n}) for n in (2, 3, 4, 5, 6, 8)]
        rows += [(f"passages {n}", {"passages": n}) for n in (3, 5, 8, 10)]
        rows += [(f"lead words {n}", {"LEAD_WORDS": n}) for n in (40, 70, 100)]
    else:
        grid = itertools.product((0.5, 0.7, 0.85), (0.25, 0.5, 1.0), (0.0, 0.25, 0.5), (0.3, 0.5))
        rows = [
            (
                f"lambda {a} lexical {b} prior {c} floor {d}",
                {"MMR_LAMBDA": a, "POINT_LEXICAL": b, "PASSAGE_PRIOR": c, "RELEVANCE_FLOOR": d},
            )
            for a, b, c, d in grid
        ]
    for name, setting in rows:
        recall, half = score(assistant, cases, **setting)
        print(f"{name:<40} key-point recall {recall:.3f}  half the points {half:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
