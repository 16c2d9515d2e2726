"""`cstassist eval`: quality on the gold set (or a BEIR dataset), reports, the regression gate, and
turning members' feedback into draft gold cases. Thin: the work is in cstassist.evals."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

MODE_NAMES = ("hybrid", "dense", "lexical")


def _modes(text: str) -> tuple[str, ...]:
    modes = tuple(m.strip() for m in text.split(",") if m.strip())
    bad = [m for m in modes if m not in MODE_NAMES]
    if bad or not modes:
        raise argparse.ArgumentTypeError(f"modes are a comma-separated list of {', '.join(MODE_NAMES)}")
    return tuple(dict.fromkeys(modes))


def _eval_settings(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .main import _settings

    settings = _settings()
    update = {}
    if args.data_dir:
        update["data_dir"] = Path(args.data_dir).expanduser().resolve()
    if args.answer_at is not None:
        update["retrieval"] = settings.retrieval.model_copy(update={"answer_at": args.answer_at})
    return settings.model_copy(update=update) if update else settings


def cmd_eval(args: argparse.Namespace) -> int:
    from cstassist.evals import GoldError, load_gold
    from cstassist.evals.gate import DEFAULT_THRESHOLDS
    from cstassist.evals.gold import DEFAULT_GOLD
    from cstassist.evals.report import REPORTS_DIR

    # defaults resolved here, not in register(), so `cstassist --help` does not import the harness
    args.gold = args.gold or str(DEFAULT_GOLD)
    args.out = args.out or str(REPORTS_DIR)
    args.thresholds = args.thresholds or str(DEFAULT_THRESHOLDS)

    if args.compare:
        return _compare(*args.compare)
    try:
        items = load_gold(args.gold)
    except GoldError as exc:
        print(f"cstassist eval: {exc}", file=sys.stderr)
        return 2
    if args.from_feedback:
        return _from_feedback(args, items)
    if args.beir:
        return _beir(args)
    if args.formats:
        return _formats(args, items)
    return _gold(args, items)


def _compare(old: str, new: str) -> int:
    from cstassist.evals import compare, format_comparison

    try:
        a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (old, new))
    except (OSError, ValueError) as exc:
        print(f"cstassist eval --compare: cannot read a report: {exc}", file=sys.stderr)
        return 2
    print(format_comparison(compare(a, b)))
    return 0


def _from_feedback(args: argparse.Namespace, items) -> int:  # type: ignore[no-untyped-def]
    from cstassist.evals import drafts_from_feedback, write_drafts

    try:
        drafts = drafts_from_feedback(Path(args.from_feedback), items)
    except (OSError, ValueError) as exc:
        print(f"cstassist eval --from-feedback: {exc}", file=sys.stderr)
        return 2
    path = write_drafts(drafts, Path(args.gold).resolve().parent)
    down = sum(d["review"]["rating"] == "down" for d in drafts)
    print(f"wrote {len(drafts)} draft case(s) ({down} rated down) to {path}; review them before moving any into {args.gold}")
    return 0


def _beir(args: argparse.Namespace) -> int:
    from cstassist.embedding import create_embedder
    from cstassist.evals import evaluate_beir, format_beir

    settings = _eval_settings(args)
    try:
        result = evaluate_beir(
            Path(args.beir),
            create_embedder(settings.embedding),
            data_dir=args.beir_data_dir,
            modes=args.modes,
            k=args.k,
            split=args.beir_split,
            settings=settings,
        )
    except (OSError, ValueError) as exc:
        print(f"cstassist eval --beir: {exc}", file=sys.stderr)
        return 2
    print(format_beir(result))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"beir-{Path(args.beir).name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"\nreport: {path}")
    return 0


def _format_names(text: str) -> tuple[str, ...]:
    from cstassist.evals.formats import FORMATS

    names = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    if not names or any(f not in FORMATS for f in names):
        raise argparse.ArgumentTypeError(f"formats are a comma-separated list of {', '.join(FORMATS)}")
    return names


def _formats(args: argparse.Namespace, items) -> int:  # type: ignore[no-untyped-def]
    from cstassist.evals import EvalOptions
    from cstassist.evals.formats import evaluate_formats, format_parity

    settings = _eval_settings(args)
    mode = args.modes[0]
    options = EvalOptions(k=args.k, modes=(mode,))
    work = Path(args.formats_dir).expanduser().resolve() if args.formats_dir else None
    try:
        results = evaluate_formats(settings, items, args.formats, work, options)
    except (OSError, ValueError) as exc:
        print(f"cstassist eval --formats: {exc}", file=sys.stderr)
        return 2
    print(f"== {mode}, k={args.k}: the bundled corpus in each format (gap to text on the held-out part)\n")
    print(format_parity(results, mode))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"formats-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    slim = {f: {k: v for k, v in r.items() if k != "passages"} for f, r in results.items()}
    path.write_text(json.dumps(slim, indent=1), encoding="utf-8")
    print(f"\nreport: {path}")
    return 0


def _gold(args: argparse.Namespace, items) -> int:  # type: ignore[no-untyped-def]
    from cstassist.errors import CSTAssistError
    from cstassist.evals import (
        EvalOptions,
        check_gate,
        evaluate,
        format_sweep,
        format_table,
        load_thresholds,
        open_assistant,
        write_reports,
    )
    from cstassist.locking import DataDirLock

    settings = _eval_settings(args)
    thresholds = load_thresholds(Path(args.thresholds)) if args.gate else None
    if thresholds and (thresholds.mode not in args.modes or thresholds.k != args.k):
        print(
            f"cstassist eval --gate: the thresholds are for mode {thresholds.mode} at k={thresholds.k}; "
            f"run with that mode in --modes and -k {thresholds.k}",
            file=sys.stderr,
        )
        return 2
    assistant = open_assistant(settings, ingest_corpus=args.ingest)
    if assistant.index.chunk_count() == 0:
        print(f"cstassist eval: the index in {settings.data_dir} is empty", file=sys.stderr)
        return 2
    options = EvalOptions(k=args.k, modes=args.modes, answers=not args.sweep)
    try:
        # a reader, like the service: no ingest may rewrite the embedded index under it
        lock = None if settings.chroma.url else DataDirLock(settings.data_dir, exclusive=False, what="eval").acquire()
    except CSTAssistError as exc:
        print(f"cstassist eval: {exc}", file=sys.stderr)
        return 2
    try:
        report = evaluate(assistant, items, options, gold_path=Path(args.gold))
    finally:
        if lock:
            lock.release()
    if args.sweep:
        for mode in args.modes:
            print(f"\n== {mode}: answerability curve (the model's confidence on the top {min(args.k, 5)} passages)")
            print(format_sweep(report["sweep"][mode]))
        return 0
    print(format_table(report))
    json_path, html_path = write_reports(report, Path(args.out))
    print(f"\nreports: {json_path}\n         {html_path}  (latest.json / latest.html beside them)")
    if thresholds:
        failures = check_gate(report["summary"][thresholds.mode], thresholds)
        if failures:
            print(f"\nGATE FAILED ({thresholds.mode}):\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        print(f"\ngate passed ({thresholds.mode}: every floor in {args.thresholds} met)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "eval",
        help="retrieval and answer quality on the gold set, with baselines; HTML/JSON reports",
        description="Runs every gold question through search and ask in each mode and reports hit@1, "
        "recall@k, MRR, nDCG@10, outcomes (answer / related / none), answer evidence (in the text and in the citations), "
        "citation precision and latency, over all items and per split (dev, heldout).",
    )
    p.add_argument("--gold", help="gold set JSONL (default: the bundled one)")
    p.add_argument("-k", type=int, default=5, help="passages per search and answer (default 5)")
    p.add_argument("--modes", type=_modes, default=MODE_NAMES, help="comma-separated (default hybrid,dense,lexical)")
    p.add_argument(
        "--data-dir", help="index to evaluate (default: CSTASSIST_DATA_DIR); the bundled corpus is ingested into it first"
    )
    p.add_argument("--no-ingest", dest="ingest", action="store_false", help="evaluate the index as it is")
    p.add_argument("--answer-at", type=float, help="override the answerability model's answer threshold for this run")
    p.add_argument("--out", help="folder for the reports (default evals/reports/)")
    p.add_argument("--gate", action="store_true", help="exit 1 when the product mode misses a floor in the thresholds file")
    p.add_argument("--thresholds", help="floors for --gate (default evals/thresholds.yaml)")
    p.add_argument("--sweep", action="store_true", help="print the answerability curve (retrieval only, quick) and stop")
    p.add_argument("--compare", nargs=2, metavar=("OLD.json", "NEW.json"), help="list questions that got better or worse")
    p.add_argument("--beir", metavar="DIR", help="retrieval metrics on a BEIR-format dataset instead of the gold set")
    p.add_argument("--beir-data-dir", help="keep the BEIR index here and reuse it next time (default: a temporary folder)")
    p.add_argument("--beir-split", default="test", help="qrels split (default test)")
    p.add_argument(
        "--formats",
        type=lambda t: _format_names(t),
        help="format parity: render the corpus as text,html,docx,pdf,pdf2col (any of them), ingest and evaluate "
        "each in its own folder with the first of --modes, and print them side by side",
    )
    p.add_argument("--formats-dir", help="keep the rendered corpora and indexes here (default: a temporary folder)")
    p.add_argument(
        "--from-feedback",
        metavar="FILE.jsonl",
        help="turn `cstassist feedback export` output into draft gold cases (evals/data/drafts-<date>.jsonl)",
    )
    p.set_defaults(func=cmd_eval)
