"""Account operations. Each changes one aggregate (the account's company or
agency), records its log entry, and never commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..errors import ApiError, field_error, forbidden, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import SYSTEM_ACTOR, Recorded, record_change
from ..models import new_ref
from . import secrets as sec
from . import sessions
from .models import SECTORS, Account, AccountSession, Agency, ApiToken
from .roles import AGENCY_KINDS, Role, agency_roles


@dataclass
class NewAccount:
    account: Account
    password: str | None  # a generated temporary password, shown once
    totp_secret: str | None  # shown once, for the authenticator app
    recorded: Recorded | None = None


def _cheap() -> bool:
    return bool(current_app.config.get("ARGON2_CHEAP"))


def check_login_free(login: str, field: str = "login") -> None:
    if not sec.LOGIN_RE.match(login or ""):
        raise field_error(field, "Use 3–64 lower-case letters, digits, '.', '_' or '-'.",
                          "登录名须为 3–64 位小写字母、数字或 . _ -。")
    if db.session.execute(select(Account.id).where(Account.login == login)).first():
        raise ApiError(409, "login_taken", "该登录名已被使用。", "This login is taken.",
                       {field: {"en": "This login is taken.", "zh": "该登录名已被使用。"}})


def check_password(password: str, field: str = "password") -> None:
    problem = sec.password_problem(password or "")
    if problem:
        raise field_error(field, problem[0], problem[1], code="weak_password")


def build_account(ring: KeyRing, *, login: str, name: str, role: str, password: str | None,
                  login_field: str = "login", password_field: str = "password",  # noqa: S107 — field names
                  ) -> NewAccount:
    """Make an account row (not yet attached); generate what was not given."""
    check_login_free(login, login_field)
    generated = password is None
    if generated:
        password = sec.temporary_password()
    else:
        check_password(password, password_field)
    ref = new_ref()
    account = Account(ref=ref, login=login, role=role,
                      name_enc=seal(ring, name, aad("accounts", "name", ref)),
                      name_state=state_hmac(ring, "name", name),
                      password_hash=sec.hash_password(password, _cheap()),
                      must_change_password=generated)
    totp_secret = None
    if account.needs_totp:
        totp_secret = sec.new_totp_secret()
        _set_totp(ring, account, totp_secret)
    return NewAccount(account, password if generated else None, totp_secret)


def _set_totp(ring: KeyRing, account: Account, secret: str) -> None:
    account.totp_enc = seal(ring, secret, aad("accounts", "totp", account.ref))
    account.totp_state = state_hmac(ring, "totp", secret)


def totp_secret(ring: KeyRing, account: Account) -> str | None:
    if not account.totp_enc:
        return None
    return unseal(ring, account.totp_enc, aad("accounts", "totp", account.ref))


# --- agencies -------------------------------------------------------------

def create_agency(ring: KeyRing, *, actor: str, code: str, name_zh: str, name_en: str, kind: str,
                  sector: str | None) -> tuple[Agency, Recorded]:
    if kind not in AGENCY_KINDS:
        raise field_error("kind", "Unknown agency kind.", "未知的机构类型。")
    if kind == "regulator" and sector not in SECTORS:
        raise field_error("sector", "A regulator needs a sector.", "监管机构须指定行业。")
    if kind == "operator":
        sector = None
    if db.session.execute(select(Agency.id).where(Agency.code == code)).first():
        raise ApiError(409, "agency_exists", "该机构代码已存在。", "An agency with this code exists.",
                       {"code": {"en": "Already exists.", "zh": "已存在。"}})
    agency = Agency(code=code, name_zh=name_zh, name_en=name_en, kind=kind, sector=sector)
    db.session.add(agency)
    return agency, record_change(ring, actor=actor, action=Action.AGENCY_CREATE, aggregate=agency)


def add_agency_user(ring: KeyRing, *, actor: Account | None, agency: Agency, login: str, name: str,
                    role: str, password: str | None = None) -> NewAccount:
    """Add a regulator (or operator) user; `actor` None means the CLI."""
    allowed = agency_roles(agency.kind)
    if role not in allowed:
        raise field_error("role", f"Role must be one of: {', '.join(allowed)}.", f"角色必须是：{'、'.join(allowed)}。")
    if actor is not None and not can_manage_agency(actor, agency):
        raise forbidden()
    new = build_account(ring, login=login, name=name, role=role, password=password)
    new.account.agency = agency
    db.session.add(new.account)
    new.recorded = record_change(ring, actor=actor.ref if actor else SYSTEM_ACTOR, action=Action.AGENCY_USER_ADD,
                                 aggregate=agency)
    return new


def agencies() -> list[Agency]:
    """Every agency (the regulators and the operator), by code."""
    return list(db.session.execute(select(Agency).order_by(Agency.code)).scalars())


def managed_agency(actor: Account, code: str | None) -> Agency:
    """The agency named by `code` (without one, the actor's own) if `actor` administers it; 404 otherwise.

    An agency the actor may not manage is answered like one that does not exist.
    """
    if not code:
        return actor.agency
    agency = db.session.execute(select(Agency).where(Agency.code == code)).scalar_one_or_none()
    if agency is None or not can_manage_agency(actor, agency):
        raise not_found("agency", "机构")
    return agency


def can_manage_agency(actor: Account, agency: Agency) -> bool:
    if actor.role == Role.OPERATOR_ADMIN:
        return True
    return actor.role == Role.REGULATOR_ADMIN and actor.agency_id == agency.id


def can_manage(actor: Account, target: Account) -> bool:
    """May `actor` reset, disable or enable `target`?"""
    if actor.id == target.id:
        return False
    if actor.role == Role.OPERATOR_ADMIN:
        return True
    if actor.role == Role.REGULATOR_ADMIN:
        return target.agency_id is not None and target.agency_id == actor.agency_id
    if actor.role == Role.COMPANY_ADMIN:
        return target.company_id is not None and target.company_id == actor.company_id
    return False


def visible_account(actor: Account, ref: str) -> Account:
    target = db.session.execute(select(Account).where(Account.ref == ref)).scalar_one_or_none()
    if target is None or not (can_manage(actor, target) or actor.id == target.id):
        raise not_found("account", "账号")
    return target


# --- sign-in --------------------------------------------------------------

def authenticate(login: str, password: str) -> Account | None:
    """The account for these credentials, or None (same cost either way)."""
    account = db.session.execute(
        select(Account).where(Account.login == (login or "").strip().lower())).scalar_one_or_none()
    ok = sec.verify_password(account.password_hash if account else None, password or "", _cheap())
    if not ok or account is None or account.disabled:
        return None
    return account


def pending_sign_in(raw, now: datetime, life: sessions.Lifetimes) -> tuple[AccountSession, Account] | None:
    """The live half-finished sign-in (password checked, TOTP not yet) of a cookie's id and its enabled account."""
    row = sessions.find(raw, now, life, pending=True)
    if row is None:
        return None
    account = db.session.execute(
        select(Account).where(Account.id == row.account_id, Account.disabled.is_(False))).scalar_one_or_none()
    return (row, account) if account is not None else None


def record_sign_in(account: Account, now: datetime) -> None:
    """Note when the account last signed in (committed with its new session).

    Sign-ins are not state changes: no log entry, and the time is kept out of the canonical state.
    """
    account.last_login_dt = now


def check_totp(ring: KeyRing, account: Account, code: str) -> bool:
    """Accept a code once: a step at or before the last one accepted is a replay."""
    secret = totp_secret(ring, account)
    step = sec.totp_step(secret, code) if secret else None
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        return False
    # Not a logged state change (like the sign-in time); committed with the sign-in.
    account.totp_last_step = step
    return True


# --- passwords and second factors ---------------------------------------------

def change_password(ring: KeyRing, *, account: Account, current: str, new: str) -> Recorded:
    if not sec.verify_password(account.password_hash, current or "", _cheap()):
        raise field_error("current_password", "The current password is wrong.", "当前密码不正确。",
                          code="wrong_password", status=403)
    check_password(new, "new_password")
    if new == current:
        raise field_error("new_password", "Choose a new password.", "新密码不能与当前密码相同。", code="weak_password")
    account.password_hash = sec.hash_password(new, _cheap())
    account.must_change_password = False
    # Whoever else holds a session (a saved cookie, a forgotten browser) is out; the page starts a fresh one.
    sessions.end_all(account)
    return record_change(ring, actor=account.ref, action=Action.ACCOUNT_PASSWORD_CHANGE, aggregate=account.aggregate)


def reset_password(ring: KeyRing, *, actor: Account, target: Account) -> tuple[str, Recorded]:
    """Give `target` a temporary password that must be changed at sign-in."""
    if not can_manage(actor, target):
        raise forbidden()
    password = sec.temporary_password()
    target.password_hash = sec.hash_password(password, _cheap())
    target.must_change_password = True
    sessions.end_all(target)
    return password, record_change(ring, actor=actor.ref, action=Action.ACCOUNT_PASSWORD_RESET,
                                   aggregate=target.aggregate)


def reset_totp(ring: KeyRing, *, actor: Account, target: Account) -> tuple[str, Recorded]:
    if not can_manage(actor, target) or not target.needs_totp:
        raise forbidden()
    secret = sec.new_totp_secret()
    _set_totp(ring, target, secret)
    # Also the half-finished sign-ins, which were waiting for a code of the old secret.
    sessions.end_all(target)
    return secret, record_change(ring, actor=actor.ref, action=Action.ACCOUNT_TOTP_RESET, aggregate=target.aggregate)


def set_disabled(ring: KeyRing, *, actor: Account, target: Account, disabled: bool) -> Recorded:
    if not can_manage(actor, target):
        raise forbidden()
    if target.disabled == disabled:
        raise ApiError(409, "no_change", "账号已处于该状态。", "The account is already in that state.")
    target.disabled = disabled
    if disabled:
        # A disabled account's tokens and web sessions stop working at once and for good.
        for token in target.tokens:
            if token.revoked_dt is None:
                token.revoked_dt = clock.now()
        sessions.end_all(target)
    return record_change(ring, actor=actor.ref, aggregate=target.aggregate,
                         action=Action.ACCOUNT_DISABLE if disabled else Action.ACCOUNT_ENABLE)


# --- API tokens -----------------------------------------------------------

def issue_token(ring: KeyRing, *, account: Account, name: str) -> tuple[ApiToken, str, Recorded]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise field_error("name", "Give the token a name of 1–100 characters.", "令牌名称须为 1–100 个字符。")
    raw = sec.new_token()
    token = ApiToken(account=account, name=name, token_hash=sec.token_digest(raw), prefix=raw[:10])
    db.session.add(token)
    recorded = record_change(ring, actor=account.ref, action=Action.ACCOUNT_TOKEN_ISSUE, aggregate=account.aggregate)
    return token, raw, recorded


def revoke_token(ring: KeyRing, *, account: Account, token_id: int) -> Recorded:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.account_id != account.id:
        raise not_found("token", "令牌")
    if token.revoked_dt is not None:
        raise ApiError(409, "token_revoked", "该令牌已被撤销。", "This token is already revoked.")
    token.revoked_dt = clock.now()
    return record_change(ring, actor=account.ref, action=Action.ACCOUNT_TOKEN_REVOKE, aggregate=account.aggregate)


def account_for_token(raw: str) -> tuple[Account, ApiToken] | None:
    if not raw.startswith(sec.TOKEN_PREFIX):
        return None
    # One statement for both (every API request runs it): the token and its account joined.
    row = db.session.execute(
        select(ApiToken, Account).join(Account, Account.id == ApiToken.account_id)
        .where(ApiToken.token_hash == sec.token_digest(raw))
    ).first()
    if row is None:
        return None
    token, account = row
    if token.revoked_dt is not None or account.disabled:
        return None
    return account, token
