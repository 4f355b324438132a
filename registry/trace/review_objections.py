"""Objections (异议) to a service's review: filed by the review's subject with up to 5 sealed documents, answered by
a regulator. Nothing here commits; each operation records one entry of the service's aggregate as its last step.

The procedure is the one every kind of objection follows (`objections.core`); this module says what is the review's
own, in its `KIND`. States, steps and deadlines are the sanction objections' (`sanctions.objection_rules`, the same
settings); the documents the generic sealed `attachments` (owner kind `review_objection`); the texts are masked as
a complaint's (`objections.core.masked_text`).

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

from datetime import date, datetime

from sqlalchemy import and_, exists, select

from .. import clock
from ..accounts.models import Account
from ..accounts.roles import REGULATOR_ROLES
from ..companies.models import Company
from ..errors import ApiError, not_found
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded
from ..objections import core
from ..objections.core import Filed
from ..sanctions import objection_rules as orules
from ..sanctions import subject_notices
from ..workers.models import Worker
from ..workers.person import Problem
from .models import ReviewObjection, ServiceRecord, ServiceReview
from .services import normalise_reference

OWNER_KIND = "review_objection"
STEP_ACTIONS = {
    "accept": Action.SERVICE_OBJECTION_ACCEPT,
    "reject": Action.SERVICE_OBJECTION_REJECT,
    "uphold": Action.SERVICE_OBJECTION_UPHOLD,
    "dismiss": Action.SERVICE_OBJECTION_DISMISS,
}


def pending(service: ServiceRecord) -> list[ReviewObjection]:
    return core.pending(service)


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


def _concerns(service: ServiceRecord, *, worker: Worker | None = None, company: Company | None = None) -> bool:
    """The service's worker and the company that recorded it are both its review's subjects."""
    return ((worker is not None and service.worker_id == worker.id)
            or (company is not None and service.company_id == company.id))


def own_service(reference: str, *, worker: Worker | None = None, company: Company | None = None) -> ServiceRecord:
    """A reviewed service of this worker or recorded by this company (by its service number); 404 otherwise."""
    service = by_reference(reference)
    if service is None or not _concerns(service, worker=worker, company=company) or service.review is None:
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


# --- what is this kind's own ---------------------------------------------------------------------

def _require_decider(account: Account | None, service: ServiceRecord) -> None:
    """Anyone who may not decide gets the answer of a review they cannot see: 404."""
    if not may_decide(account, service):
        raise not_found("review", "评价")


def _outcome_problems(service: ServiceRecord, outcome: str | None, _detail: None) -> list[Problem]:
    if outcome != "withdraw":
        return [Problem("outcome", "invalid", "An upheld objection withdraws the review: outcome withdraw.",
                        "异议成立时撤下该评价：请选择撤销。")]
    return []


def _uphold(ring: KeyRing, *, regulator: Account, record: ServiceRecord, objection: ReviewObjection, outcome: str,
            detail: None, reason: str, today: date) -> None:
    """Withdraw the review (`withdrawn_dt`): a regulator never rewrites a customer's review; 409 if it already is."""
    if record.review.withdrawn_dt is not None:
        raise ApiError(409, "wrong_state", "该评价已撤下。", "The review is already withdrawn.")
    record.review.withdrawn_dt = clock.now()
    record.review.withdrawn_by = regulator.ref


KIND = core.Kind(
    record_model=ServiceRecord, objection_model=ReviewObjection, record_key="service_id", owner_kind=OWNER_KIND,
    missing=("review", "评价"), file_action=Action.SERVICE_OBJECTION_FILE, step_actions=STEP_ACTIONS,
    text=core.masked_text, concerns=_concerns,
    refusal=lambda service, pending_count: may_object(service.review, pending_count),
    decides=_require_decider, outcome_problems=_outcome_problems, uphold=_uphold,
    on_filed=subject_notices.tell_review_objection, on_step=subject_notices.tell_review_objection)


# --- filing --------------------------------------------------------------------------------------

def file_objection(ring: KeyRing, *, service: ServiceRecord, filed_by_kind: str, filed_by: str, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    """The subject objects to the service's review with reasons and up to 5 documents; one entry of the service."""
    return core.file_objection(ring, KIND, service, filed_by_kind=filed_by_kind, filed_by=filed_by,
                               reasons=reasons, files=files, now=now)


def file_as_company(ring: KeyRing, *, account: Account, company: Company, service: ServiceRecord,
                    reasons: str | None, files: list[bytes], now: datetime) -> Filed:
    return core.file_as_company(ring, KIND, account=account, company=company, record=service, reasons=reasons,
                                files=files, now=now)


def file_as_worker(ring: KeyRing, *, worker: Worker, service: ServiceRecord, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    return core.file_as_worker(ring, KIND, worker=worker, record=service, reasons=reasons, files=files, now=now)


# --- the regulator's steps -----------------------------------------------------------------------

def get_objection(service: ServiceRecord, ref: str) -> ReviewObjection:
    return core.get_objection(service, ref)


def take_step(ring: KeyRing, *, regulator: Account, service: ServiceRecord, objection: ReviewObjection,
              step: str | None, reason: str | None, outcome: str | None = None, today: date) -> Recorded:
    """One step (objection_rules.STEPS) by a regulator who may decide; one entry of the service. `uphold` withdraws
    the review (`outcome` `withdraw`, the only one: a regulator does not rewrite a customer's review)."""
    return core.take_step(ring, KIND, regulator=regulator, record=service, objection=objection, step=step,
                          reason=reason, outcome=outcome, detail=None, today=today)


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


def view(ring: KeyRing, objection: ReviewObjection, today: date | None = None, *, using=None) -> dict:
    """An objection to a review as its subject and the regulators see it."""
    return core.common_view(ring, objection, OWNER_KIND, today, using=using)


def document(objection: ReviewObjection, position: int):
    return core.document_at(OWNER_KIND, objection, position)
