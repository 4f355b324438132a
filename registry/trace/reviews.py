"""Reviews of services: storing a customer's review and the company's reply, each one entry in the service's
aggregate; what the company reads; the public summaries. Nothing here commits.

Whoever calls `add_review` has already proved the customer holds the
service's review code, and the texts arrive already masked of phone and ID
numbers: `leave_review` does both, and `reply` masks the company's text the
same way (textmask.py). Rules: review_rules.py and docs/rules.md, "Reviews".
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Integer, String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.orm import joinedload

from .. import clock
from ..accounts.models import Account
from ..companies.access import require_member
from ..companies.models import Company
from ..errors import ApiError, field_error, not_found, problems_error
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import ANONYMOUS_ACTOR, Recorded, record_change
from ..models import new_ref
from ..sanctions.objection_rules import PENDING_STATES
from ..workers.models import Worker
from . import review_rules
from .codes import match_code
from .models import ServiceRecord, ServiceReview
from .services import normalise_reference, reference_of
from .textmask import mask_text
from .vocab import REVIEW_TAGS, SERVICE_TYPES, words


def add_review(ring: KeyRing, *, service: ServiceRecord, rating: int, tags: list[str], text: str | None,
               now: datetime) -> Recorded:
    """The customer's one review of `service`, logged as `service:review` by the anonymous actor."""
    if service.review is not None:
        raise ApiError(409, "already_reviewed", "该服务已评价过。", "This service has already been reviewed.")
    review = ServiceReview(ref=new_ref(), service_id=service.id, worker_id=service.worker_id,
                           company_id=service.company_id, rating=rating, tags=sorted(set(tags)), reviewed_dt=now)
    if text:
        review.text_enc = seal(ring, text, aad("service_reviews", "text", review.ref))
        review.text_state = state_hmac(ring, "text", text)
    service.review = review
    db.session.add(review)
    return record_change(ring, actor=ANONYMOUS_ACTOR, action=Action.SERVICE_REVIEW, aggregate=service)


# --- leaving a review with the code, the company's reply, what the company reads ----------------------------

def leave_review(ring: KeyRing, *, reference: str | None, code: str | None, rating, tags, text: str | None,
                 now: datetime) -> Recorded:
    """The customer's review, opened by the service reference and the review code; spends the code.

    The review is judged first, so a mistyped form never costs a try of the
    code. A wrong code raises `Refusal` after counting the try (the caller
    commits, then answers). The text's phone and ID numbers are masked before
    it is sealed. A used code no longer opens the service, so a second review
    is refused as `review_code_invalid` before `add_review` could say 409.
    """
    checked, problems = review_rules.check_review(rating, tags, text)
    if problems:
        raise problems_error(problems)
    service, row = match_code(ring, reference=reference, code=code, now=now)
    row.used_dt = now
    return add_review(ring, service=service, rating=checked.rating, tags=checked.tags,
                      text=mask_text(checked.text) if checked.text else None, now=now)


def company_service(company: Company, reference: str | None) -> ServiceRecord:
    """One of the company's services by its service number (the head of its ref, never the customer's reference),
    locked for the reply; anything else (another company's too): not found."""
    head = normalise_reference(reference)
    # A range on the unique ref index: the refs that start with these 12 hex characters.
    service = None if head is None else db.session.execute(
        select(ServiceRecord).where(ServiceRecord.ref >= head, ServiceRecord.ref < head + "g",
                                    ServiceRecord.company_id == company.id)
        .order_by(ServiceRecord.id).limit(1).with_for_update()).scalar_one_or_none()
    if service is None:
        raise not_found("service", "服务记录")
    return service


def reply(ring: KeyRing, *, account: Account, company: Company, service: ServiceRecord, text: str | None,
          now: datetime) -> Recorded:
    """The company's one reply to the review of its service, masked like the review; logged `service:reply`."""
    require_member(account, company)
    if service.company_id != company.id:
        raise not_found("service", "服务记录")
    cleaned = review_rules.clean_text(text)
    if not cleaned:
        raise field_error("text", "Write the reply.", "请填写回复内容。", code="reply_missing")
    if (p := review_rules.text_problem("text", cleaned)) is not None:
        raise field_error(p.field, p.en, p.zh, code=p.code)
    review = service.review
    if review is None:
        raise ApiError(409, "not_reviewed", "该服务尚无评价，无可回复。", "The service has no review to reply to.")
    if review.replied_dt is not None:
        raise ApiError(409, "already_replied", "该评价已回复过，回复只能一次。",
                       "The review has already been replied to.")
    masked = mask_text(cleaned)
    review.reply_enc = seal(ring, masked, aad("service_reviews", "reply", review.ref))
    review.reply_state = state_hmac(ring, "reply", masked)
    review.replied_by = account.ref
    review.replied_dt = now
    return record_change(ring, actor=account.ref, action=Action.SERVICE_REPLY, aggregate=service)


def company_reviews(company: Company, *, limit: int, offset: int) -> tuple[list[ServiceReview], int]:
    """The reviews of the company's services, newest first, and how many there are."""
    return _reviews(ServiceReview.company_id == company.id, limit=limit, offset=offset)


def worker_reviews(worker: Worker, *, limit: int, offset: int) -> tuple[list[ServiceReview], int]:
    """The reviews of the services this worker performed (self-service), newest first, and how many there are."""
    return _reviews(ServiceReview.worker_id == worker.id, limit=limit, offset=offset)


def _reviews(where, *, limit: int, offset: int) -> tuple[list[ServiceReview], int]:
    base = select(ServiceReview).where(where)
    total = db.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    rows = db.session.execute(
        base.options(joinedload(ServiceReview.service).joinedload(ServiceRecord.worker),
                     joinedload(ServiceReview.service).selectinload(ServiceRecord.objections))
        .order_by(ServiceReview.reviewed_dt.desc(), ServiceReview.id.desc()).limit(limit).offset(offset)
    ).scalars().all()
    return list(rows), total


def review_view(ring: KeyRing, review: ServiceReview) -> dict:
    """A review as its company, its worker and the regulators who answer objections to it read it: the service
    (never the household, never the code), the texts opened, whether it is withdrawn or objected to."""
    service = review.service
    return {
        "service_reference": reference_of(service.ref),
        "card_no": service.worker.card_no,
        "name_masked": service.worker.name_masked,
        "service_type": service.service_type,
        "service_type_label": words(SERVICE_TYPES, service.service_type),
        "district": service.district,
        "start": service.start_dt,
        "end": service.end_dt,
        "rating": review.rating,
        "tags": [{"code": t, **words(REVIEW_TAGS, t)} for t in review.tags or []],
        "text": unseal(ring, review.text_enc, aad("service_reviews", "text", review.ref)) if review.text_enc else None,
        "reviewed_dt": review.reviewed_dt,
        "reply": unseal(ring, review.reply_enc, aad("service_reviews", "reply", review.ref))
        if review.reply_enc else None,
        "replied_dt": review.replied_dt,
        # Withdrawn by an upheld objection: shown to its subject, counted nowhere public.
        "withdrawn_dt": review.withdrawn_dt,
        "objection_pending": any(o.state in PENDING_STATES for o in service.objections),
    }


def worker_review_view(ring: KeyRing, review: ServiceReview) -> dict:
    """A review as its worker reads it (self-service): the rating, the tags, the text, the company's reply and the
    day it was left, so they can answer or object to it — but not when or where the service was: the worker was
    there, and the exact visit would tell them which household wrote it."""
    full = review_view(ring, review)
    return {**{k: full[k] for k in WORKER_SEES}, "reviewed_on": clock.local_date(review.reviewed_dt)}


# What of `review_view` its worker sees (worker_review_view): never the service's start, end or district.
WORKER_SEES = ("service_reference", "card_no", "name_masked", "service_type", "service_type_label", "rating",
               "tags", "text", "reply", "withdrawn_dt", "objection_pending")


# --- the public summaries -----------------------------------------------------------------------------------

def _summary_query(column):
    """The summary of the reviews whose `column` (worker_id or company_id) is :subject_id, in one statement:
    a count-and-sum row, then the tags of the newest reviews."""
    subject = bindparam("subject_id", type_=Integer())
    # A review withdrawn by an upheld objection (review_objections.py) counts nowhere.
    shown = ServiceReview.withdrawn_dt.is_(None)
    totals = (select(literal("n", String()), func.count(), func.sum(ServiceReview.rating), null())
              .where(column == subject, shown))
    newest = (select(ServiceReview.tags).where(column == subject, shown)
              .order_by(ServiceReview.reviewed_dt.desc(), ServiceReview.id.desc())
              .limit(review_rules.RECENT_REVIEWS).subquery())
    tags = select(literal("t", String()), null(), null(), cast(newest.c.tags, String()))
    return union_all(totals, tags)


def summary_from_rows(rows) -> dict:
    """The summary from (tag, count, rating sum, tags as JSON text) rows of `_summary_query` or the card view."""
    count, total, tag_lists = 0, 0, []
    for tag, n, rating_sum, tags in rows:
        if tag == "n":
            count, total = int(n or 0), int(rating_sum or 0)
        elif tags is not None:
            tag_lists.append(tags if isinstance(tags, list) else json.loads(tags))
    return review_rules.summary(count, total, tag_lists)


_COMPANY_SUMMARY = _summary_query(ServiceReview.company_id)


def company_summary(company_id: int) -> dict:
    """The public review summary of a company's services (the company view), with `objection_pending` while an
    objection to one of the reviews it counts is being handled."""
    from .review_objections import pending_for

    return {**summary_from_rows(db.session.execute(_COMPANY_SUMMARY, {"subject_id": company_id}).all()),
            "objection_pending": pending_for(company_id=company_id)}
