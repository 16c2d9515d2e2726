"""The one database: a data directory written by cstassist 0.3 (four SQLite files) migrates without loss,
and a database whose schema is behind is refused with the command that fixes it."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from cstassist.access import Authenticator, KeyStore, TokenSigner
from cstassist.conversation import ConversationStore
from cstassist.database import Database, SchemaOutOfDate
from cstassist.feedback import FeedbackStore
from cstassist.settings import Settings
from cstassist.state import Ledger

# The schema of cstassist 0.3 exactly as its state.py, access.py, feedback.py and conversation.py created it.
OLD_SCHEMA = {
    "state.sqlite": """
        CREATE TABLE documents (document_id TEXT PRIMARY KEY, source TEXT NOT NULL, fingerprint TEXT NOT NULL,
            size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, status TEXT NOT NULL, chunk_count INTEGER NOT NULL DEFAULT 0,
            meta TEXT NOT NULL, updated_at REAL NOT NULL);
        CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);""",
    "access.sqlite": """
        CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, name TEXT, scope TEXT, hash TEXT, created_at REAL, revoked_at REAL);
        CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT);""",
    "feedback.sqlite": """
        CREATE TABLE answers (answer_id TEXT PRIMARY KEY, at REAL, question TEXT, answer TEXT, citations TEXT, abstained INTEGER);
        CREATE TABLE feedback (answer_id TEXT PRIMARY KEY, at REAL, rating TEXT, comment TEXT);""",
    "conversations.sqlite": """
        CREATE TABLE turns (conversation_id TEXT, at REAL, question TEXT, resolved TEXT, answer_id TEXT);
        CREATE INDEX turns_conv ON turns(conversation_id, at);""",
}
META = {
    "document_id": "what-is-a-strong-trust-2022",
    "title": "What is a strong trust?",
    "source": "what-is-a-strong-trust-2022.md",
    "audience": "public",
}
SECRET = "cstk_0123456789ab_" + "s" * 43
TOKEN_SECRET = "t" * 64


def make_old_data_dir(data: Path) -> None:
    """A data directory as cstassist 0.3 left it: WAL-mode SQLite files with a document, a generation, an
    active and a revoked key, the token secret, two answers (one rated) and a two-turn conversation."""
    data.mkdir(parents=True)
    rows = {
        "state.sqlite": [
            (
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                (META["document_id"], "/c/w.md", "abc|def", 1234, 1700000000123456789, "done", 12, json.dumps(META), 1.5),
            ),
            ("INSERT INTO kv VALUES ('generation', '7')", ()),
        ],
        "access.sqlite": [
            (
                "INSERT INTO api_keys VALUES (?,?,?,?,?,NULL)",
                ("0123456789ab", "portal", "members", hashlib.sha256(SECRET.encode()).hexdigest(), 10.0),
            ),
            ("INSERT INTO api_keys VALUES ('ffffffffffff', 'old', 'members', 'x', 5.0, 6.0)", ()),
            ("INSERT INTO secrets VALUES ('token', ?)", (TOKEN_SECRET,)),
        ],
        "feedback.sqlite": [
            ("INSERT INTO answers VALUES ('a1', 20.0, 'What is a strong trust?', 'A strong trust [1].', ?, 0)", ('[{"n": 1}]',)),
            ("INSERT INTO answers VALUES ('a2', 21.0, 'Capital of France?', 'I could not find that.', '[]', 1)", ()),
            ("INSERT INTO feedback VALUES ('a1', 22.0, 'down', 'missed a domain')", ()),
        ],
        "conversations.sqlite": [
            ("INSERT INTO turns VALUES ('c' || hex(randomblob(15)), 20.0, 'q1', 'q1', 'a1')", ()),
            ("INSERT INTO turns VALUES ('conv0001', 20.0, 'What is a strong trust?', 'What is a strong trust?', 'a1')", ()),
            ("INSERT INTO turns VALUES ('conv0001', 21.0, 'And its board?', 'What is a strong trust? And its board?', 'a2')", ()),
        ],
    }
    for name, schema in OLD_SCHEMA.items():
        with closing(sqlite3.connect(data / name)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(schema)
            for sql, args in rows[name]:
                db.execute(sql, args)
            db.commit()


def test_a_data_directory_of_cstassist_0_3_migrates_without_loss(tmp_path):
    data = tmp_path / "data"
    make_old_data_dir(data)
    settings = Settings(data_dir=data)
    db = Database.for_settings(settings)  # the embedded file upgrades, and imports, on open

    ledger = Ledger(db)
    row = ledger.rows()[META["document_id"]]
    assert (row.size, row.mtime_ns, row.status, row.chunk_count, row.fingerprint) == (
        1234,
        1700000000123456789,
        "done",
        12,
        "abc|def",
    )
    assert row.meta.title == META["title"] and ledger.generation == 7

    keys = KeyStore(db)
    assert keys.verify(SECRET).key_id == "0123456789ab"
    assert [k.revoked_at for k in keys.list()] == [6.0, None]
    assert keys.token_secret() == TOKEN_SECRET.encode(), "tokens minted before the upgrade must stay valid"
    member = Authenticator(keys, TokenSigner(keys.token_secret(), 900)).caller(SECRET)
    assert member.scope == "members"

    buf = io.StringIO()
    assert FeedbackStore(db).export(buf) == 1
    exported = json.loads(buf.getvalue())
    assert (exported["answer_id"], exported["rating"], exported["comment"]) == ("a1", "down", "missed a domain")
    assert exported["question"] == "What is a strong trust?" and exported["citations"] == [{"n": 1}]

    conversations = ConversationStore(db)
    assert conversations.last_resolved("conv0001") == "What is a strong trust? And its board?"
    assert conversations.resume("conv0001", "key:0123456789ab")[0] != "conv0001", "an unowned 0.3 conversation is not resumed"

    for name in OLD_SCHEMA:
        assert not (data / name).exists() and (data / f"{name}.imported").exists(), "the originals are kept, renamed"
    Database._open.clear()
    again = Database.for_settings(settings)  # a second open imports nothing twice
    buf = io.StringIO()
    assert FeedbackStore(again).export(buf) == 1 and len(KeyStore(again).list()) == 2


def test_a_database_url_whose_schema_is_behind_is_refused_naming_the_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    with pytest.raises(SchemaOutOfDate, match="cstassist db upgrade"):
        Database.for_settings(Settings(data_dir=tmp_path / "data", database_url=url))
    env = {"CSTASSIST_DATA_DIR": str(tmp_path / "data"), "CSTASSIST_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "cstassist.cli.main"]
    done = subprocess.run(cli + ["keys", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "cstassist db upgrade" in done.stderr and "Traceback" not in done.stderr
    assert subprocess.run(cli + ["db", "upgrade"], env=env, capture_output=True, text=True, timeout=60).returncode == 0
    assert subprocess.run(cli + ["keys", "list"], env=env, capture_output=True, text=True, timeout=60).returncode == 0


def test_a_database_ahead_of_this_version_is_accepted_during_a_rolling_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    db = Database(url)
    db.upgrade()
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'from-a-newer-version'"))
    db.check_schema()  # a host of the previous version restarting mid-roll still starts


def test_ledger_and_key_writes_are_synced_to_disk_and_other_writes_are_not(tmp_path):
    db = Database.for_path(tmp_path / "one.sqlite")
    with db.begin(durable=True) as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: survives a power cut
    with db.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL: survives a killed process
