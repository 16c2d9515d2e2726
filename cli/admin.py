"""`cstassist keys ...`, `cstassist feedback export`, `cstassist db upgrade|status`, backup and restore:
operating the service's own data."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime


def _stores():  # type: ignore[no-untyped-def]
    from cstassist.access import KeyStore
    from cstassist.database import Database
    from cstassist.errors import CSTAssistError
    from cstassist.feedback import FeedbackStore

    from .main import _settings

    try:
        db = Database.for_settings(_settings())
    except CSTAssistError as exc:
        sys.exit(f"cstassist: {exc}")
    return KeyStore(db), FeedbackStore(db)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from cstassist.database import Database
    from cstassist.errors import CSTAssistError

    from .main import _settings

    settings = _settings()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    try:
        db = Database(url) if url else Database.for_settings(settings)
        imported = db.upgrade(settings.data_dir)
        current, head = db.revisions()
    except CSTAssistError as exc:
        print(f"cstassist db upgrade: {exc}", file=sys.stderr)
        return 2
    for name in imported:
        print(f"imported {settings.data_dir / name} (kept as {name}.imported)")
    print(f"database {db.description} is at schema revision {current} (latest {head})")
    return 0


def cmd_db_status(args: argparse.Namespace) -> int:
    from cstassist.database import Database
    from cstassist.errors import CSTAssistError

    from .main import _settings

    settings = _settings()
    url = settings.database_url.get_secret_value() if settings.database_url else None
    try:
        db = Database(url) if url else Database.for_settings(settings)
        current, head = db.revisions()
    except CSTAssistError as exc:
        print(f"cstassist db status: {exc}", file=sys.stderr)
        return 2
    print(f"database {db.description}: schema revision {current or 'none'}, this version needs {head}")
    if current == head and not url:
        from cstassist.index import check_ledger_present
        from cstassist.state import Ledger
        from cstassist.store import probe

        try:  # an emptied database file upgrades to the current schema, but its ledger is gone
            check_ledger_present(Ledger(db), db, probe(settings)[1], settings)
        except CSTAssistError as exc:
            print(f"cstassist db status: {exc}", file=sys.stderr)
            return 2
    return 0 if current == head else 1


def cmd_db_check(args: argparse.Namespace) -> int:
    """Check the database (SQLite's full integrity check) and the vector index, and say how to restore if either
    is damaged or the database was lost beside a non-empty index."""
    from cstassist.database import RESTORE_HINT, Database
    from cstassist.errors import CSTAssistError
    from cstassist.index import check_startup

    from .main import _settings

    settings = _settings()
    try:
        check_startup(settings)
        db = Database.for_settings(settings)
        problem = db.integrity_problem(full=True)
    except CSTAssistError as exc:
        print(f"cstassist db check: {exc}", file=sys.stderr)
        return 1
    if problem:
        print(f"cstassist db check: the database {db.description} fails its integrity check ({problem}): {RESTORE_HINT}")
        return 1
    print(f"database {db.description} ok; index at {settings.chroma_path if not settings.chroma.url else settings.chroma.url} ok")
    return 0


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"


def cmd_keys_create(args: argparse.Namespace) -> int:
    from cstassist.errors import BadRequest

    keys, _ = _stores()
    try:
        info, secret = keys.create(args.name, args.scope)
    except BadRequest as exc:
        print(f"cstassist keys create: {exc}", file=sys.stderr)
        return 2
    print(f"created key {info.key_id} ({info.name}, scope {info.scope}). The secret is shown once; store it safely:")
    print(secret)
    return 0


def cmd_keys_list(args: argparse.Namespace) -> int:
    keys, _ = _stores()
    rows = keys.list()
    if not rows:
        print("no keys")
    for k in rows:
        state = f"revoked {_when(k.revoked_at)}" if k.revoked_at else "active"
        print(f"{k.key_id}  {k.name:<20} {k.scope:<8} created {_when(k.created_at)}  {state}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    keys, _ = _stores()
    n = keys.revoke(args.key)
    if not n:
        print(f"cstassist keys revoke: no active key with id or name {args.key!r}", file=sys.stderr)
        return 1
    print(f"revoked {n} key(s); tokens minted from them stop working at once")
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    _, feedback = _stores()
    if args.output == "-":
        n = feedback.export(sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            n = feedback.export(fh)
    print(f"exported {n} feedback item(s)", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    keys = sub.add_parser("keys", help="API keys for the member portal").add_subparsers(dest="keys_command", required=True)
    p = keys.add_parser("create", help="create a key (its secret is printed once)")
    p.add_argument("--name", required=True, help="who the key is for, e.g. portal")
    p.add_argument(
        "--scope", choices=["public", "members", "admin"], default="members", help="admin: CST staff, for the console at /admin"
    )
    p.set_defaults(func=cmd_keys_create)
    keys.add_parser("list", help="list keys (never their secrets)").set_defaults(func=cmd_keys_list)
    p = keys.add_parser("revoke", help="revoke a key by id or name")
    p.add_argument("key")
    p.set_defaults(func=cmd_keys_revoke)

    fb = sub.add_parser("feedback", help="members' feedback on answers").add_subparsers(dest="feedback_command", required=True)
    p = fb.add_parser("export", help="write feedback as JSONL (for evals: cstassist eval --from-feedback)")
    p.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    p.set_defaults(func=cmd_feedback_export)
    db = sub.add_parser(
        "db",
        help="the shared database: schema, integrity, and how to restore it",
        description="A damaged or lost database is restored from a backup made by `cstassist backup`: stop the service, "
        "then `cstassist restore BACKUP_FOLDER --force`. `cstassist db check` says whether that is needed.",
    ).add_subparsers(dest="db_command", required=True)
    p = db.add_parser(
        "upgrade", help="apply schema migrations (run before starting a new version) and import a 0.3 data directory's files"
    )
    p.set_defaults(func=cmd_db_upgrade)
    db.add_parser("status", help="print the schema revision; exit 1 when it is behind").set_defaults(func=cmd_db_status)
    db.add_parser(
        "check", help="check the database's integrity and the vector index; exit 1, saying how to restore, when damaged"
    ).set_defaults(func=cmd_db_check)
    register_backup(sub)


def cmd_backup(args: argparse.Namespace) -> int:
    from cstassist.backup import backup
    from cstassist.errors import CSTAssistError

    from .main import _settings

    try:
        info = backup(_settings(), args.dest)
    except CSTAssistError as exc:
        print(f"cstassist backup: {exc}", file=sys.stderr)
        return 2
    print(f"backed up {info.chunks} chunks from {info.documents} documents to {info.path} in {info.seconds:.1f} s")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from cstassist.backup import restore
    from cstassist.errors import CSTAssistError

    from .main import _settings

    try:
        info = restore(_settings(), args.src, force=args.force)
    except CSTAssistError as exc:
        print(f"cstassist restore: {exc}", file=sys.stderr)
        return 2
    print(f"restored {info.chunks} chunks from {info.documents} documents into {info.path} in {info.seconds:.1f} s")
    return 0


def register_backup(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from pathlib import Path

    p = sub.add_parser(
        "backup", help="snapshot the index, ledger, keys, feedback and manifest to a new folder (service may keep running)"
    )
    p.add_argument("dest", type=Path)
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup into the data directory (stop the service first)")
    p.add_argument("src", type=Path)
    p.add_argument("--force", action="store_true", help="replace an existing index")
    p.set_defaults(func=cmd_restore)
