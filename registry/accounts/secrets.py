"""Passwords (argon2), API tokens and TOTP: the pure parts."""
from __future__ import annotations

import hashlib
import re
import secrets
import string
from datetime import UTC, datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "jx_"  # noqa: S105 — the public prefix of every token, not a secret
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10

_strong = PasswordHasher()
# Only under test (REGISTRY_ARGON2_CHEAP, refused in production).
_cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# Spent on unknown logins so their timing matches a real verification.
_DUMMY = {}


def hasher(cheap: bool) -> PasswordHasher:
    return _cheap if cheap else _strong


def hash_password(password: str, cheap: bool = False) -> str:
    return hasher(cheap).hash(password)


def verify_password(stored: str | None, password: str, cheap: bool = False) -> bool:
    h = hasher(cheap)
    if stored is None:
        if cheap not in _DUMMY:
            _DUMMY[cheap] = h.hash("not-a-real-password")
        stored = _DUMMY[cheap]
        try:
            h.verify(stored, password)
        except (VerificationError, InvalidHashError):
            pass
        return False
    try:
        return h.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> tuple[str, str] | None:
    """(en, zh) saying why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return (f"Use at least {MIN_PASSWORD} characters.", f"密码至少 {MIN_PASSWORD} 个字符。")
    if len(set(password)) < 4:
        return ("Use a less repetitive password.", "密码过于简单，请勿重复同一字符。")
    return None


def temporary_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(raw: str) -> str:
    # Tokens carry 256 random bits: a fast hash is enough, and look-ups stay cheap.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (±1 for clock drift) at which `code` is valid, or None."""
    import hmac
    import time

    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.fromtimestamp(now if now is not None else time.time(), tz=UTC))
    for candidate in (step - 1, step, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None
