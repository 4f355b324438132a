"""Pooled connections: pinged before use only after sitting idle, and replaced when the ping fails."""
from __future__ import annotations

import pytest

from registry import database
from registry.extensions import db


def _pid(conn) -> int:
    return conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()


@pytest.mark.postgres
def test_a_connection_killed_while_idle_is_replaced_before_use(app, monkeypatch):
    import psycopg

    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as conn:
        old = _pid(conn)
    dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (old,))
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        assert _pid(conn) != old


def test_a_busy_connection_is_not_pinged_but_an_idle_one_is(app, monkeypatch):
    pings = []
    real = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    db.session.remove()
    # An empty pool: the connections the earlier tests left may have idled past the threshold on a busy machine.
    db.engine.dispose()
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    with db.engine.connect() as conn:  # the same connection, back a moment ago
        conn.exec_driver_sql("SELECT 1")
    assert pings == []
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert len(pings) == 1
