"""Fitting the answerability model (``cstassist.answerability``) on the gold set's dev split.

Every evaluated question records the signals of its top passages (``record["signals"]``). Here a
logistic regression (standardised signals, L2, balanced classes, each weight held to the sign its
signal can only have) learns "the passages answer it" from
the dev split only, and the two thresholds are chosen on *out-of-fold* probabilities from repeated
stratified cross-validation, so no question's probability comes from a model that saw it:

- ``answer_at``: the lowest threshold whose out-of-fold false-answer rate (unanswerable questions
  given a direct answer) is at most ``MAX_FALSE_ANSWER`` (0.10) — the most direct answers we can give
  while keeping that promise;
- ``related_at``: the highest threshold that still leaves ``RELATED_KEEP`` (0.95) of answerable
  questions at ``related`` or better — below it, nothing shown is likely to help.

The held-out split is never fitted on; its figures are reported apart. Run it with
``python -m cstassist.evals.answerability`` (it runs the retrieval-only evaluation first, or reads
``--report``), and ``--write`` to replace the shipped model.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from cstassist.answerability import Model

from . import metrics

SIMILARITY = ("cosine", "window", "window_gap")
LEXICAL = ("idf_window", "idf_top", "rare_window", "oov_share", "names_absent")
STRUCTURE = ("pair_window", "agree", "figure_missing")
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "window": ("window",),
    "similarity": SIMILARITY,
    "lexical": LEXICAL,
    "similarity+lexical": SIMILARITY + LEXICAL,
    "similarity+structure": SIMILARITY + STRUCTURE,
    "all": SIMILARITY + LEXICAL + STRUCTURE + ("focus_drop", "focus_drop2"),
    "similarity+absence": SIMILARITY + ("oov_share", "names_absent", "figure_missing"),
    "similarity+focus": SIMILARITY + ("focus_drop", "focus_drop2"),
    "similarity+focus+absence": SIMILARITY + ("focus_drop", "focus_drop2", "oov_share", "names_absent", "figure_missing"),
    "similarity+absence+scope": SIMILARITY + ("oov_share", "names_absent", "figure_missing", "scope"),
}
DEFAULT_FEATURES = "similarity+absence"
MAX_FALSE_ANSWER = 0.10
RELATED_KEEP = 0.95
FOLDS, REPEATS, SEED = 5, 20, 7
C = 1.0  # L2 strength: fixed, not tuned (too few unanswerable questions to tune it honestly)


@dataclass
class Fit:
    model: Model
    cv: dict[str, Any]


def _xy(records: list[dict[str, Any]], features: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([[r["signals"][f] for f in features] for r in records], dtype=np.float64)
    y = np.array([r["kind"] != "unanswerable" for r in records], dtype=int)  # broad questions are answerable too
    return x, y


# The direction each signal may push: closeness and coverage can only make an answer more likely, absence
# only less. Without these bounds the fit learns the gold set's quirks: answerable questions there are
# paraphrases written to avoid the corpus's words, near-misses borrow them, so word coverage came out
# *negative* and the plainest questions ("How should the board review the chief executive's performance?")
# were judged unanswered. A sign-constrained fit keeps only what holds in both directions.
SIGNS: dict[str, int] = {
    "cosine": 1,
    "window": 1,
    "window_gap": 1,
    "idf_window": 1,
    "idf_top": 1,
    "rare_window": 1,
    "pair_window": 1,
    "agree": 1,
    "focus_drop": 1,
    "focus_drop2": 1,
    "oov_share": -1,
    "names_absent": -1,
    "figure_missing": -1,
}


def _logistic(x: np.ndarray, y: np.ndarray, features: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """L2-regularised logistic regression, classes balanced, on standardised signals; each weight kept to its
    feature's sign in ``SIGNS`` (L-BFGS-B with bounds)."""
    from scipy.optimize import minimize

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    sample = np.where(y == 1, len(y) / (2 * max(1, y.sum())), len(y) / (2 * max(1, (1 - y).sum())))

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        m = z @ w + b
        p = 1.0 / (1.0 + np.exp(-m))
        nll = np.sum(sample * (np.logaddexp(0, m) - y * m))
        grad_m = sample * (p - y)
        return nll + 0.5 / C * w @ w, np.append(z.T @ grad_m + w / C, grad_m.sum())

    bounds = [(0, None) if SIGNS.get(f, 0) > 0 else (None, 0) if SIGNS.get(f, 0) < 0 else (None, None) for f in features]
    bounds = (bounds or [(None, None)] * z.shape[1]) + [(None, None)]
    res = minimize(loss, np.zeros(z.shape[1] + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return mean, scale, res.x[:-1], float(res.x[-1])


def _predict(params: tuple[np.ndarray, np.ndarray, np.ndarray, float], x: np.ndarray) -> np.ndarray:
    mean, scale, w, b = params
    return 1.0 / (1.0 + np.exp(-(((x - mean) / scale) @ w + b)))


def choose_answer_at(p: np.ndarray, y: np.ndarray, max_false: float = MAX_FALSE_ANSWER) -> float:
    """The lowest threshold (on a 0.01 grid) with false-answer rate <= ``max_false``."""
    for t in np.round(np.arange(0.0, 1.0001, 0.01), 2):
        if np.mean(p[y == 0] >= t) <= max_false:
            return float(t)
    return 1.0


def choose_related_at(p: np.ndarray, y: np.ndarray, keep: float = RELATED_KEEP) -> float:
    """The highest threshold (0.01 grid) that keeps ``keep`` of answerable questions at or above it."""
    best = 0.0
    for t in np.round(np.arange(0.0, 1.0001, 0.01), 2):
        if np.mean(p[y == 1] >= t) >= keep:
            best = float(t)
    return best


def rates(p: np.ndarray, y: np.ndarray, answer_at: float) -> dict[str, float]:
    return {
        "auc": round(metrics.auc(p[y == 1].tolist(), p[y == 0].tolist()) or 0.0, 4),
        "answer_rate": round(float(np.mean(p[y == 1] >= answer_at)), 4),
        "false_answer_rate": round(float(np.mean(p[y == 0] >= answer_at)), 4),
    }


def cross_validate(x: np.ndarray, y: np.ndarray, features: tuple[str, ...]) -> dict[str, Any]:
    """Repeated stratified k-fold: out-of-fold probabilities (mean over repeats), the thresholds chosen on them,
    and each fold's figures at those thresholds (fold figures of the first repeat, plus the spread over all)."""
    from sklearn.model_selection import RepeatedStratifiedKFold

    oof_sum, oof_n = np.zeros(len(y)), np.zeros(len(y))
    folds = []
    splitter = RepeatedStratifiedKFold(n_splits=FOLDS, n_repeats=REPEATS, random_state=SEED)
    for train, test in splitter.split(x, y):
        p = _predict(_logistic(x[train], y[train], features), x[test])
        oof_sum[test] += p
        oof_n[test] += 1
        folds.append((test, p))
    oof = oof_sum / oof_n
    answer_at, related_at = choose_answer_at(oof, y), choose_related_at(oof, y)
    per_fold = [rates(p, y[test], answer_at) for test, p in folds]
    spread = {
        key: {
            "mean": round(float(np.mean([f[key] for f in per_fold])), 4),
            "sd": round(float(np.std([f[key] for f in per_fold])), 4),
        }
        for key in ("auc", "answer_rate", "false_answer_rate")
    }
    return {
        "folds": FOLDS,
        "repeats": REPEATS,
        "answer_at": answer_at,
        "related_at": related_at,
        "out_of_fold": rates(oof, y, answer_at),
        "first_repeat_folds": per_fold[:FOLDS],
        "over_all_folds": spread,
        "oof": oof.tolist(),
    }


def fit(dev: list[dict[str, Any]], features: tuple[str, ...]) -> Fit:
    x, y = _xy(dev, features)
    cv = cross_validate(x, y, features)
    mean, scale, w, b = _logistic(x, y, features)
    model = Model(features, mean, scale, w, b, cv["answer_at"], cv["related_at"])
    return Fit(model, cv)


def held_out(model: Model, records: list[dict[str, Any]]) -> dict[str, Any]:
    from cstassist.answerability import Signals

    p = np.array([model.probability(Signals(r["signals"])) for r in records])
    y = np.array([r["kind"] != "unanswerable" for r in records], dtype=int)  # broad questions are answerable too
    out = rates(p, y, model.answer_at)
    out["related_or_better_answerable"] = round(float(np.mean(p[y == 1] >= model.related_at)), 4)
    out["n"] = {"answerable": int(y.sum()), "unanswerable": int((1 - y).sum())}
    return out


def _records(report_path: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if report_path:
        report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    else:
        from cstassist.settings import Settings

        from .gold import load_gold
        from .harness import EvalOptions, evaluate, open_assistant

        assistant = open_assistant(Settings())
        report = evaluate(assistant, load_gold(), EvalOptions(modes=("hybrid",), answers=False))
    return report["questions"]["hybrid"], report["gold"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", help="an eval report JSON with signals (default: run the retrieval-only evaluation now)")
    ap.add_argument("--features", default=DEFAULT_FEATURES, choices=sorted(FEATURE_SETS))
    ap.add_argument("--compare", action="store_true", help="cross-validate every feature set and print the table")
    ap.add_argument("--write", action="store_true", help="replace the shipped model (src/cstassist/data/answerability.json)")
    args = ap.parse_args(argv)

    records, gold = _records(args.report)
    dev = [r for r in records if r.get("split", "dev") == "dev"]
    heldout = [r for r in records if r.get("split") == "heldout"]
    print(f"dev: {len(dev)} items ({sum(r['kind'] != 'unanswerable' for r in dev)} answerable); held out: {len(heldout)}")
    names = sorted(FEATURE_SETS) if args.compare else [args.features]
    chosen = None
    for name in names:
        result = fit(dev, FEATURE_SETS[name])
        cv, ho = result.cv, held_out(result.model, heldout) if heldout else {}
        print(
            f"{name:<16} CV AUC {cv['over_all_folds']['auc']['mean']:.3f}±{cv['over_all_folds']['auc']['sd']:.3f} "
            f"OOF: answer_at {cv['answer_at']:.2f} related_at {cv['related_at']:.2f} answer {cv['out_of_fold']['answer_rate']:.3f} "
            f"false {cv['out_of_fold']['false_answer_rate']:.3f} | held out: AUC {ho.get('auc', float('nan')):.3f} "
            f"answer {ho.get('answer_rate', float('nan')):.3f} false {ho.get('false_answer_rate', float('nan')):.3f}"
        )
        if name == args.features:
            chosen = (result, ho)
    if chosen is None:
        return 0
    result, ho = chosen
    print("per fold (first repeat):")
    for i, f in enumerate(result.cv["first_repeat_folds"], 1):
        print(f"  fold {i}: AUC {f['auc']:.3f} answer {f['answer_rate']:.3f} false {f['false_answer_rate']:.3f}")
    if args.write:
        info = {
            "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
            "gold_sha256": gold.get("sha256"),
            "features": args.features,
            "dev": {
                "answerable": int(sum(r["kind"] != "unanswerable" for r in dev)),
                "unanswerable": int(sum(r["kind"] == "unanswerable" for r in dev)),
            },
            "cv": {k: v for k, v in result.cv.items() if k != "oof"},
            "held_out": ho,
            "how": "python -m cstassist.evals.answerability --write (evals/answerability.py)",
        }
        result.model.info.update(info)
        target = Path(str(resources.files("cstassist").joinpath("data", "answerability.json")))
        target.write_text(json.dumps(result.model.as_dict(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
