"""Objections (异议) to a service's review: filed by the review's subject with up to 5 sealed documents, answered by
a regulator. Nothing here commits; each operation records one entry of the service's aggregate as its last step.

States, steps and deadlines are the sanction objections' (`sanctions.objection_rules`, the same settings); the
documents the generic sealed `attachments` (owner kind `review_objection`).

Who files: a member of the company that recorded the service (`file_as_company`), or the service's worker in
self-service (`file_as_worker`, actor `self_actor(worker, service.log_ref)`). One pending objection at a time, and
only to a review not already withdrawn. Who decides: a review has no issuing agency, so the regulators who may read
the company's services decide — a regulator of a sector the company is in, and market supervision (the rule that
opens a worker's detailed record, `workers.services.may_view`, applied to the recording company); anyone else 404.
Upheld: the review is withdrawn (`withdrawn_dt`) — out of every public summary, kept in the log; a review's text is
the customer's, so a regulator never rewrites it. Dismissed or rejected: it stays. While an objection is pending,
the public summaries that count the review carry `objection_pending: true`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, select

from .. import clock
from ..accounts.models import Account
from ..accounts.roles import REGULATOR_ROLES
from ..attachments import rules as attachment_rules
from ..attachments import services as attachments
from ..companies.access import require_member
from ..companies.models import Company
from ..complaints.services import _text
from ..errors import ApiError, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..models import new_ref
from ..sanctions import objection_rules as orules
from ..sanctions import objections as sanction_objections
from ..workers.models import Worker
from ..workers.person import Problem
from ..workers.services import self_actor
from .models import ReviewObjection, ServiceRecord, ServiceReview
from .services import normalise_reference

OWNER_KIND = "review_objection"
STEP_ACTIONS = {
    "accept": Action.SERVICE_OBJECTION_ACCEPT,
    "reject": Action.SERVICE_OBJECTION_REJECT,
    "uphold": Action.SERVICE_OBJECTION_UPHOLD,
    "dismiss": Action.SERVICE_OBJECTION_DISMISS,
}


@dataclass(frozen=True)
class Filed:
    objection: ReviewObjection
    recorded: Recorded


def _problems_error(problems) -> ApiError:
    first = problems[0]
    return ApiError(422, first.code if len(problems) == 1 else "invalid_input", "输入有误。",
                    "The input is not valid.", {p.field: {"en": p.en, "zh": p.zh} for p in problems})


def _lock(service: ServiceRecord) -> None:
    db.session.execute(select(ServiceRecord).where(ServiceRecord.id == service.id).with_for_update()
                       .execution_options(populate_existing=True))
    db.session.execute(select(ReviewObjection).where(ReviewObjection.service_id == service.id)
                       .execution_options(populate_existing=True)).scalars().all()


def pending(service: ServiceRecord) -> list[ReviewObjection]:
    return [o for o in service.objections if o.state in orules.PENDING_STATES]


def may_object(review: ServiceReview | None, pending_count: int) -> orules.Refused | None:
    if review is None or review.withdrawn_dt is not None:
        return orules.Refused("not_objectable", "Only a review that is shown can be objected to.",
                              "只能对公开显示的评价提出异议。")
    return orules.may_object("decided", pending_count)


# --- finding the service -------------------------------------------------------------------------

def by_reference(reference: str | None) -> ServiceRecord | None:
    head = normalise_reference(reference)
    if head is None:
        return None
    return db.session.execute(select(ServiceRecord).where(ServiceRecord.ref >= head, ServiceRecord.ref < head + "g")
                              .order_by(ServiceRecord.id).limit(1)).scalar_one_or_none()


def own_service(reference: str, *, worker: Worker | None = None, company: Company | None = None) -> ServiceRecord:
    """A reviewed service of this worker or recorded by this company (by its service number); 404 otherwise."""
    service = by_reference(reference)
    mine = service is not None and ((worker is not None and service.worker_id == worker.id)
                                    or (company is not None and service.company_id == company.id))
    if not mine or service.review is None:
        raise not_found("review", "评价")
    return service


def may_decide(account: Account | None, service: ServiceRecord) -> bool:
    """A regulator of a sector the recording company is in, or market supervision."""
    if account is None or account.role not in REGULATOR_ROLES or account.agency is None:
        return False
    sector = account.agency.sector
    return sector == "market" or (sector is not None and sector in (service.company.sectors or []))


def service_for_regulator(account: Account | None, reference: str) -> ServiceRecord:
    service = by_reference(reference)
    if service is None or service.review is None or not may_decide(account, service):
        raise not_found("review", "评价")
    return service


# --- filing --------------------------------------------------------------------------------------

def file_objection(ring: KeyRing, *, service: ServiceRecord, filed_by_kind: str, filed_by: str, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    """The subject objects to the service's review with reasons and up to 5 documents; one entry of the service."""
    _lock(service)
    problems: list[Problem] = []
    why = _text(reasons, "reasons", orules.REASONS_MAX, problems, missing_en="Say why you object.",
                missing_zh="请填写异议理由。")
    _kinds, file_problems = attachment_rules.check_files(files)
    problems += file_problems
    if problems:
        raise _problems_error(problems)
    refused = may_object(service.review, len(pending(service)))
    if refused is not None:
        raise ApiError(409, refused.code, refused.zh, refused.en)
    row = ReviewObjection(ref=new_ref(), filed_by_kind=filed_by_kind, filed_by=filed_by, state="received",
                          accept_days=sanction_objections.accept_working_days(), filed_dt=now,
                          filed_on=clock.local_date(now))
    row.reasons_enc = seal(ring, why, aad("review_objections", "reasons", row.ref))
    row.reasons_state = state_hmac(ring, "reasons", why)
    service.objections.append(row)
    db.session.flush()
    attachments.add(ring, owner_kind=OWNER_KIND, owner_id=row.id, files=files, by=filed_by)
    return Filed(row, record_change(ring, actor=filed_by, action=Action.SERVICE_OBJECTION_FILE, aggregate=service))


def file_as_company(ring: KeyRing, *, account: Account, company: Company, service: ServiceRecord,
                    reasons: str | None, files: list[bytes], now: datetime) -> Filed:
    require_member(account, company)
    if service.company_id != company.id:
        raise not_found("review", "评价")
    return file_objection(ring, service=service, filed_by_kind="company", filed_by=account.ref, reasons=reasons,
                          files=files, now=now)


def file_as_worker(ring: KeyRing, *, worker: Worker, service: ServiceRecord, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    if service.worker_id != worker.id:
        raise not_found("review", "评价")
    return file_objection(ring, service=service, filed_by_kind="worker", filed_by=self_actor(worker, service.log_ref),
                          reasons=reasons, files=files, now=now)


# --- the regulator's steps -----------------------------------------------------------------------

def get_objection(service: ServiceRecord, ref: str) -> ReviewObjection:
    found = next((o for o in service.objections if o.ref == (ref or "").lower()), None)
    if found is None:
        raise not_found("objection", "异议")
    return found


def take_step(ring: KeyRing, *, regulator: Account, service: ServiceRecord, objection: ReviewObjection,
              step: str | None, reason: str | None, outcome: str | None = None, today: date) -> Recorded:
    """One step (objection_rules.STEPS) by a regulator who may decide; one entry of the service. `uphold` withdraws
    the review (`outcome` `withdraw`, the only one: a regulator does not rewrite a customer's review)."""
    if not may_decide(regulator, service):
        raise not_found("review", "评价")
    _lock(service)
    problems: list[Problem] = []
    why = _text(reason, "reason", orules.ANSWER_MAX, problems, required=step != "accept",
                missing_en="Give the reason for this answer.", missing_zh="请填写理由。")
    if step not in orules.STEPS:
        refused = orules.transition(objection.state, step)
        problems.append(Problem("step", refused.code, refused.en, refused.zh))
    if step == "uphold" and outcome != "withdraw":
        problems.append(Problem("outcome", "invalid", "An upheld objection withdraws the review: outcome withdraw.",
                                "异议成立时撤下该评价：请选择撤销。"))
    elif step != "uphold" and outcome is not None:
        problems.append(Problem("outcome", "not_upheld", "Only an upheld objection changes the record.",
                                "只有异议成立时才更正或撤销记录。"))
    if problems:
        raise _problems_error(problems)
    target = orules.transition(objection.state, step)
    if isinstance(target, orules.Refused):
        raise ApiError(409, target.code, target.zh, target.en)
    if step == "uphold" and service.review.withdrawn_dt is not None:
        raise ApiError(409, "wrong_state", "该评价已撤下。", "The review is already withdrawn.")
    if step == "accept":
        objection.accepted_by = regulator.ref
        objection.accepted_on = today
        objection.answer_days = sanction_objections.answer_working_days()
    else:
        objection.answered_by = regulator.ref
        objection.answered_on = today
        objection.answered_dt = clock.now()
        objection.answer_enc = seal(ring, why, aad("review_objections", "answer", objection.ref))
        objection.answer_state = state_hmac(ring, "answer", why)
    if step == "uphold":
        objection.outcome = "withdraw"
        service.review.withdrawn_dt = clock.now()
        service.review.withdrawn_by = regulator.ref
    objection.state = target
    return record_change(ring, actor=regulator.ref, action=STEP_ACTIONS[step], aggregate=service)


# --- reading -------------------------------------------------------------------------------------

def pending_for(*, worker_id: int | None = None, company_id: int | None = None) -> bool:
    """Whether a shown review of this worker's (or company's) services has a pending objection."""
    column = ServiceReview.worker_id if worker_id is not None else ServiceReview.company_id
    subject = worker_id if worker_id is not None else company_id
    return bool(db.session.execute(select(exists().where(and_(
        column == subject, ServiceReview.withdrawn_dt.is_(None),
        ReviewObjection.service_id == ServiceReview.service_id,
        ReviewObjection.state.in_(list(orules.PENDING_STATES)))))).scalar())


def pending_for_regulator(account: Account) -> list[ReviewObjection]:
    """The pending objections to reviews `account` may decide (the worklist), oldest first."""
    from sqlalchemy.orm import selectinload

    rows = db.session.execute(
        select(ReviewObjection).where(ReviewObjection.state.in_(list(orules.PENDING_STATES)))
        .options(selectinload(ReviewObjection.service).selectinload(ServiceRecord.company))
        .order_by(ReviewObjection.id)).scalars()
    return [o for o in rows if may_decide(account, o.service)]


def view(ring: KeyRing, objection: ReviewObjection, today: date | None = None) -> dict:
    """An objection to a review as its subject and the regulators see it."""
    return sanction_objections.common_view(ring, objection, OWNER_KIND, today)


def document(objection: ReviewObjection, position: int):
    return sanction_objections.document_at(OWNER_KIND, objection, position)
