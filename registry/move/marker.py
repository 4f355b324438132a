"""Whether this database is being moved (or was moved) to PostgreSQL, and the 503 every write then answers.

The marker is a row of `db_moves` in the database itself, so every process sharing the SQLite file sees it: each
gunicorn worker, each jobs process. A process reads it at most once a `CHECK_SECONDS` (on a connection of its own,
outside the request's transaction, never waiting on the write lock), so checking costs nothing per request. The
marker is what makes the answer clear (503 `registry_moving`, Retry-After); what makes the source hold still is
the move holding SQLite's write lock through the copy (`services`), so even a writer that does not ask (an older
process, a `flask` command) waits and changes nothing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask, request
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..errors import ApiError
from .models import DbMove

# How long a process trusts what it last read of the marker; the move waits a little longer than this after setting
# it before it copies anything, so by then every process has seen it.
CHECK_SECONDS = 1.0
# A move takes minutes; clients are asked to come back in one (and to the new address, which the operator sets).
RETRY_SECONDS = 60


@dataclass(frozen=True)
class Marker:
    move_id: str
    target: str
    state: str  # moving | moved


_SEEN: dict[str, tuple[float, Marker | None]] = {}


def read(engine: Engine) -> Marker | None:
    """The marker as the database holds it now (None: no move), read outside any transaction of the caller's."""
    from ..database import read_only_transactions, reset_transactions

    token = read_only_transactions()
    try:
        with engine.connect() as conn:
            if conn.dialect.name != "sqlite":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            row = conn.execute(select(DbMove.move_id, DbMove.target, DbMove.state).order_by(DbMove.id)).first()
    finally:
        reset_transactions(token)
    return Marker(*row) if row else None


def current(engine: Engine) -> Marker | None:
    """The marker, read again when this process last read it over `CHECK_SECONDS` ago. A database that cannot be
    asked (no table yet, an outage) counts as not moving: the write then meets the database's own answer."""
    key = engine.url.render_as_string()
    seen = _SEEN.get(key)
    now = time.monotonic()
    if seen is not None and now - seen[0] < CHECK_SECONDS:
        return seen[1]
    try:
        marker = read(engine)
    except DBAPIError:
        marker = None
    _SEEN[key] = (now, marker)
    return marker


def forget() -> None:
    """Read the marker afresh next time (the move itself, and tests)."""
    _SEEN.clear()


def moving() -> bool:
    """In an app context: does the app's database take no writes now?"""
    from ..extensions import db

    return current(db.engine) is not None


def refusal() -> ApiError:
    return ApiError(503, "registry_moving",
                    "登记系统正在迁移到新的数据库，暂时只能查询，不能修改；未保存任何内容，请稍后重试。",
                    "The registry is moving to a new database: it answers reads but takes no changes just now; "
                    "nothing was stored. Try again shortly.",
                    headers=[("Retry-After", str(RETRY_SECONDS))])


def refuse_if_moving() -> None:
    """For writes a GET makes on the side (a read of personal data recorded before it is shown): refuse the read
    rather than show it unrecorded."""
    if moving():
        raise refusal()


def register(app: Flask) -> None:
    """Answer every write (any method but GET, HEAD, OPTIONS) with 503 `registry_moving` while the marker stands."""

    @app.before_request
    def _no_writes_while_moving():
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        refuse_if_moving()
