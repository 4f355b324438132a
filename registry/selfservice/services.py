"""Worker self-service operations: activation codes, PIN sign-in, sessions, consent codes.

Everything here is unlogged (docs/log.md, "Canonical states and aggregates"): PINs, codes, sessions and their
counters are credentials, not business state, so no operation writes a log
entry. Reads of personal data it causes (sending an activation code opens the
phone; a resident's consent view) are written to the worker's access record in
the same transaction.

A refusal that counted a wrong guess raises `Refusal`: the caller commits (so
the counter and any lock-out stick), then lets it answer. Every other refusal
stores nothing. Callers pass `now` (UTC), so tests can move the clock.

Answers never tell an existing card from a missing one: a wrong card, a missing
card and a wrong, expired, used or burnt code get one answer. Only the shape of
the input is judged apart (a card number's check character, a code's length),
which says nothing about any record.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets as pysecrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts import secrets as sec
from ..accounts.models import Account
from ..clock import SHANGHAI
from ..errors import ApiError, field_error, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, unseal
from ..notify import services as notify
from ..workers.models import Worker
from ..workers.services import check_card_no, may_view, record_access
from . import codes
from .models import WorkerCode, WorkerLogin, WorkerSession

TOKEN_PREFIX = "jxw_"  # noqa: S105 — the public prefix of every worker token, not a secret
CODE_MAX_FAILURES = 5
PIN_MAX_FAILURES = 5
# Live consent codes a worker may hold at once (a visit by two residents, say); the oldest gives way.
MAX_LIVE_CONSENT = 3
CONSENT_FIELDS = "status,employments,training,health,insurance,background,photo"


class Refusal(ApiError):
    """A refusal that counted a failure: commit first, then answer with it."""


def _activation_invalid() -> Refusal:
    en = ("The card number or the activation code is not right, or the code has expired or was already used. "
          "Check both against the card and the text message; your employer can send a new code.")
    zh = "卡号或激活码不对，或激活码已过期、已用过。请对照服务证和短信核对；需要新的激活码，请找用人企业。"
    return Refusal(422, "activation_code_invalid", zh, en, {"code": {"en": en, "zh": zh}})


def _consent_invalid() -> Refusal:
    en = ("This code does not open this card's record: it may be mistyped, expired or already used. "
          "Ask the worker to show the code again or make a new one.")
    zh = "这个同意码打不开此卡的记录：可能输错了、已过期或已用过。请服务人员再出示一次，或生成一个新的。"
    return Refusal(422, "consent_code_invalid", zh, en, {"consent_code": {"en": en, "zh": zh}})


def _login_failed() -> Refusal:
    return Refusal(401, "login_failed", "卡号或 PIN 不对，请核对后再试。连续输错 5 次 PIN 会暂时锁定。",
                   "The card number or PIN is not right: check them and try again. Five wrong PINs in a row "
                   "lock sign-in for a while.")


def _pin_locked(until: datetime, kind: type[ApiError] = ApiError) -> ApiError:
    """Sign-in is locked: `Refusal` for the wrong try that set the lock (its count is stored)."""
    local = until.astimezone(SHANGHAI).strftime("%H:%M")
    return kind(423, "pin_locked",
                    f"PIN 输错太多次，登录暂停到 {local}（北京时间），到时再试。忘了 PIN，可以请用人企业或监管部门"
                    "重新发送激活码。",
                    f"Too many wrong PINs: you can sign in again at {local} (Beijing time). Forgot your PIN? "
                    "Your employer or a regulator can send a new activation code.")


def _cfg(name: str) -> int:
    return int(current_app.config[name])


def _cheap() -> bool:
    return bool(current_app.config.get("ARGON2_CHEAP"))


def code_key(ring: KeyRing) -> bytes:
    """The key the code hashes are made under: derived from the `state` key, held outside the database.

    `state` is never rotated, so a live code survives any key rotation; the
    derivation label keeps these HMACs apart from the canonical states'.
    """
    return hmac.new(ring.current("state").material, b"jiaxin/worker-codes/v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class Issued:
    code: str  # the plain code: for the notification or the worker's own screen, never stored here
    expires: datetime


@dataclass(frozen=True)
class Started:
    token: str  # the plain bearer token, shown once
    expires: datetime
    worker: Worker


# --- input shape (judged without looking at any record) ----------------------------------------

def check_code(raw, field: str) -> str:
    code = codes.normalise(raw if isinstance(raw, str) else "")
    if not codes.well_formed(code):
        raise field_error(field, "A code has 8 letters and digits (like 7KQ3-M9TB).",
                          "代码为 8 位字母和数字（如 7KQ3-M9TB）。", code="code_format")
    return code


def check_pin(pin) -> str:
    problem = codes.pin_problem(pin)
    if problem:
        raise field_error("pin", problem[0], problem[1], code="pin_weak")
    return pin


# --- rows ---------------------------------------------------------------------------------------

def _worker(card_no: str) -> Worker | None:
    return db.session.execute(select(Worker).where(Worker.card_no == card_no)).scalar_one_or_none()


def _login_row(worker: Worker, *, create: bool) -> WorkerLogin | None:
    """The worker's login row, locked for this transaction (made if asked and missing)."""
    stmt = (select(WorkerLogin).where(WorkerLogin.worker_id == worker.id).with_for_update()
            .execution_options(populate_existing=True))
    row = db.session.execute(stmt).scalar_one_or_none()
    if row is None and create:
        try:
            with db.session.begin_nested():
                row = WorkerLogin(worker_id=worker.id, generation=0, failures=0)
                db.session.add(row)
        except IntegrityError:  # a concurrent request made it first
            row = db.session.execute(stmt).scalar_one()
    return row


def _subject(worker: Worker, employment_id: int | None) -> str:
    """What a code is bound to: the worker, or (a confirmation code) one employment of the worker."""
    return worker.ref if employment_id is None else f"{worker.ref}:employment:{employment_id}"


def _live_codes(worker: Worker, kind: str, now: datetime, employment_id: int | None = None) -> list[WorkerCode]:
    """The worker's unused, unburnt, unexpired codes of a kind (and employment), locked, oldest first."""
    return list(db.session.execute(
        select(WorkerCode).where(WorkerCode.worker_id == worker.id, WorkerCode.kind == kind,
                                 WorkerCode.employment_id.is_(None) if employment_id is None
                                 else WorkerCode.employment_id == employment_id,
                                 WorkerCode.used_dt.is_(None), WorkerCode.burnt_dt.is_(None),
                                 WorkerCode.expires_dt > now)
        .order_by(WorkerCode.id).with_for_update().execution_options(populate_existing=True)).scalars())


def _match(ring: KeyRing, worker: Worker, kind: str, code: str, now: datetime,
           employment_id: int | None = None) -> WorkerCode | None:
    """The live code of this kind that `code` is, or None after counting a wrong try on each live one.

    A code burns at its 5th wrong try, so guessing any one of them stops
    after 5 tries, however many are live.
    """
    live = _live_codes(worker, kind, now, employment_id)
    digest = codes.code_hash(code_key(ring), kind, _subject(worker, employment_id), code)
    found = next((c for c in live if hmac.compare_digest(c.code_hash, digest)), None)
    if found is None:
        for c in live:
            c.failures += 1
            if c.failures >= CODE_MAX_FAILURES:
                c.burnt_dt = now
    return found


def _new_code(ring: KeyRing, worker: Worker, kind: str, created_by: str, now: datetime,
              valid: timedelta, employment_id: int | None = None) -> Issued:
    code = codes.generate()
    expires = now + valid
    digest = codes.code_hash(code_key(ring), kind, _subject(worker, employment_id), code)
    db.session.add(WorkerCode(worker_id=worker.id, kind=kind, code_hash=digest, employment_id=employment_id,
                              created_by=created_by, created_dt=now, expires_dt=expires, failures=0))
    return Issued(code, expires)


def _withdraw(worker: Worker, now: datetime, kinds: tuple[str, ...]) -> None:
    db.session.execute(update(WorkerCode).where(
        WorkerCode.worker_id == worker.id, WorkerCode.kind.in_(kinds), WorkerCode.used_dt.is_(None),
        WorkerCode.burnt_dt.is_(None)).values(burnt_dt=now))


def _end_sessions(worker: Worker, now: datetime) -> None:
    db.session.execute(update(WorkerSession).where(
        WorkerSession.worker_id == worker.id, WorkerSession.ended_dt.is_(None)).values(ended_dt=now))


def organisation_of(account: Account) -> str | None:
    if account.company_id:
        return account.company.name
    return account.agency.name_zh if account.agency_id else None


# --- activation ---------------------------------------------------------------------------------

def activation_link(card_no: str) -> str:
    """The activation page with the card number filled in, for the text message.

    The card number is printed on the card and may travel in a URL; the code
    never does (a link holding it would be a credential in every log and
    browser history it passes through), so it stays in the message body.
    """
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}/me/activate?{urlencode({'card_no': card_no})}"


def issue_activation_code(ring: KeyRing, *, actor: Account, worker: Worker, now: datetime) -> Issued:
    """Send the worker a new activation code; the old PIN, sessions and codes stop working.

    For a current employer or a regulator who may view the worker (others:
    not found). The code goes to the phone on record through the notification
    interface; the caller is told only that it was sent. Opening the phone is
    a read of personal data, so it is written to the worker's access record.
    """
    if not may_view(actor, worker):
        raise not_found("worker", "从业人员")
    from ..retention.erasure import require_not_erased

    require_not_erased(worker)  # no phone to send the code to
    login = _login_row(worker, create=True)
    login.generation += 1
    login.pin_hash = None
    login.failures = 0
    login.locked_until_dt = None
    login.activated_dt = None
    _end_sessions(worker, now)
    # Consent codes made under the old PIN go too: whoever held it may not be the worker.
    _withdraw(worker, now, ("activation", "consent"))
    issued = _new_code(ring, worker, "activation", actor.ref, now, timedelta(hours=_cfg("ACTIVATION_CODE_HOURS")))
    phone = unseal(ring, worker.phone_enc, aad("workers", "phone", worker.ref))
    hours = _cfg("ACTIVATION_CODE_HOURS")
    link = activation_link(worker.card_no)
    text = (f"【家信】您的激活码 {codes.grouped(issued.code)}（卡号 {worker.card_no}），{hours} 小时内有效。"
            f"请打开 {link} 输入激活码并设置 PIN，查看本人记录。请勿告诉任何人，包括企业工作人员。"
            f" Jiaxin activation code {codes.grouped(issued.code)} for card {worker.card_no}, valid {hours} h: "
            f"open {link} to set your PIN. Tell no one.")
    notify.send(ring, notify.Message(kind="activation_code", recipient=phone, text=text))
    record_access(db.session, worker=worker, accessor_ref=actor.ref,
                  accessor_kind="company" if actor.company_id else "regulator",
                  organisation=organisation_of(actor), purpose="activation_code", fields="phone", at=now)
    return issued


def activate(ring: KeyRing, *, card_no, code, pin, now: datetime) -> Started:
    """Card number + activation code → the PIN is set and a session starts."""
    card = check_card_no(card_no)
    code = check_code(code, "code")
    pin = check_pin(pin)
    worker = _worker(card)
    login = _login_row(worker, create=False) if worker is not None else None
    row = _match(ring, worker, "activation", code, now) if login is not None else None
    if row is None:
        raise _activation_invalid()
    row.used_dt = now
    login.pin_hash = sec.hash_password(pin, _cheap())
    login.failures = 0
    login.locked_until_dt = None
    login.activated_dt = now
    return _start(worker, login, now)


# --- PIN sign-in and sessions -------------------------------------------------------------------

def sign_in(*, card_no, pin, now: datetime) -> Started:
    """Card number + PIN → a session; 5 wrong PINs in a row lock sign-in for PIN_LOCK_MINUTES.

    Wrong tries count on any existing card, activated or not, so the lock
    itself does not tell whether a card's owner has activated self-service.
    """
    card = check_card_no(card_no)
    pin = pin if isinstance(pin, str) else ""
    worker = _worker(card)
    if worker is None:
        sec.verify_password(None, pin, _cheap())  # the same work as a real check
        raise _login_failed()
    login = _login_row(worker, create=True)
    if login.locked_until_dt is not None and login.locked_until_dt > now:
        raise _pin_locked(login.locked_until_dt)
    if not sec.verify_password(login.pin_hash, pin, _cheap()):
        login.failures += 1
        if login.failures >= PIN_MAX_FAILURES:
            login.failures = 0
            login.locked_until_dt = now + timedelta(minutes=_cfg("PIN_LOCK_MINUTES"))
            raise _pin_locked(login.locked_until_dt, Refusal)
        raise _login_failed()
    login.failures = 0
    login.locked_until_dt = None
    return _start(worker, login, now)


def _start(worker: Worker, login: WorkerLogin, now: datetime) -> Started:
    raw = TOKEN_PREFIX + pysecrets.token_urlsafe(32)
    expires = now + timedelta(hours=_cfg("WORKER_SESSION_HOURS"))
    db.session.add(WorkerSession(token_hash=sec.token_digest(raw), worker_id=worker.id,
                                 generation=login.generation, created_dt=now, expires_dt=expires))
    return Started(raw, expires, worker)


def worker_for_token(raw: str, now: datetime) -> tuple[Worker, WorkerSession] | None:
    """The signed-in worker of a session token, if the session is live and of the current PIN."""
    if not isinstance(raw, str) or not raw.startswith(TOKEN_PREFIX):
        return None
    session = db.session.execute(
        select(WorkerSession).where(WorkerSession.token_hash == sec.token_digest(raw))).scalar_one_or_none()
    if session is None or session.ended_dt is not None or session.expires_dt <= now:
        return None
    login = db.session.execute(
        select(WorkerLogin).where(WorkerLogin.worker_id == session.worker_id)).scalar_one_or_none()
    if login is None or login.pin_hash is None or login.generation != session.generation:
        return None
    return db.session.get(Worker, session.worker_id), session


def sign_out(session: WorkerSession, now: datetime) -> None:
    session.ended_dt = now


# --- consent codes ------------------------------------------------------------------------------

def create_consent_code(ring: KeyRing, *, worker: Worker, now: datetime) -> Issued:
    """A fresh single-use consent code for the worker to give a resident at the door.

    Earlier unexpired codes stay valid (two residents may each need one), up
    to MAX_LIVE_CONSENT at once: beyond that the oldest gives way.
    """
    live = _live_codes(worker, "consent", now)
    for old in live[:max(0, len(live) - MAX_LIVE_CONSENT + 1)]:
        old.burnt_dt = now
    return _new_code(ring, worker, "consent", "worker", now, timedelta(minutes=_cfg("CONSENT_CODE_MINUTES")))


def consent_code_live(ring: KeyRing, *, worker: Worker, code: str, now: datetime) -> bool:
    """Whether `code` is still one of the worker's live consent codes: unused, unburnt, unexpired.

    The worker's own page asks, to keep showing a code only while it can be used; nothing is counted.
    """
    digest = codes.code_hash(code_key(ring), "consent", _subject(worker, None), code)
    return db.session.execute(select(WorkerCode.id).where(
        WorkerCode.worker_id == worker.id, WorkerCode.kind == "consent", WorkerCode.employment_id.is_(None),
        WorkerCode.code_hash == digest, WorkerCode.used_dt.is_(None), WorkerCode.burnt_dt.is_(None),
        WorkerCode.expires_dt > now)).first() is not None


def open_with_consent(ring: KeyRing, *, card_no, consent_code, now: datetime) -> tuple[Worker, WorkerCode]:
    """Spend a consent code on its card and write the resident's view to the access record.

    The caller builds the detailed view after this returns (the access row is
    in the same transaction, before anything is shown).
    """
    card = check_card_no(card_no)
    code = check_code(consent_code, "consent_code")
    worker = _worker(card)
    row = _match(ring, worker, "consent", code, now) if worker is not None else None
    if row is None:
        raise _consent_invalid()
    row.used_dt = now
    record_access(db.session, worker=worker, accessor_ref=f"consent:{row.id}", accessor_kind="resident",
                  organisation=None, purpose="consent_view", fields=CONSENT_FIELDS, at=now)
    return worker, row


# --- housekeeping -------------------------------------------------------------------------------

# Spent codes and ended sessions are kept this long (to answer "was this code used?"), then deleted.
SPENT_KEPT_DAYS = 30


def prune_spent(now: datetime, kept_days: int = SPENT_KEPT_DAYS) -> dict[str, int]:
    """Delete codes and sessions that stopped working more than `kept_days` ago. Does not commit.

    They are credentials, not business records (unlogged); a live code, a live
    session and the access record are never touched.
    """
    cutoff = now - timedelta(days=kept_days)
    # A code stops working at the first of its expiry, its use and its burning; a session at its expiry or end.
    codes_gone = db.session.execute(delete(WorkerCode).where(or_(
        WorkerCode.expires_dt < cutoff, WorkerCode.used_dt < cutoff, WorkerCode.burnt_dt < cutoff))).rowcount
    sessions_gone = db.session.execute(delete(WorkerSession).where(
        or_(WorkerSession.expires_dt < cutoff, WorkerSession.ended_dt < cutoff))).rowcount
    return {"codes": codes_gone, "sessions": sessions_gone}
