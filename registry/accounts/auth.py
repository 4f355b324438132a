"""Who is calling: bearer tokens on the API, sessions on the pages."""
from __future__ import annotations

import functools
from datetime import timedelta

from flask import request
from flask_login import current_user
from sqlalchemy import select, update

from .. import clock
from ..database import write_intent
from ..errors import ApiError
from ..extensions import db, login_manager
from .models import Account, ApiToken
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
        raise _unauthorized("Use the header `Authorization: Bearer <token>`.", "请使用 Authorization: Bearer <令牌> 请求头。")
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
    if request.method not in ("GET", "HEAD", "OPTIONS"):
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

        return wrapper

    return deco


def optional_account() -> Account | None:
    return bearer_account()


@login_manager.user_loader
def _load_user(ref: str):
    return db.session.execute(select(Account).where(Account.ref == ref, Account.disabled.is_(False))).scalar_one_or_none()


def web_account() -> Account | None:
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None
