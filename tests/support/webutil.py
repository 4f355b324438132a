"""Helpers for page tests: CSRF tokens, form posts, signing in, counting rows."""
from __future__ import annotations

import re

import pyotp
from sqlalchemy import func, select

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no csrf_token on the page"
    return found.group(1)


def csrf(client, page: str) -> str:
    resp = client.get(page)
    assert resp.status_code == 200, (page, resp.status_code)
    return csrf_from(resp.get_data(as_text=True))


def post_form(client, path: str, data: dict | None = None, page: str | None = None, **kw):
    """Fetch `page` (default `path`) for its CSRF token, then post the form."""
    token = csrf(client, page or path)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kw)


def login(client, login: str, password: str, totp_secret: str | None = None, **kw):
    """Sign in through the pages; returns the last response (not followed)."""
    resp = post_form(client, "/login", {"login": login, "password": password}, **kw)
    if totp_secret is not None:
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/totp"), resp.status_code
        resp = post_form(client, "/login/totp", {"code": pyotp.TOTP(totp_secret).now()}, **kw)
    return resp


def regulator_client(app, reg):
    """A fresh browser of the agency user `reg` (the factory's: account, password, TOTP secret), signed in with the
    TOTP step reset, so a second browser of the same person may sign in within the same step."""
    from registry.extensions import db

    db.session.rollback()
    reg.account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    resp = login(c, reg.account.login, reg.password, reg.totp_secret)
    assert resp.status_code == 302, resp.status_code
    return c


def text(resp) -> str:
    return resp.get_data(as_text=True)


def count(model) -> int:
    from registry.extensions import db

    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def log_actions() -> list[str]:
    from registry.extensions import db
    from registry.log.models import LogEntry

    db.session.rollback()
    return list(db.session.execute(select(LogEntry.action).order_by(LogEntry.seq)).scalars())


def session_of(client) -> dict:
    """The decoded session cookie of a test client."""
    from flask import current_app

    cookie = client.get_cookie(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    if cookie is None:
        return {}
    return current_app.session_interface.get_signing_serializer(current_app).loads(cookie.value)


def backdate_sessions(*, created=None, seen=None) -> int:
    """Move every account session's sign-in (`created`) and last use (`seen`) back by these timedeltas.

    How the tests let time pass for server-side sessions: the rows say when,
    so editing them is the same to the registry as waiting.
    """
    from registry.accounts.models import AccountSession
    from registry.extensions import db

    db.session.rollback()
    rows = db.session.execute(select(AccountSession)).scalars().all()
    for row in rows:
        if created is not None:
            row.created_dt -= created
        if seen is not None:
            row.last_seen_dt -= seen
    db.session.commit()
    return len(rows)
