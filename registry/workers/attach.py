"""Attaching an existing worker to another employer: pending until the worker confirms.

Knowing a person's name and ID number proves nothing (they leak widely), so a
company that registers someone already in the registry gets a pending
employment that opens nothing (see `Employment.active`). A confirmation code
goes to the phone on record through the notification interface — never to the
company, never into a log entry — and the worker either gives it to the new
employer, who enters it, or confirms in self-service. An attachment not
confirmed by its `pending_until` day lapses: the hourly job ends it.

The code machinery is the self-service one (HMAC-stored, bound to the
employment, single use, burnt after 5 wrong tries); wrong codes also spend the
per-card attempt budget at the endpoints. Each service records its log entry
last and never commits.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Account
from ..accounts.roles import COMPANY_ROLES
from ..clock import SHANGHAI
from ..companies.models import Company
from ..errors import ApiError, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, unseal
from ..log.actions import Action
from ..log.services import SYSTEM_ACTOR, Recorded, record_change
from ..notify import services as notify
from ..sanctions import access as market
from ..selfservice import codes
from ..selfservice import services as selfservice
from .models import Employment, Worker
from .services import OWN_RECORD_ACTOR, record_access


def confirm_days() -> int:
    return int(current_app.config["ATTACH_CONFIRM_DAYS"])


def _end_of_day(day: date) -> datetime:
    """The first instant after `day` in Beijing time, as UTC: when a code for that day stops working."""
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)


def lapsed(employment: Employment, today: date) -> bool:
    return employment.awaiting and employment.pending_until < today


def _code_invalid() -> selfservice.Refusal:
    en = ("This confirmation code is not right, or it has expired or was already used. Check the text message; "
          "the company can send a new code.")
    zh = "确认码不对，或已过期、已用过。请对照短信核对；需要新的确认码，请找该企业重新发送。"
    return selfservice.Refusal(422, "confirmation_code_invalid", zh, en, {"code": {"en": en, "zh": zh}})


def _lapsed_error() -> ApiError:
    return ApiError(409, "confirmation_lapsed", "确认期限已过，该挂靠已失效；如仍需用工，请重新登记。",
                    "The time to confirm has passed and the attachment has lapsed; register the person again "
                    "if you still employ them.")


def send_code(ring: KeyRing, *, worker: Worker, employment: Employment, company: Company, actor_ref: str,
              accessor_kind: str, organisation: str | None, now: datetime) -> None:
    """Send a fresh confirmation code to the worker's phone on record; earlier ones for this employment stop.

    The company is told only that it was sent. Opening the phone is a read of
    personal data, written to the worker's access record.
    """
    for old in selfservice._live_codes(worker, "confirmation", now, employment.id):
        old.burnt_dt = now
    issued = selfservice._new_code(ring, worker, "confirmation", actor_ref, now,
                                   _end_of_day(employment.pending_until) - now, employment.id)
    phone = unseal(ring, worker.phone_enc, aad("workers", "phone", worker.ref))
    until = employment.pending_until.isoformat()
    text = (f"【家信】{company.name} 申请登记为您的用人单位（卡号 {worker.card_no}）。如属实，请将确认码 "
            f"{codes.grouped(issued.code)} 告知该企业，或登录本人账户确认；{until} 前有效。不认识该企业请勿告知。"
            f" Jiaxin: {company.name} asks to be recorded as your employer (card {worker.card_no}). If so, give "
            f"them code {codes.grouped(issued.code)} or confirm in self-service, by {until}. "
            "If you do not know them, tell no one.")
    notify.send(ring, notify.Message(kind="confirmation_code", recipient=phone, text=text))
    record_access(db.session, worker=worker, accessor_ref=actor_ref, accessor_kind=accessor_kind,
                  organisation=organisation, purpose="confirmation_code", fields="phone", at=now)


def start_pending(ring: KeyRing, *, account: Account, company: Company, worker: Worker, employment: Employment,
                  today: date, now: datetime) -> None:
    """Make a new attachment of an existing worker pending and send the worker its code (no log entry: the
    caller's registration records one)."""
    employment.pending_until = today + timedelta(days=confirm_days())
    db.session.flush()  # the employment's id binds the code
    send_code(ring, worker=worker, employment=employment, company=company, actor_ref=account.ref,
              accessor_kind="company", organisation=company.name, now=now)


def _awaiting(worker: Worker, employment_id: int, company_id: int | None = None) -> Employment:
    """The worker's employment of this id that awaits confirmation (of this company, if given); else 404."""
    employment = next((e for e in worker.employments if e.id == employment_id), None)
    if employment is None or not employment.awaiting or (company_id is not None
                                                         and employment.company_id != company_id):
        raise not_found("employment", "待确认的用工记录")
    return employment


def require_market_access(company: Company, worker: Worker, today: date) -> None:
    """Completing an attachment is attaching: a company a serious listing binds (403 `company_listed`) and a
    worker whose serious listing bars home-service work (409 `worker_listed`) are refused, as at registration."""
    market.require_company_not_listed(company, today)
    market.check_worker(worker.id, today)


def _member(account: Account, company: Company | None) -> None:
    if company is None or account.company_id != company.id or account.role not in COMPANY_ROLES:
        raise not_found("employment", "待确认的用工记录")


def resend_code(ring: KeyRing, *, account: Account, company: Company, worker: Worker, employment_id: int,
                today: date, now: datetime) -> Employment:
    """Send the worker a new code for the company's pending attachment (the old one stops working)."""
    _member(account, company)
    employment = _awaiting(worker, employment_id, company.id)
    if lapsed(employment, today):
        raise _lapsed_error()
    require_market_access(company, worker, today)
    send_code(ring, worker=worker, employment=employment, company=company, actor_ref=account.ref,
              accessor_kind="company", organisation=company.name, now=now)
    return employment


def _confirm(ring: KeyRing, employment: Employment, worker: Worker, by: str, now: datetime) -> Recorded:
    employment.confirmed_dt = now
    employment.confirmed_by = by
    # Any other live code for it is spent with the confirmation.
    for old in selfservice._live_codes(worker, "confirmation", now, employment.id):
        old.used_dt = now
    return record_change(ring, actor=by, action=Action.WORKER_EMPLOY_CONFIRM, aggregate=worker)


def confirm_with_code(ring: KeyRing, *, account: Account, company: Company, worker: Worker, employment_id: int,
                      code, today: date, now: datetime) -> Recorded:
    """The new employer enters the code the worker gave them: the employment becomes current.

    A wrong code raises `Refusal` (its count must be committed); an unknown,
    foreign or already confirmed employment answers not found.
    """
    _member(account, company)
    code = selfservice.check_code(code, "code")
    employment = _awaiting(worker, employment_id, company.id)
    if lapsed(employment, today):
        raise _lapsed_error()
    require_market_access(company, worker, today)
    row = selfservice._match(ring, worker, "confirmation", code, now, employment.id)
    if row is None:
        raise _code_invalid()
    row.used_dt = now
    return _confirm(ring, employment, worker, account.ref, now)


def confirm_by_worker(ring: KeyRing, *, worker: Worker, employment_id: int, today: date,
                      now: datetime) -> Recorded:
    """The signed-in worker confirms a pending attachment themself (their session proves it is them); the entry's
    actor, and `confirmed_by`, is `OWN_RECORD_ACTOR`: the entry is on the worker's own record."""
    employment = _awaiting(worker, employment_id)
    if lapsed(employment, today):
        raise _lapsed_error()
    require_market_access(employment.company, worker, today)
    return _confirm(ring, employment, worker, OWN_RECORD_ACTOR, now)


def decline_by_worker(ring: KeyRing, *, worker: Worker, employment_id: int, today: date,
                      now: datetime) -> Recorded:
    """The signed-in worker refuses a pending attachment: it ends at once, unconfirmed (actor: `OWN_RECORD_ACTOR`,
    the entry is on the worker's own record)."""
    employment = _awaiting(worker, employment_id)
    employment.end_date = max(today, employment.start_date)
    for old in selfservice._live_codes(worker, "confirmation", now, employment.id):
        old.burnt_dt = now
    return record_change(ring, actor=OWN_RECORD_ACTOR, action=Action.WORKER_EMPLOYMENT_END, aggregate=worker)


def end_lapsed(ring: KeyRing, *, today: date, now: datetime, limit: int = 1000) -> list[int]:
    """End every attachment whose time to confirm has passed, one logged change each. Never commits.

    The end date is the last day it could have been confirmed (or its start,
    if later): it never opened anything, and the history shows it never did.
    """
    employments = db.session.execute(
        select(Employment).where(Employment.awaiting, Employment.pending_until < today)
        .options(selectinload(Employment.worker)).order_by(Employment.id).limit(limit)).scalars().all()
    seqs = []
    for employment in employments:
        employment.end_date = max(employment.pending_until, employment.start_date)
        for old in selfservice._live_codes(employment.worker, "confirmation", now, employment.id):
            old.burnt_dt = now
        seqs.append(record_change(ring, actor=SYSTEM_ACTOR, action=Action.WORKER_EMPLOY_LAPSE,
                                  aggregate=employment.worker).seq)
    return seqs


def awaiting_of(worker: Worker, today: date) -> list[Employment]:
    """The worker's attachments still waiting for their confirmation, not lapsed."""
    return [e for e in worker.employments if e.awaiting and not lapsed(e, today)]
