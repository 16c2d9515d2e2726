"""The one database for everything that is not vectors: the ingest ledger and its generation, API keys,
the token-signing secret, answer records, feedback and conversations.

SQLAlchemy Core over an embedded SQLite file in the data directory by default (one host, nothing to
set up), or PostgreSQL when ``CSTASSIST_DATABASE_URL=postgresql+psycopg://...`` is set (several API
hosts share it). The tables are declared once, here; their schema versions are Alembic migrations in
``cstassist/migrations`` applied by ``cstassist db upgrade``. The embedded SQLite file is upgraded on
open (a single host owns it, as before); a database named by URL is only checked, and a schema that is
behind stops the process with a message naming the command, so a rolling upgrade runs migrations first.

    db = Database.for_settings(settings)      # one engine per URL per process
    with db.begin() as conn:
        conn.execute(kv.select())
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    exc,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from .errors import CSTAssistError

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_NAME = "cstassist.sqlite"

metadata = MetaData()

# The ingest ledger (see state.py): one row per indexed document.
documents = Table(
    "documents",
    metadata,
    Column("document_id", String(512), primary_key=True),
    Column("source", Text, nullable=False),
    Column("fingerprint", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("chunk_count", Integer, nullable=False, server_default="0"),
    Column("meta", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)
# Small named values: the ingest generation, corpus fingerprints of evaluation indexes.
kv = Table("kv", metadata, Column("key", String(200), primary_key=True), Column("value", Text, nullable=False))
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("scope", String(16), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float),
)
secrets = Table("secrets", metadata, Column("name", String(64), primary_key=True), Column("value", Text, nullable=False))
# ``owner`` everywhere below is the caller identity (access.Caller.identity) that created the row.
answers = Table(
    "answers",
    metadata,
    Column("answer_id", String(64), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("at", Float, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False),
    Column("abstained", Boolean, nullable=False),
)
feedback = Table(
    "feedback",
    metadata,
    Column("answer_id", String(64), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("at", Float, nullable=False),
    Column("rating", String(8), nullable=False),
    Column("comment", Text),
)
conversations = Table(
    "conversations",
    metadata,
    Column("conversation_id", String(64), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
)
turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("question", Text, nullable=False),
    Column("resolved", Text, nullable=False),
    Column("answer_id", String(64), nullable=False),
    Index("turns_conversation", "conversation_id", "id"),
)

# --- the staff console (cstassist.staff; migration 0002) --------------------------------------------------
# Every staff action: who (the admin key), what, on what, when.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Index("audit_log_at", "at"),
)
# Console sessions: the cookie's SHA-256, the admin key behind it, and when it was last used (idle sign-out).
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)
# Papers staff manage through the console: the kept file, its manifest fields, the last failure, retirement.
staff_documents = Table(
    "staff_documents",
    metadata,
    Column("document_id", String(512), primary_key=True),
    Column("file", Text, nullable=False),
    Column("stored", Text, nullable=False, server_default=""),
    Column("fields", Text, nullable=False),
    Column("error", Text),
    Column("dropped", Text),
    Column("retired", Boolean, nullable=False, server_default="0"),
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(200), nullable=False),
)
# Background work started from the console (ingest, re-index, evaluation); any host can read its progress.
staff_jobs = Table(
    "staff_jobs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("stage", Text, nullable=False, server_default=""),
    Column("error", Text),
    Column("result", Text, nullable=False, server_default="{}"),
    Column("actor", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
# The outcome and confidence of each recorded answer (``answers``), for the questions report.
answer_outcomes = Table(
    "answer_outcomes",
    metadata,
    Column("answer_id", String(64), primary_key=True),
    Column("at", Float, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("confidence", Float),
    Index("answer_outcomes_at", "at"),
)


class DatabaseUnavailable(CSTAssistError):
    """The database cannot be reached (or timed out). Callers that need it get a 503, never a 500."""

    code = "database_unavailable"
    http_status = 503


class SchemaOutOfDate(CSTAssistError):
    code = "schema_out_of_date"
    http_status = 503


RESTORE_HINT = (
    "restore the data directory from a backup made by `cstassist backup` "
    "(stop the service, then `cstassist restore BACKUP_FOLDER --force`)"
)


class DatabaseDamaged(DatabaseUnavailable):
    """The database file is corrupt (its header or a page). Raised when the database is opened (start-up, the CLI),
    with a one-line message for the operator; during serving, damage is logged and callers get a plain 503."""

    code = "database_damaged"


class DatabaseLost(DatabaseUnavailable):
    """The database is missing or empty while the index still holds passages: keys, the token secret, feedback and
    conversations are gone, and starting would silently make a new empty ledger."""

    code = "database_lost"


_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
# what SQLite says about a damaged file (sqlite3.DatabaseError, not OperationalError)
_DAMAGE = ("file is not a database", "malformed", "disk image", "file is encrypted", "database corrupt")


def damage_of(error: BaseException) -> str | None:
    """SQLite's words when ``error`` (or its cause) says the file is damaged, else None."""
    while error is not None:
        text = str(getattr(error, "orig", None) or error)
        if any(d in text.lower() for d in _DAMAGE):
            return text.splitlines()[0][:160]
        error = error.__cause__  # type: ignore[assignment]
    return None


class Database:
    """One engine and what every store needs from it: connections, the schema check, a writer lock."""

    _open: dict[str, Database] = {}
    _open_lock = threading.Lock()
    integrity_ttl_s = 30.0  # how long ``integrity_problem`` remembers its answer

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            memory = self.url.database in (None, "", ":memory:")
            if not memory:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"timeout": 30, "check_same_thread": False},
                **({"poolclass": StaticPool} if memory else {}),
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(
                self.url,
                pool_pre_ping=True,  # a restarted server's dead connections are replaced, not handed out
                pool_size=8,
                max_overflow=8,
                pool_timeout=5,
                connect_args={"connect_timeout": 3},
            )

    # --- opening ------------------------------------------------------------------------------------
    @classmethod
    def for_settings(cls, settings: Settings) -> Database:
        """The database the settings name (shared per URL within a process), upgraded or checked on first open."""
        if settings.database_url is not None:
            return cls.open(settings.database_url.get_secret_value(), upgrade=False)
        return cls.open(f"sqlite:///{settings.data_dir / SQLITE_NAME}", upgrade=True, legacy_dir=settings.data_dir)

    @classmethod
    def for_path(cls, path: Path) -> Database:
        """An embedded SQLite database at ``path`` (``:memory:`` for a private in-memory one), schema made on open."""
        return cls.open("sqlite://" if str(path) == ":memory:" else f"sqlite:///{Path(path).resolve()}", upgrade=True)

    @classmethod
    def open(cls, url: str, upgrade: bool, legacy_dir: Path | None = None) -> Database:
        key = str(url)
        with cls._open_lock:
            db = None if key == "sqlite://" else cls._open.get(key)
            if db is None:
                db = cls(url)
                db.__dict__["_opening"] = True
                try:
                    if upgrade:
                        db.upgrade(legacy_dir)
                    else:
                        db.check_schema()
                    problem = db.integrity_problem()
                except DatabaseUnavailable as e:
                    problem = damage_of(e)
                    if problem is None:
                        raise
                finally:
                    db.__dict__["_opening"] = False
                if problem:
                    db.dispose()
                    raise DatabaseDamaged(f"the database {db.description} is damaged ({problem}): {RESTORE_HINT}")
                if key != "sqlite://":
                    cls._open[key] = db
            return db

    def dispose(self) -> None:
        """Close pooled connections (they reopen on next use); before a restore replaces the file."""
        self.engine.dispose()

    # --- connections --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def begin(self, durable: bool = False) -> Iterator[Connection]:
        """A connection in a transaction, committed on success; an unreachable database is ``DatabaseUnavailable``.

        ``durable``: the commit must survive a power cut, not only a killed process (the ledger's marks, keys and
        revocations). SQLite then syncs this commit to disk (about 2.5 ms here); other writes (answers, feedback,
        conversations: at most a turn of context or an unrated answer's record to lose) skip that. PostgreSQL
        always commits durably."""
        try:
            with self.engine.connect() as conn:
                raw = conn.connection.dbapi_connection if durable and self.is_sqlite else None
                if raw is not None:
                    raw.execute("PRAGMA synchronous=FULL")
                try:
                    with conn.begin():
                        yield conn
                finally:
                    if raw is not None:
                        raw.execute("PRAGMA synchronous=NORMAL")
        except exc.DatabaseError as e:
            damage = damage_of(e)
            if damage is None and not isinstance(e, _UNAVAILABLE):
                raise
            if damage and not self.__dict__.get("_opening"):  # when opening, DatabaseDamaged says it instead
                log.error("the database %s is damaged (%s); %s", self.description, damage, RESTORE_HINT)
            raise DatabaseUnavailable("the database is unavailable; try again shortly") from e
        except _UNAVAILABLE as e:
            raise DatabaseUnavailable("the database is unavailable; try again shortly") from e

    def integrity_problem(self, full: bool = False) -> str | None:
        """What SQLite's own check finds wrong with the file (``PRAGMA quick_check``; ``full``: ``integrity_check``,
        slower, also cross-checks indexes), or None when it finds nothing. Remembered for ``integrity_ttl_s``, so
        /readyz can ask often. Always None for PostgreSQL, which checks its own pages."""
        if not self.is_sqlite:
            return None
        cached = self.__dict__.get("_integrity")
        if cached is not None and not full and time.monotonic() - cached[0] < self.integrity_ttl_s:
            return cached[1]
        try:
            with self.begin() as conn:
                rows = [r[0] for r in conn.execute(text(f"PRAGMA {'integrity_check' if full else 'quick_check'}(5)"))]
            problem = None if rows == ["ok"] else "; ".join(str(r) for r in rows)[:300]
        except DatabaseUnavailable as e:
            problem = damage_of(e)
            if problem is None:
                raise
        self.__dict__["_integrity"] = (time.monotonic(), problem)
        return problem

    def ping(self) -> bool:
        try:
            with self.begin() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except DatabaseUnavailable:
            return False

    @property
    def description(self) -> str:
        """Where the database is, without its password: for messages and /readyz."""
        return self.url.render_as_string(hide_password=True)

    # --- schema -------------------------------------------------------------------------------------
    def _alembic_config(self, conn: Connection) -> Any:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        return cfg

    def revisions(self) -> tuple[str | None, str]:
        """(the database's schema revision, the revision this version of cstassist needs)."""
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.begin() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            head = ScriptDirectory.from_config(self._alembic_config(conn)).get_current_head()
        return current, head  # type: ignore[return-value]

    def check_schema(self) -> None:
        """Raise ``SchemaOutOfDate`` when the database is behind this version. A database *ahead* of it (a newer
        version ran ``db upgrade`` during a rolling upgrade) is accepted with a warning: migrations are additive."""
        from alembic.script import ScriptDirectory

        current, head = self.revisions()
        if current is not None and current != head:
            with self.begin() as conn:
                known = {r.revision for r in ScriptDirectory.from_config(self._alembic_config(conn)).walk_revisions()}
            if current not in known:
                log.warning("the database schema (%s) is newer than this version's (%s); carrying on", current, head)
                return
        if current != head:
            raise SchemaOutOfDate(
                f"the database schema at {self.description} is at revision {current or 'none'}, this version needs {head}: "
                "run `cstassist db upgrade` (with the same CSTASSIST_DATABASE_URL) first"
            )

    def upgrade(self, legacy_dir: Path | None = None) -> list[str]:
        """Apply every migration not yet applied, then import the SQLite files of cstassist 0.3 found in
        ``legacy_dir``; returns what was imported. Safe to run from several processes at once."""
        from alembic import command

        from .legacy import import_legacy

        with self._upgrade_lock():
            with self.begin() as conn:
                command.upgrade(self._alembic_config(conn), "head")
            return import_legacy(self, legacy_dir) if legacy_dir else []

    @contextlib.contextmanager
    def _upgrade_lock(self) -> Iterator[None]:
        if not self.is_sqlite:
            with self.writer_lock("schema"):
                yield
            return
        if self.url.database in (None, "", ":memory:"):
            yield
            return
        path = Path(str(self.url.database) + ".upgrade-lock")
        with path.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # --- serialising writers --------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self, name: str) -> Iterator[None]:
        """Hold a database-wide lock called ``name`` for the block (PostgreSQL advisory lock, waiting for it if
        another process holds it). A no-op on SQLite, where the data directory lock does this job."""
        if self.is_sqlite:
            yield
            return
        key = zlib.crc32(f"cstassist:{name}".encode())
        try:
            conn = self.engine.connect()
        except _UNAVAILABLE as e:
            raise DatabaseUnavailable("the database is unavailable; try again shortly") from e
        try:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                log.warning("waiting for another process that holds the %s lock (another ingest?)", name)
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        finally:
            conn.close()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL cannot corrupt the file and survives a killed process; writes that must also survive a
    # power cut ask for FULL (Database.begin(durable=True)).
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def upsert(conn: Connection, table: Table, values: dict[str, Any], keys: tuple[str, ...], update: tuple[str, ...] = ()) -> None:
    """INSERT, or on a clash of ``keys`` UPDATE the ``update`` columns (nothing, if none): one statement on
    SQLite and PostgreSQL alike. The statement is built once per shape and the values bound as parameters, so
    SQLAlchemy compiles it once (an answer writes three rows; building each statement anew cost more than the
    writes)."""
    conn.execute(_upsert_statement(conn.dialect.name, table, tuple(values), keys, update), values)


@functools.lru_cache(maxsize=256)
def _upsert_statement(
    dialect: str, table: Table, columns: tuple[str, ...], keys: tuple[str, ...], update: tuple[str, ...]
) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(table)
    if update:
        return stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in update})
    return stmt.on_conflict_do_nothing(index_elements=list(keys))
