"""Who is calling: bearer tokens on the API, sessions on the pages."""
from __future__ import annotations

import functools
from datetime import timedelta

from flask import request, session
from sqlalchemy import select, update

from .. import clock
from ..api_util import documents_security
from ..database import holds_write_lock, write_intent
from ..errors import ApiError
from ..extensions import db, login_manager
from ..move.marker import moving
from . import sessions
from .models import Account, AccountSession, ApiToken
from .services import account_for_token

LAST_USED_GRANULARITY = timedelta(minutes=1)
_CACHE = "jiaxin.account"


def _unauthorized(why_en: str = "Authentication is required.", why_zh: str = "需要有效的令牌。") -> ApiError:
    return ApiError(401, "unauthorized", why_zh, why_en)


def bearer_account() -> Account | None:
    """The account of the request's bearer token; 401 for a bad one."""
    # Cached per request (not on `g`, which lives as long as the app context).
    if _CACHE in request.environ:
        return request.environ[_CACHE]
    header = request.headers.get("Authorization", "")
    if not header:
        request.environ[_CACHE] = None
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise _unauthorized("Use the header `Authorization: Bearer <token>`.",
                            "请使用 Authorization: Bearer <令牌> 请求头。")
    found = account_for_token(raw.strip())
    if found is None:
        raise _unauthorized("The token is unknown or revoked.", "令牌无效或已撤销。")
    account, token = found
    _touch(token)
    request.environ[_CACHE] = account
    return account


def _touch(token: ApiToken) -> None:
    """Record when a token was last used (at most once a minute, own transaction)."""
    now = clock.now()
    if token.last_used_dt and now - token.last_used_dt < LAST_USED_GRANULARITY:
        return
    if moving():
        return  # the database is being moved and takes no writes: a minute's bookkeeping can wait
    if holds_write_lock():
        # A writing request already holds the (SQLite) write lock on its own
        # connection: ride along with its commit instead of waiting on it.
        token.last_used_dt = now
        return
    with write_intent(), db.engine.begin() as conn:
        conn.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_dt=now))


def require(*roles: str):
    """Decorate an API view: a bearer token of one of `roles` (any role if none)."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            account = bearer_account()
            if account is None:
                raise _unauthorized()
            if roles and account.role not in roles:
                raise ApiError(403, "forbidden", "无权执行此操作。", "You may not do this.")
            return fn(*args, **kwargs)

        return documents_security(wrapper)

    return deco


def token_optional(fn):
    """Decorate an API view anyone may call, that acts as the token's account when one is sent (a bad one: 401)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        bearer_account()
        return fn(*args, **kwargs)

    return documents_security(wrapper, optional=True)


@login_manager.user_loader
def _load_user(ref: str):
    """The cookie's account, only while its server-side session lives (see registry/accounts/sessions.py).

    Flask-Login's own `_user_id` alone is not enough: a saved copy of the
    cookie would outlive signing out and a password change.
    """
    now = clock.now()
    row = sessions.find(session.get(sessions.COOKIE_KEY), now, sessions.lifetimes())
    account = None
    if row is not None:
        account = db.session.execute(select(Account).where(
            Account.id == row.account_id, Account.ref == ref, Account.disabled.is_(False))).scalar_one_or_none()
    if account is None:
        session.pop(sessions.COOKIE_KEY, None)
        return None
    _seen(row, now)
    return account


def _seen(row: AccountSession, now) -> None:
    """Record that the session was used (at most once a minute), which keeps it from idling out."""
    if now - row.last_seen_dt < sessions.SEEN_GRANULARITY or moving():
        return
    stmt = update(AccountSession).where(AccountSession.id == row.id).values(last_seen_dt=now)
    if holds_write_lock():
        # A writing request holds the (SQLite) write lock already: ride along with its commit. A statement,
        # not the loaded row, so a service that then ends the account's sessions finds nothing to update.
        db.session.execute(stmt)
        return
    with write_intent(), db.engine.begin() as conn:
        conn.execute(stmt)
