"""`cstassist` subcommands: ingest, search, ask, serve, eval, keys, feedback."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from cstassist.parsing import OFFLINE_ENV


def _settings():  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from cstassist.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = "__".join(str(x) for x in err["loc"]).upper()
        sys.exit(f"cstassist: bad setting CSTASSIST_{loc}: {err['msg']}")


def cmd_ingest(args: argparse.Namespace) -> int:
    from cstassist.database import DatabaseUnavailable, SchemaOutOfDate
    from cstassist.errors import BadRequest
    from cstassist.ingest import ingest
    from cstassist.locking import DataDirBusy

    settings = _settings()
    try:
        report = ingest(
            args.paths or None,
            settings,
            prune=args.prune,
            on_failure=lambda name, reason: print(f"FAILED {name}: {reason}", file=sys.stderr),
        )
    except DataDirBusy as exc:  # its message starts with "ingest:"
        print(f"cstassist {exc}", file=sys.stderr)
        return 2
    except (BadRequest, FileNotFoundError, SchemaOutOfDate, DatabaseUnavailable) as exc:
        print(f"cstassist ingest: {exc}", file=sys.stderr)
        return 2
    for name, dropped in report.dropped.items():
        print(f"WARNING {name}: {dropped}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def _print_passage(i: int, p) -> None:  # type: ignore[no-untyped-def]
    where = ", ".join(x for x in (p.section and f"section “{p.section}”", p.page and f"p. {p.page}", p.published) if x)
    print(f"[{i}] {p.title}" + (f" — {where}" if where else "") + f"  (score {p.score:.4f}, {p.document_id})")
    if p.url:
        print(f"    {p.url}")
    text = " ".join(p.text.split())
    print("    " + (text[:400] + "…" if len(text) > 400 else text))


def cmd_search(args: argparse.Namespace) -> int:
    from cstassist.assistant import Assistant
    from cstassist.errors import CSTAssistError

    assistant = Assistant.open(_settings())
    try:
        results = assistant.search(args.query, k=args.k, audiences=_audiences(args))
    except CSTAssistError as exc:
        print(f"cstassist search: {exc}", file=sys.stderr)
        return 2
    if not results:
        print("No passages found.")
    for i, p in enumerate(results, 1):
        _print_passage(i, p)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from cstassist.assistant import Assistant
    from cstassist.errors import CSTAssistError

    assistant = Assistant.open(_settings())
    try:
        reply = assistant.ask(args.question, k=args.k, audiences=_audiences(args))
    except CSTAssistError as exc:
        print(f"cstassist ask: {exc}", file=sys.stderr)
        return 2
    answer = reply.answer
    confidence = "" if answer.confidence is None else f", confidence {answer.confidence:.2f}"
    print(f"[{OUTCOME_LABELS[answer.outcome]}{confidence}]")
    if answer.points:  # a composed answer: the lead, then its key points as a numbered list
        print(answer.text.split("\n- ", 1)[0])
        for i, point in enumerate(answer.points, 1):
            label = f"{point['label']}: " if point.get("label") else ""
            print(f"  {i}. {label}{point['text']} [{point['n']}]")
    else:
        print(answer.text)
    if answer.citations:
        print()
        for c in answer.citations:
            p = c.passage
            first, last = c.pages  # the page(s) of what the answer quotes, not where the passage starts
            pages = first and (f"p. {first}" if last in (None, first) else f"pp. {first}-{last}")
            where = ", ".join(x for x in (p.section, pages, p.published) if x)
            print(f"[{c.n}] {p.title}" + (f" — {where}" if where else "") + (f" <{p.url}>" if p.url else ""))
            if p.superseded_by:
                print(f"    superseded by: {p.superseded_by_title or p.superseded_by}")
    return 0


OUTCOME_LABELS = {
    "answer": "answer",
    "related": "related: no direct answer in CST's guidance",
    "none": "none: nothing relevant in CST's guidance",
}


def _audiences(args: argparse.Namespace) -> tuple[str, ...]:
    return ("public", "members") if getattr(args, "members", False) else ("public",)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cstassist.api.server import protocol_for
    from cstassist.errors import CSTAssistError
    from cstassist.index import check_startup

    settings = _settings()
    if args.workers > 1 and not settings.chroma.url:
        sys.exit(
            "cstassist serve: --workers > 1 needs a Chroma server (set CSTASSIST_CHROMA__URL); "
            "an embedded Chroma index must not be shared by several processes"
        )
    try:
        check_startup(settings)  # database schema and integrity, the vector index, a lost database: one line each
    except CSTAssistError as exc:
        sys.exit(f"cstassist serve: {exc}")
    uvicorn.run(
        "cstassist.api.app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        proxy_headers=False,
        access_log=False,
        http=protocol_for(settings.limits),  # head size cap, read timeouts, connections per client
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cstassist",
        description="Cited answers from CST's governance papers. Settings come from CSTASSIST_* environment variables (see README).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="parse, chunk, embed and index documents (incremental)")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the bundled corpus/)")
    p.add_argument(
        "--prune",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="remove documents whose files are gone (default: on for the bundled corpus, off for explicit paths)",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="print the top passages for a query with their citation facts")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    p.add_argument("--members", action="store_true", help="include members-only documents (staff use)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "ask",
        help="answer a question with numbered citations",
        description="Prints the outcome first: answer (quoted, cited), related (no direct answer; the closest "
        "guidance) or none (nothing relevant), then the text and its sources.",
    )
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="passages to consider (default 5)")
    p.add_argument("--members", action="store_true", help="include members-only documents (staff use)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("serve", help="run the HTTP API and chat widget")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes (>1 needs CSTASSIST_CHROMA__URL)")
    p.add_argument("--log-level", default="info")
    p.set_defaults(func=cmd_serve)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands():  # type: ignore[no-untyped-def]
    """Subcommands defined beside the parts they drive (keys, feedback, eval, backup)."""
    out = []
    for mod in ("cstassist.cli.admin", "cstassist.cli.evaluate", "cstassist.cli.loadtest"):
        try:
            module = __import__(mod, fromlist=["register"])
        except ImportError:
            continue
        out.append(module.register)
    return out


def main(argv: list[str] | None = None) -> int:
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("chromadb", "bm25s", "sentence_transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from cstassist.database import DatabaseUnavailable, SchemaOutOfDate

    try:
        return int(args.func(args) or 0)
    except (SchemaOutOfDate, DatabaseUnavailable) as exc:  # any command that opens the database
        print(f"cstassist {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
