"""Checking a customer's review code: the service reference and the code together open one service.

The code is 8 characters (selfservice/codes.py, kind `review`, bound to the
service's ref) held only as an HMAC. Every wrong try counts against each live
code of the reference; the 5th burns it. Expired, burnt, used, mistyped and
unknown all answer the same refusal, so a guesser learns nothing about which
services exist. Attempts are also rate limited per address by the handlers.
Nothing here commits; the handler commits a refusal's count before answering
(`Refusal`).
"""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..keys import KeyRing
from ..selfservice import codes
from ..selfservice.services import CODE_MAX_FAILURES, Refusal, code_key
from .models import ReviewCode, ServiceRecord
from .services import normalise_reference


def code_invalid() -> Refusal:
    en = ("The service reference or the review code is not right, or the code has expired or was already used. "
          "Check both against the text message.")
    zh = "服务编号或评价码不对，或评价码已过期、已使用。请对照短信核对。"
    return Refusal(422, "review_code_invalid", zh, en, {"reference": {"en": en, "zh": zh},
                                                         "code": {"en": en, "zh": zh}})


def match_code(ring: KeyRing, *, reference: str | None, code: str | None, now: datetime,
               allow_used: bool = False) -> tuple[ServiceRecord, ReviewCode]:
    """The service (and its code row, locked) that this reference and code open; a `Refusal` otherwise.

    `allow_used`: a code already spent on the review still opens its service
    (filing a complaint about it), until it expires or burns.
    """
    head = normalise_reference(reference)
    typed = codes.normalise(code or "")
    if head is None or not codes.well_formed(typed):
        raise code_invalid()
    q = (select(ServiceRecord, ReviewCode).join(ReviewCode, ReviewCode.service_id == ServiceRecord.id)
         .where(ServiceRecord.reference == head, ReviewCode.burnt_dt.is_(None), ReviewCode.expires_dt > now)
         .order_by(ServiceRecord.id).with_for_update().execution_options(populate_existing=True))
    if not allow_used:
        q = q.where(ReviewCode.used_dt.is_(None))
    live = db.session.execute(q).all()
    key = code_key(ring)
    for service, row in live:
        if hmac.compare_digest(codes.code_hash(key, "review", service.ref, typed), row.code_hash):
            return service, row
    for _service, row in live:
        row.failures += 1
        if row.failures >= CODE_MAX_FAILURES:
            row.burnt_dt = now
    raise code_invalid()
