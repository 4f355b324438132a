"""Engine set-up: SQLite in WAL mode with IMMEDIATE write transactions.

On SQLite a transaction that reads first and writes later can fail at once with
SQLITE_BUSY when another writer got in between; beginning write transactions
IMMEDIATE makes concurrent writers queue on the busy timeout instead. Requests
that only read (GET, HEAD, OPTIONS) begin DEFERRED so readers never queue.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import sqlite3
import time
from datetime import date

from sqlalchemy import Date, String, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

log = logging.getLogger(__name__)

# A pooled connection idle this long is pinged before use; a busy one is not.
IDLE_PING_SECONDS = 10.0

_begin_mode: contextvars.ContextVar[str] = contextvars.ContextVar("sqlite_begin", default="IMMEDIATE")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle, and replace it if the ping fails.

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip per
    request on PostgreSQL, under load when connections cannot have gone stale.
    Raising DisconnectionError makes the pool discard the connection and try
    a fresh one (SQLAlchemy's documented custom pessimistic handling).
    """
    if getattr(engine, "_jiaxin_pings", False):
        return
    engine._jiaxin_pings = True

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):
        record.info["jiaxin_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):
        since = record.info.get("jiaxin_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # any failure means the connection is gone
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Ping idle connections; on SQLite also install the pragmas and BEGIN handling."""
    ping_when_idle(engine)
    if not is_sqlite(engine) or getattr(engine, "_jiaxin_configured", False):
        return
    engine._jiaxin_configured = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's BEGIN below be the only transaction control.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content is zeroed, not left in free pages: an erased worker's ciphertexts,
        # indexes and photo, a forgotten upload, a pruned message leave no trace in the file (docs/privacy.md,
        # "Retention and erasure"). Costs a write of the freed bytes, which deletes are few enough to afford.
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    from .writers_first import announced, is_bulk, sidecar

    waiting_file = sidecar(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = _begin_mode.get()
        if mode == "IMMEDIATE" and waiting_file and not is_bulk():
            # A change waiting for the write lock says so: bulk work lets it go first (registry/writers_first.py).
            with announced(waiting_file):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql(f"BEGIN {mode}")


@contextlib.contextmanager
def one_statement_read(session):
    """A connection for a read that is one statement, which is its own consistent snapshot.

    On PostgreSQL it runs in autocommit: no BEGIN and COMMIT round trips around
    it (and no ROLLBACK, on which psycopg forgets its prepared statements). On
    SQLite the session's own (DEFERRED) transaction is as cheap.
    """
    if is_sqlite(session.get_bind()):
        yield session.connection()
        return
    with session.get_bind().connect() as conn:
        yield conn.execution_options(isolation_level="AUTOCOMMIT")


def read_only_transactions() -> contextvars.Token:
    """Make SQLite transactions in this context begin DEFERRED (for reads)."""
    return _begin_mode.set("DEFERRED")


def write_transactions() -> contextvars.Token:
    """Make SQLite transactions in this context begin IMMEDIATE (for writes)."""
    return _begin_mode.set("IMMEDIATE")


def reset_transactions(token: contextvars.Token) -> None:
    _begin_mode.reset(token)


@contextlib.contextmanager
def reading_only():
    """End this request's transaction and go on reading in a DEFERRED one.

    A POST's transaction begins IMMEDIATE (SQLite's write lock); a read recorded
    first on a connection of its own (`workers.services.note_access`) would wait
    on that lock.
    """
    from .extensions import db

    db.session.rollback()
    token = read_only_transactions()
    try:
        yield
    finally:
        reset_transactions(token)


def holds_write_lock() -> bool:
    """Whether this context's transactions begin IMMEDIATE: a writing request's, which on SQLite holds the write
    lock from its first statement on. What it writes besides should ride along with its commit."""
    return _begin_mode.get() == "IMMEDIATE"


def reads_first(view):
    """Decorate a POST view that authenticates and checks its input before it writes (`writing_now`).

    Its transaction begins DEFERRED, so on SQLite it holds no write lock while
    it reads the token, parses and checks; `writing_now()` then takes the lock
    only around the statements that must be one transaction. A view whose whole
    request held the lock would let one such request run at a time. Put it next
    to the route, before anything that reads the database.
    """
    from .extensions import db

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        db.session.rollback()
        token = read_only_transactions()
        try:
            return view(*args, **kwargs)
        finally:
            db.session.rollback()
            reset_transactions(token)

    return wrapper


def end_transaction_keeping_loaded(session) -> None:
    """Commit the session's transaction (a read's) without expiring what it loaded."""
    if not session.in_transaction():
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


@contextlib.contextmanager
def writing_now():
    """In a `reads_first` view: end the read transaction (committing anything it holds, expiring nothing) and go
    on in an IMMEDIATE one, which on SQLite takes the write lock at its first statement. PostgreSQL needs no
    such step: the read transaction simply goes on."""
    from .extensions import db

    if not is_sqlite(db.engine):
        yield
        return
    # What the read transaction loaded (the account, say) stays loaded: it only read, and reloading would put
    # those reads inside the lock.
    end_transaction_keeping_loaded(db.session())
    token = _begin_mode.set("IMMEDIATE")
    try:
        yield
    finally:
        _begin_mode.reset(token)


@contextlib.contextmanager
def reading_first():
    """A task's long reads before its writes (an import's file read and validated): on SQLite the transaction the
    block begins is DEFERRED, so it takes no write lock (in WAL mode readers never block writers) and every other
    change goes on meanwhile. The session's transaction is committed on entering (so the block begins its own: one
    begun IMMEDIATE before it would hold the lock throughout) and on leaving (the block only read), so the writes
    after it begin IMMEDIATE as the jobs process's always do, never by upgrading a stale read. On PostgreSQL nothing
    changes but the two commits.

    Without it a jobs process held SQLite's one write lock for the whole validation of a file: tens of seconds for
    100,000 rows, past every other writer's busy timeout."""
    from .extensions import db

    db.session.commit()
    token = _begin_mode.set("DEFERRED")
    try:
        yield
        db.session.commit()
    finally:
        _begin_mode.reset(token)


@contextlib.contextmanager
def write_intent():
    """Within the block, SQLite transactions begin IMMEDIATE again."""
    token = _begin_mode.set("IMMEDIATE")
    try:
        yield
    finally:
        _begin_mode.reset(token)


class Prepared:
    """A read statement compiled once per dialect and run on the driver's own cursor: for the hot public paths.

    Through SQLAlchemy's execution path a statement's cache key (a walk of the whole statement) and its result
    object are rebuilt on every call, which costs more than the database does for the card view or a listings
    page. Values go in by the statement's bind parameter names (those not given keep the values the statement
    was built with); dates as the column stores them (ISO text on SQLite). Rows come back as the driver gives
    them: on SQLite dates are ISO text (`as_date`) and booleans 0/1.
    """

    def __init__(self, statement) -> None:
        self.statement = statement
        self._compiled: dict = {}

    def rows(self, conn, params: dict) -> list[tuple]:
        dialect = conn.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self.statement.compile(dialect=dialect)
        if dialect.name == "sqlite":
            params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
        values = compiled.construct_params(params)
        if compiled.positional:
            values = tuple(values[name] for name in compiled.positiontup)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(compiled.string, values)
            return cursor.fetchall()
        finally:
            cursor.close()


def as_date(value) -> date | None:
    """A date from the driver: a date (PostgreSQL) or ISO text (SQLite)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _sql_function(name: str, type_, doc: str, *, sqlite: str, postgresql: str) -> type[FunctionElement]:
    """A SQL function of one argument written per engine: `sqlite` and `postgresql` are its text with `{}` where
    the argument goes. Used like any SQLAlchemy function: `local_day(ServiceReview.reviewed_dt)`."""
    made = type(name, (FunctionElement,), {"type": type_, "inherit_cache": True, "__doc__": doc})

    def written(template: str):
        return lambda element, compiler, **kw: template.format(compiler.process(element.clauses, **kw))

    compiles(made, "sqlite")(written(sqlite))
    compiles(made, "postgresql")(written(postgresql))
    return made


local_day = _sql_function(
    "local_day", Date(),
    """The Asia/Shanghai calendar day of a UTC moment column, in SQL (what `clock.local_date` is in Python), so a
    query can group or compare by the day the registry judges in.

    Shanghai has kept UTC+8 without summer time since 1991, and every moment the registry stores is later, so on
    SQLite (moments stored as UTC text) the day is the text's date eight hours on; PostgreSQL converts the
    timestamptz in the zone itself.""",
    sqlite="date({}, '+8 hours')", postgresql="CAST(({}) AT TIME ZONE 'Asia/Shanghai' AS DATE)")

day_text = _sql_function(
    "day_text", String(),
    """A day as its ISO text (`2026-03-01`, `date.isoformat`), whatever the server's date style: SQLite keeps a
    day as that text already; PostgreSQL formats it.""",
    sqlite="{}", postgresql="to_char({}, 'YYYY-MM-DD')")

lines_of = _sql_function(
    "lines_of", String(),
    """An aggregate: the group's texts (NULLs left out) joined by newlines, in no particular order (the caller
    sorts them): SQLite's `group_concat` orders only by accident before 3.44, so no order is promised on either
    engine. NULL when every text is NULL.""",
    sqlite="group_concat({}, char(10))", postgresql="string_agg({}, chr(10))")


# SQLSTATE classes that say the server cannot take the work now, not that the statement is wrong: 08 connection
# exception, 53 insufficient resources (too many connections, out of memory or disk), 57 operator intervention
# (shutting down, starting up, a statement cancelled by its timeout).
_OUTAGE_CLASSES = ("08", "53", "57")
# SQLite's words for the same: another writer held the file past the busy timeout, or the file cannot be used.
_SQLITE_OUTAGES = ("database is locked", "unable to open database file", "disk i/o error")


def end_request_transaction(session) -> None:
    """Roll back what a request left open. A database that went away meanwhile (a restart ending the connection)
    fails the rollback too; the request has answered already, so its answer stands and the dead connection is let
    go (`session.close`; the pool drops it), not turned into a 500 (a soak's restart of PostgreSQL, issue #17)."""
    try:
        session.rollback()
    except exc.DBAPIError as error:
        if not unavailable(error):
            raise
        log.warning("database unavailable at the end of a request (%s): its connection is dropped",
                    type(error.orig).__name__)
        session.close()


def unavailable(error: BaseException) -> bool:
    """Does `error` say the database cannot be reached or cannot take work for now — an outage, which the client
    may retry (503 `database_unavailable`) — rather than that a statement is wrong (a bug: 500)?

    A connection the pool found dead, a server that refuses or drops connections (PostgreSQL restarting: no
    SQLSTATE, or class 08 / 53 / 57), a SQLite file that is locked past the busy timeout or cannot be opened.
    """
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        orig = error.orig
    else:
        # The driver's own error, unwrapped: the hot read paths run on its cursor (`Prepared`). A soak's restart
        # of PostgreSQL answered a card look-up with a 500 for an `AdminShutdown` raised there.
        orig = error
    if type(orig).__module__.startswith("psycopg"):
        import psycopg

        state = getattr(orig, "sqlstate", None)
        return isinstance(orig, psycopg.OperationalError) and (state is None or state[:2] in _OUTAGE_CLASSES)
    if isinstance(orig, sqlite3.OperationalError):
        return str(orig).lower().startswith(_SQLITE_OUTAGES)
    return False
