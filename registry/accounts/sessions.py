"""Accounts' web sessions, held on the server.

The signed session cookie carries a random session id; the database keeps only
its SHA-256 (`AccountSession`). A cookie signs its account in only while that
row exists and is within both lifetimes: idle (since the session was last
used) and absolute (since sign-in). So signing out, and a password change or
reset, a TOTP reset or disabling the account (which delete every row of the
account), end the session on the server: a saved copy of the cookie opens
nothing afterwards.

Sessions are credentials, not business state: nothing here writes a log
entry, and nothing here commits. Callers pass `now` (UTC), so tests can move
the clock by passing a later time or by editing a row's timestamps.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select, update

from ..extensions import db
from . import secrets as sec
from .models import Account, AccountSession

# The key in the signed session cookie that holds the session id.
COOKIE_KEY = "account_session"
# A password checked without its TOTP code may be finished this long after (and never past the lifetimes).
PENDING_SECONDS = 300
# A password checked without its TOTP code allows this many wrong codes; the last one ends it.
PENDING_MAX_CODES = 5
# `last_seen_dt` is written at most this often: reads stay cheap, and idle time is judged a minute coarse.
SEEN_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    @property
    def pending(self) -> timedelta:
        return min(timedelta(seconds=PENDING_SECONDS), self.idle, self.absolute)


def lifetimes(config=None) -> Lifetimes:
    """REGISTRY_SESSION_IDLE_MINUTES (default 30) and REGISTRY_SESSION_MAX_HOURS (default 12)."""
    config = config if config is not None else current_app.config
    return Lifetimes(idle=timedelta(minutes=int(config["SESSION_IDLE_MINUTES"])),
                     absolute=timedelta(hours=int(config["SESSION_MAX_HOURS"])))


def is_live(row: AccountSession, now: datetime, life: Lifetimes) -> bool:
    """Is the session within its lifetimes at `now`? (A pending one has the short TOTP-step lifetime.)"""
    if row.pending:
        return now - row.created_dt < life.pending
    return now - row.last_seen_dt < life.idle and now - row.created_dt < life.absolute


def start(account: Account, now: datetime, *, pending: bool = False) -> str:
    """A new session of `account`; returns the id for the cookie (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    db.session.add(AccountSession(token_hash=sec.token_digest(raw), account_id=account.id, pending=pending,
                                  created_dt=now, last_seen_dt=now))
    return raw


def find(raw, now: datetime, life: Lifetimes, *, pending: bool = False) -> AccountSession | None:
    """The live session (or, with `pending`, the live half-finished sign-in) of a cookie's id."""
    if not isinstance(raw, str) or not raw:
        return None
    row = db.session.execute(
        select(AccountSession).where(AccountSession.token_hash == sec.token_digest(raw))).scalar_one_or_none()
    if row is None or row.pending != pending or not is_live(row, now, life):
        return None
    return row


def wrong_code(row: AccountSession) -> bool:
    """Count a wrong TOTP code against a pending session; True when that was the last allowed, and the row is gone.

    One UPDATE adds to the count in the database, so two requests sent at once with the same cookie both count.
    """
    codes = db.session.execute(
        update(AccountSession).where(AccountSession.id == row.id)
        .values(wrong_codes=AccountSession.wrong_codes + 1).returning(AccountSession.wrong_codes)
    ).scalar_one_or_none()
    if codes is None or codes >= PENDING_MAX_CODES:
        db.session.execute(delete(AccountSession).where(AccountSession.id == row.id))
        return True
    return False


def renew(raw) -> str | None:
    """A new id for the session of `raw`, its times kept: the old id opens nothing from then on.

    None when no row has that id any more (another request with the same
    cookie renewed or ended it first): one statement, so of two requests at
    once with one cookie only one goes on.
    """
    if not isinstance(raw, str) or not raw:
        return None
    new = secrets.token_urlsafe(32)
    renewed = db.session.execute(update(AccountSession).where(AccountSession.token_hash == sec.token_digest(raw))
                                 .values(token_hash=sec.token_digest(new))).rowcount
    return new if renewed == 1 else None


def end(raw) -> None:
    """Sign one browser out: its row goes."""
    if isinstance(raw, str) and raw:
        db.session.execute(delete(AccountSession).where(AccountSession.token_hash == sec.token_digest(raw)))


def end_all(account: Account) -> None:
    """End every session of the account, half-finished sign-ins included (in the caller's transaction)."""
    db.session.execute(delete(AccountSession).where(AccountSession.account_id == account.id))


def prune_ended(now: datetime, life: Lifetimes) -> int:
    """Delete the sessions that are past a lifetime. Does not commit; a live session is never touched."""
    return db.session.execute(delete(AccountSession).where(or_(
        and_(AccountSession.pending.is_(True), AccountSession.created_dt <= now - life.pending),
        AccountSession.last_seen_dt <= now - life.idle,
        AccountSession.created_dt <= now - life.absolute,
    ))).rowcount
