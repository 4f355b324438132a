"""Reviews of services: storing a customer's review and the company's reply, each one entry in the service's
aggregate. Nothing here commits.

Whoever calls `add_review` has already proved the customer holds the
service's review code; the texts arrive already masked of phone and ID numbers.
"""
from __future__ import annotations

from datetime import datetime

from ..errors import ApiError
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac
from ..log.actions import Action
from ..log.services import ANONYMOUS_ACTOR, Recorded, record_change
from ..models import new_ref
from .models import ServiceRecord, ServiceReview


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
