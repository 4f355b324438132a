"""Counting the SQL statements a call makes (a page, a gathering) so a test can hold the number fixed."""
from __future__ import annotations

import contextlib
import tempfile

from sqlalchemy import event

from registry.extensions import db


@contextlib.contextmanager
def marker_settled():
    """Whether the database is being moved (registry/move/marker.py) is read at most once a second, by whichever
    request comes then: read it now and keep that reading through the measured call, so a count is the call's own
    and not the second's."""
    from registry.move import marker

    marker.current(db.engine)
    saved = marker.CHECK_SECONDS
    marker.CHECK_SECONDS = float("inf")
    try:
        yield
    finally:
        marker.CHECK_SECONDS = saved


def count_statements(fn) -> int:
    """How many SQL statements `fn()` runs."""
    statements = []

    def count(*args):
        statements.append(args[2])

    with marker_settled():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


@contextlib.contextmanager
def round_trips():
    """Count the database round trips made through connections checked out meanwhile.

    PostgreSQL: the protocol's ReadyForQuery messages in libpq's trace (one per
    completed exchange). SQLite: the statements the library ran, transaction
    control left out (SQLite is in the process; its statements stand for the
    trips a server would cost).
    """
    from tests.conftest import ON_POSTGRES

    counted: list[str] = []
    traced = []
    trace = tempfile.TemporaryFile()

    def checkout(dbapi_connection, _record, _proxy):
        traced.append(dbapi_connection)
        if ON_POSTGRES:
            import psycopg

            dbapi_connection.pgconn.trace(trace.fileno())
            dbapi_connection.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
        else:
            dbapi_connection.set_trace_callback(counted.append)

    db.session.rollback()  # the test's own connection goes back to the pool: the request checks one out
    db.session.close()
    settled = marker_settled()
    settled.__enter__()
    event.listen(db.engine, "checkout", checkout)

    def count() -> int:
        if ON_POSTGRES:
            trace.seek(0)
            return sum(1 for line in trace.read().decode(errors="replace").splitlines()
                       if line.startswith("B") and "ReadyForQuery" in line)
        control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
        return sum(1 for sql in counted if not sql.lstrip().upper().startswith(control))

    counts: list[int] = []
    try:
        yield lambda: counts[0]
    finally:
        event.remove(db.engine, "checkout", checkout)
        settled.__exit__(None, None, None)
        for conn in traced:
            if ON_POSTGRES:
                conn.pgconn.untrace()
            else:
                conn.set_trace_callback(None)
        counts.append(count())
        trace.close()
