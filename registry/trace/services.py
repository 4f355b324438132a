"""Recording services (追溯): one by one here; a file's rows in batches in `imports.py`. Nothing here commits.

The customer's phone arrives in E.164 form, derives the household's
references and addresses the review code's message, and goes no further: it
is never stored, never logged, never in a URL, never in an error. The company
never sees the code (it goes to the phone through the notification interface,
and only its HMAC is kept). Rules and their sources: docs/rules.md,
"Traceability"; what is kept about customers: docs/privacy.md, "Customers".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from ..accounts.models import Account
from ..clock import local_date
from ..companies.access import require_member, require_verified
from ..companies.models import Company
from ..errors import ApiError, problems_error
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..models import new_ref
from ..notify import services as notify
from ..selfservice import codes
from ..selfservice.services import code_key
from ..workers.models import Worker
from ..workers.services import active_employment, check_card_no, get_worker_or_none, status_of
from . import household, rules
from .models import REFERENCE_CHARS, ReviewCode, ServiceRecord


@dataclass(frozen=True)
class ServiceRecorded:
    """A recorded service and its log entry (the review code went to the customer, not here)."""

    service: ServiceRecord
    recorded: Recorded


def reference_of(ref: str) -> str:
    """12 hex characters as people read them: three groups of four (1A2B-3C4D-5E6F).

    A service has two such numbers. The customer's `reference` (its own random column, only in the customer's
    message) opens the service with the review code. The service number everyone else reads is the head of the
    service's `ref`: the company, regulators and the complaint's subject see that one, never the customer's, so
    a company cannot spend its customers' code tries (5 wrong ones burn a code) to keep bad reviews away.
    """
    head = ref[:REFERENCE_CHARS].upper()
    return "-".join(head[i:i + 4] for i in range(0, REFERENCE_CHARS, 4))


def normalise_reference(raw: str | None) -> str | None:
    """The stored reference a typed one stands for, or None if it cannot be one."""
    head = "".join(ch for ch in (raw or "") if ch not in "- \t").lower()
    if len(head) != REFERENCE_CHARS or any(ch not in "0123456789abcdef" for ch in head):
        return None
    return head


def household_key(ring: KeyRing) -> bytes:
    return ring.current("household").material


def global_household_ref(ring: KeyRing, e164: str) -> str:
    """The global household reference of this phone: what regulators query by (no company involved)."""
    return household.household_ref(household_key(ring), e164)


def household_refs(ring: KeyRing, company: Company, e164: str) -> tuple[str, str]:
    """(the global household reference, the company's derivation of it) for this phone."""
    ref = global_household_ref(ring, e164)
    return ref, household.company_household(household_key(ring), company.log_ref, ref)


def worker_for_service(card_no: str | None) -> Worker:
    """The worker a service names: 422 on `card_no` for a malformed number or one nobody holds (the company is
    filling a form: the field is wrong, not the address)."""
    worker = get_worker_or_none(check_card_no(card_no))
    if worker is None:
        raise ApiError(422, "card_not_found", "没有人持有这个卡号。", "Nobody holds this card number.",
                       {"card_no": {"zh": "没有人持有这个卡号，请核对。",
                                    "en": "Nobody holds this card number: check it."}})
    return worker


def review_code_days() -> int:
    return current_app.config["REVIEW_CODE_DAYS"]


def review_message(*, e164: str, company_name: str, reference: str, code: str, days: int) -> notify.Message:
    """The customer's message: which service, the code, how long it lasts, where to use it."""
    url = current_app.config["PUBLIC_URL"].rstrip("/") + "/review"
    text = (f"【家信】您好！{company_name} 为您提供的服务已登记（服务编号 {reference}）。"
            f"评价码 {codes.grouped(code)}，{days} 天内有效，可在 {url} 评价或投诉。请勿将评价码告诉他人。"
            f" / Your service from {company_name} is on record (service {reference}). Review code "
            f"{codes.grouped(code)}, valid {days} days, at {url}. Do not share it.")
    return notify.Message(kind="review_code", recipient=e164, text=text)


def review_code_row(ring: KeyRing, service_ref: str, now: datetime) -> tuple[dict, str]:
    """(the review_codes row without its service id, the code in clear for the message): a fresh code."""
    code = codes.generate()
    return ({"code_hash": codes.code_hash(code_key(ring), "review", service_ref, code),
             "expires_dt": now + timedelta(days=review_code_days()), "failures": 0, "burnt_dt": None,
             "used_dt": None, "created_dt": now}, code)


def record_service(ring: KeyRing, *, account: Account, company: Company, worker: Worker,
                   fields: rules.ServiceFields, now: datetime) -> ServiceRecorded:
    """Record one service by `company`'s `worker`, send the customer a review code, and log `service:record`.

    A worker whose card is red today, or who is not the company's current
    employee, is recorded only with the company's reason, which the record keeps
    (the trace must exist even when the rules were broken: that is when it matters most).
    """
    require_member(account, company)
    require_verified(company)
    checked, problems = rules.check_service(fields, now)
    needed = rules.overrides_needed(colour=status_of(worker, local_date(now)).colour,
                                    employed_here=active_employment(worker, company) is not None)
    missing = rules.override_problem(needed, checked.override_reason if checked else fields.override_reason)
    if missing is not None:
        problems.append(missing)
    if problems:
        raise problems_error(problems)
    ref = new_ref()
    global_ref, company_ref = household_refs(ring, company, checked.e164)
    service = ServiceRecord(
        ref=ref, reference=new_ref()[:REFERENCE_CHARS], worker_id=worker.id, worker=worker, company_id=company.id,
        company=company, service_type=checked.service_type, district=checked.district, start_dt=checked.start,
        end_dt=checked.end, household_ref=global_ref, company_household=company_ref,
        overrides=needed or None, override_reason=checked.override_reason if needed else None,
        recorded_by=account.ref, created_dt=now)
    db.session.add(service)
    db.session.flush()
    row, code = review_code_row(ring, ref, now)
    db.session.add(ReviewCode(service_id=service.id, **row))
    notify.send(ring, review_message(e164=checked.e164, company_name=company.name,
                                     reference=reference_of(service.reference), code=code, days=review_code_days()))
    return ServiceRecorded(service, record_change(ring, actor=account.ref, action=Action.SERVICE_RECORD,
                                                  aggregate=service))
