"""Complaints (投诉): filing, the regulators' steps, the subject's responses, tracking, deadlines. Nothing here commits.

Filing is anonymous (`ANONYMOUS_ACTOR`) in one of three ways (rules.METHODS):
- `review_code`: the customer's service reference and review code (`trace.codes.match_code`, a code already spent
  on a review still opens its service); the complaint is about that service's worker or its company, as the
  complainant chooses, and links the service; one complaint per service this way;
- `card_page`: anyone, from a card's page, about that card's worker;
- `household_phone`: the complainant types the phone a service was recorded for and the card number; the phone
  derives the household reference (`trace.household`), which must match a service of that worker, and is then
  dropped: never stored, logged or repeated in an answer. The complaint links the newest such service.

Who handles a complaint: the regulators of a sector in which its subject works — a worker's current employers'
sectors, a company's own sectors — and market supervision, which sees every complaint (the rule of card reports,
evaluated when read). Each step is one of `rules.STEPS`, with a reason; the subject may respond before a
decision; the complainant follows it with the tracking code given once at filing (kept only as an HMAC).

What is sealed: the text, the complainant's contact, each reason, each response (AES-GCM bound to the row's ref,
with a state HMAC for the canonical state). The complaint's text, each reason and each response are masked of
phone and ID numbers (`trace.textmask`, as reviews are) before sealing: the subject and the complainant read
them, and neither should learn the other's numbers (docs/privacy.md, "Complaints").
"""
from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Account
from ..accounts.roles import REGULATOR_ROLES
from ..calendar import services as calendar
from ..clock import local_date
from ..companies import phones
from ..companies.access import require_member
from ..companies.models import Company
from ..errors import ApiError, field_error, forbidden, not_found
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import ANONYMOUS_ACTOR, Recorded, record_change
from ..masking import mask_name, mask_phone
from ..models import new_ref
from ..selfservice import codes
from ..selfservice.services import code_key
from ..trace import codes as review_codes
from ..trace import household
from ..trace.models import ServiceRecord
from ..trace.services import household_key, normalise_reference
from ..trace.services import reference_of as service_reference
from ..trace.textmask import mask_text
from ..trace.vocab import SERVICE_TYPES
from ..workers.models import Employment, Worker
from ..workers.person import Problem, e164_mobile
from ..workers.services import oversees, self_actor
from . import rules
from .models import REFERENCE_CHARS, Complaint, ComplaintResponse, ComplaintStep

STEP_ACTIONS = {
    "accept": Action.COMPLAINT_ACCEPT,
    "reject": Action.COMPLAINT_REJECT,
    "investigate": Action.COMPLAINT_INVESTIGATE,
    "substantiate": Action.COMPLAINT_SUBSTANTIATE,
    "dismiss": Action.COMPLAINT_DISMISS,
}
# A deadline this many working days away, or nearer, is "due soon" on the worklist.
DUE_SOON_WORKING_DAYS = 3


@dataclass(frozen=True)
class Filed:
    """A filed complaint, its tracking code in clear (shown once, never stored) and its log entry."""

    complaint: Complaint
    tracking_code: str
    recorded: Recorded

    @property
    def reference(self) -> str:
        return reference_of(self.complaint)


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None


def reference_of(complaint: Complaint) -> str:
    """The reference the complainant quotes: three groups of four (1A2B-3C4D-5E6F), from the random ref."""
    head = complaint.ref[:REFERENCE_CHARS].upper()
    return "-".join(head[i:i + 4] for i in range(0, REFERENCE_CHARS, 4))


def accept_working_days() -> int:
    return int(current_app.config.get("COMPLAINT_ACCEPT_WORKING_DAYS", rules.DEFAULT_ACCEPT_WORKING_DAYS))


def conclude_working_days() -> int:
    return int(current_app.config.get("COMPLAINT_CONCLUDE_WORKING_DAYS", rules.DEFAULT_CONCLUDE_WORKING_DAYS))


# --- input ---------------------------------------------------------------------------------------

def _problems_error(problems: list[Problem]) -> ApiError:
    first = problems[0]
    return ApiError(422, first.code if len(problems) == 1 else "invalid_input", "输入有误。",
                    "The input is not valid.", {p.field: {"en": p.en, "zh": p.zh} for p in problems})


def clean_text(value) -> str:
    """Printable characters (and line breaks), trimmed, NFC: control characters are not words."""
    if not isinstance(value, str):
        return ""
    text = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    return unicodedata.normalize("NFC", text)


def _text(value, field: str, limit: int, problems: list, *, required: bool = True,
          missing_en: str = "Required.", missing_zh: str = "必填。", masked: bool = True) -> str | None:
    """The cleaned text (phone and ID numbers masked unless `masked` is False), or None with a problem."""
    text = clean_text(value)
    if masked:
        text = mask_text(text)
    if not text:
        if required:
            problems.append(Problem(field, "required", missing_en, missing_zh))
        return None
    if len(text) > limit:
        problems.append(Problem(field, "too_long", f"Use at most {limit} characters.", f"最多 {limit} 个字符。"))
    return text


def _common(category, text, contact: Contact | None, problems: list) -> tuple[str | None, Contact]:
    if category not in rules.CATEGORIES:
        problems.append(Problem("category", "invalid", "Choose a category: " + ", ".join(rules.CATEGORIES) + ".",
                                "请选择投诉类别。"))
    body = _text(text, "text", rules.TEXT_MAX, problems, missing_en="Say what happened.", missing_zh="请说明投诉事由。")
    contact = contact or Contact()
    name = _text(contact.name, "contact.name", rules.CONTACT_NAME_MAX, problems, required=False, masked=False)
    phone = None
    if clean_text(contact.phone):
        phone = phones.normalise(clean_text(contact.phone))
        if phone is None:
            problems.append(Problem("contact.phone", "invalid", "Give a mobile or a landline with its area code.",
                                    "请填写手机号码或带区号的固定电话。"))
    return body, Contact(name, phone)


def _file(ring: KeyRing, *, method: str, worker: Worker | None, company: Company | None,
          service: ServiceRecord | None, category: str, text: str, contact: Contact, now: datetime) -> Filed:
    """Store a complaint, received, with its tracking code's HMAC, and log `complaint:file` (anonymous)."""
    ref = new_ref()
    complaint = Complaint(
        ref=ref, reference=ref[:REFERENCE_CHARS], subject_kind="worker" if worker is not None else "company",
        worker_id=worker.id if worker else None, worker=worker, company_id=company.id if company else None,
        company=company, service_id=service.id if service else None, service=service, method=method,
        category=category, state="received", accept_days=accept_working_days(), filed_dt=now,
        filed_on=local_date(now))
    complaint.text_enc = seal(ring, text, aad("complaints", "text", ref))
    complaint.text_state = state_hmac(ring, "text", text)
    if contact.name:
        complaint.contact_name_enc = seal(ring, contact.name, aad("complaints", "contact_name", ref))
        complaint.contact_name_state = state_hmac(ring, "contact_name", contact.name)
    if contact.phone:
        complaint.contact_phone_enc = seal(ring, contact.phone, aad("complaints", "contact_phone", ref))
        complaint.contact_phone_state = state_hmac(ring, "contact_phone", contact.phone)
    code = codes.generate()
    complaint.tracking_hash = codes.code_hash(code_key(ring), "tracking", ref, code)
    db.session.add(complaint)
    return Filed(complaint, code, record_change(ring, actor=ANONYMOUS_ACTOR, action=Action.COMPLAINT_FILE,
                                                aggregate=complaint))


def file_by_code(ring: KeyRing, *, reference: str | None, code: str | None, about: str | None, category: str | None,
                 text: str | None, contact: Contact | None = None, now: datetime) -> Filed:
    """A customer's complaint about the service a reference and review code open: its worker or its company.

    A wrong code is counted against the service's code (`match_code` raises a `Refusal`: commit, then answer).
    """
    problems: list[Problem] = []
    if about not in rules.SUBJECT_KINDS:
        problems.append(Problem("about", "invalid", "Choose worker or company.", "请选择投诉对象：服务人员或企业。"))
    body, contact = _common(category, text, contact, problems)
    if problems:
        raise _problems_error(problems)
    service, _row = review_codes.match_code(ring, reference=reference, code=code, now=now, allow_used=True)
    taken = db.session.execute(select(Complaint.id).where(Complaint.service_id == service.id,
                                                          Complaint.method == "review_code")).first()
    if taken is not None:
        raise ApiError(409, "already_complained", "已凭该评价码对这次服务提出过投诉，可凭查询码查看进展。",
                       "A complaint about this service was already filed with its review code; follow it with "
                       "its tracking code.")
    return _file(ring, method="review_code", worker=service.worker if about == "worker" else None,
                 company=service.company if about == "company" else None, service=service, category=category,
                 text=body, contact=contact, now=now)


def file_from_card(ring: KeyRing, *, worker: Worker, category: str | None, text: str | None,
                   contact: Contact | None = None, now: datetime) -> Filed:
    """Anyone's complaint about a card's worker, from the card page."""
    problems: list[Problem] = []
    body, contact = _common(category, text, contact, problems)
    if problems:
        raise _problems_error(problems)
    return _file(ring, method="card_page", worker=worker, company=None, service=None, category=category, text=body,
                 contact=contact, now=now)


def no_matching_service() -> ApiError:
    en = "No service of this worker was recorded for this phone number. Check the number and the card number."
    zh = "未找到该服务人员为此手机号码提供服务的记录。请核对手机号码和服务证号。"
    return ApiError(422, "no_matching_service", zh, en, {"phone": {"en": en, "zh": zh}})


def file_by_phone(ring: KeyRing, *, worker: Worker, phone: str | None, category: str | None, text: str | None,
                  contact: Contact | None = None, now: datetime) -> Filed:
    """A household's complaint about a card's worker: the phone must match a service of that worker.

    The phone derives the household reference and goes no further: not stored, not logged, not in any answer.
    """
    problems: list[Problem] = []
    e164 = e164_mobile(phone) if isinstance(phone, str) else None
    if e164 is None:
        problems.append(Problem("phone", "invalid", "Give the mainland mobile number the service was booked with.",
                                "请填写预约服务时使用的手机号码。"))
    body, contact = _common(category, text, contact, problems)
    if problems:
        raise _problems_error(problems)
    household_ref = household.household_ref(household_key(ring), e164)
    del e164
    service = db.session.execute(
        select(ServiceRecord).where(ServiceRecord.worker_id == worker.id, ServiceRecord.household_ref == household_ref)
        .order_by(ServiceRecord.start_dt.desc(), ServiceRecord.id.desc()).limit(1)).scalar_one_or_none()
    if service is None:
        raise no_matching_service()
    return _file(ring, method="household_phone", worker=worker, company=None, service=service, category=category,
                 text=body, contact=contact, now=now)


# --- who handles a complaint ---------------------------------------------------------------------

def is_regulator(account: Account | None) -> bool:
    return (account is not None and account.role in REGULATOR_ROLES and account.agency is not None
            and account.agency.sector is not None)


def _sector_company_ids(sector: str) -> list[int]:
    # Sectors are a JSON list: filtered here rather than with each engine's JSON operators.
    return [cid for cid, sectors in db.session.execute(select(Company.id, Company.sectors)) if sector in sectors]


def _visible_clause(account: Account):
    """The SQL condition for the complaints `account` handles (see the module's docstring)."""
    sector = account.agency.sector
    if sector == "market":
        return True
    ids = _sector_company_ids(sector)
    if not ids:
        return False
    return or_(
        and_(Complaint.subject_kind == "worker",
             exists().where(and_(Employment.worker_id == Complaint.worker_id, Employment.active,
                                 Employment.company_id.in_(ids)))),
        and_(Complaint.subject_kind == "company", Complaint.company_id.in_(ids)))


def handles(account: Account | None, complaint: Complaint) -> bool:
    """May `account` read and decide `complaint`? (See the module's docstring.)"""
    if not is_regulator(account):
        return False
    sector = account.agency.sector
    if sector == "market":
        return True
    if complaint.subject_kind == "company":
        return sector in complaint.company.sectors
    return oversees(sector, complaint.worker)


def _loaded():
    return (selectinload(Complaint.worker).selectinload(Worker.employments).selectinload(Employment.company),
            selectinload(Complaint.company), selectinload(Complaint.service).selectinload(ServiceRecord.company),
            selectinload(Complaint.steps).selectinload(ComplaintStep.agency), selectinload(Complaint.responses),
            selectinload(Complaint.concluded_agency))


def queue(account: Account, *, state: str | None = None, reference: str | None = None, open_only: bool = False,
          limit: int = 100, offset: int = 0) -> list[Complaint]:
    """The complaints `account` handles, oldest first (deadlines run from filing); none for anyone else."""
    if not is_regulator(account):
        raise forbidden()
    q = select(Complaint)
    if state:
        if state not in rules.STATES:
            raise field_error("state", "Choose a state: " + ", ".join(rules.STATES) + ".", "请选择投诉状态。")
        q = q.where(Complaint.state == state)
    elif open_only:
        q = q.where(Complaint.state.in_(rules.OPEN_STATES))
    if reference:
        head = normalise_reference(reference)
        if head is None:
            raise field_error("reference", "A reference has 12 characters, such as 1A2B-3C4D-5E6F.",
                              "投诉编号为 12 位，例如 1A2B-3C4D-5E6F。")
        q = q.where(Complaint.reference == head)
    clause = _visible_clause(account)
    if clause is False:
        return []
    if clause is not True:
        q = q.where(clause)
    q = q.options(*_loaded()).order_by(Complaint.id).limit(limit).offset(offset)
    return list(db.session.execute(q).scalars())


def _by_ref(ref: str) -> Complaint | None:
    return db.session.execute(select(Complaint).where(Complaint.ref == (ref or "").lower())
                              .options(*_loaded())).scalar_one_or_none()


def _lock(complaint: Complaint) -> None:
    """Lock the complaint's row and read its state again: two steps (or responses) at once are taken one after
    the other, so the second sees the first's state (substantiate and dismiss together: one of them is refused)."""
    db.session.execute(select(Complaint).where(Complaint.id == complaint.id).with_for_update()
                       .execution_options(populate_existing=True))


def get_complaint(account: Account, ref: str) -> Complaint:
    """The complaint with this ref if `account` handles it; 404 otherwise, whether or not it exists."""
    complaint = _by_ref(ref)
    if complaint is None or not handles(account, complaint):
        raise not_found("complaint", "投诉")
    return complaint


def find_by_reference(reference: str | None) -> Complaint | None:
    """The complaint a quoted reference names (for a sanction's origin), or None."""
    head = normalise_reference(reference)
    if head is None:
        return None
    return db.session.execute(select(Complaint).where(Complaint.reference == head)
                              .order_by(Complaint.id).limit(1)).scalar_one_or_none()


# --- the regulators' steps -----------------------------------------------------------------------

def take_step(ring: KeyRing, *, regulator: Account, complaint: Complaint, step: str | None, reason: str | None,
              now: datetime) -> Recorded:
    """A regulator who handles the complaint takes one step (rules.STEPS) with a reason; one entry."""
    if not handles(regulator, complaint):
        raise forbidden()
    _lock(complaint)
    problems: list[Problem] = []
    why = _text(reason, "reason", rules.REASON_MAX, problems, missing_en="Give the reason for this step.",
                missing_zh="请填写理由。")
    if step not in rules.STEPS:
        refused = rules.transition(complaint.state, step)
        problems.append(Problem("step", refused.code, refused.en, refused.zh))
    if problems:
        raise _problems_error(problems)
    target = rules.transition(complaint.state, step)
    if isinstance(target, rules.Refused):
        raise ApiError(409, target.code, target.zh, target.en)
    today = local_date(now)
    row = ComplaintStep(ref=new_ref(), step=step, state=target, by=regulator.ref, agency_id=regulator.agency_id,
                        agency=regulator.agency, at_dt=now)
    row.reason_enc = seal(ring, why, aad("complaint_steps", "reason", row.ref))
    row.reason_state = state_hmac(ring, "reason", why)
    complaint.steps.append(row)
    complaint.state = target
    if step == "accept":
        complaint.accepted_on = today
        complaint.conclude_days = conclude_working_days()
    if target in rules.CONCLUDED_STATES:
        complaint.concluded_on = today
        complaint.concluded_agency_id = regulator.agency_id
        complaint.concluded_agency = regulator.agency
    return record_change(ring, actor=regulator.ref, action=STEP_ACTIONS[step], aggregate=complaint)


# --- the subject ---------------------------------------------------------------------------------

def about_worker(worker: Worker) -> list[Complaint]:
    """The complaints about this worker, newest first (their own self-service)."""
    return list(db.session.execute(
        select(Complaint).where(Complaint.subject_kind == "worker", Complaint.worker_id == worker.id)
        .options(*_loaded()).order_by(Complaint.id.desc())).scalars())


def about_company(account: Account, company: Company) -> list[Complaint]:
    """The complaints about this company, newest first (its members only)."""
    require_member(account, company)
    return list(db.session.execute(
        select(Complaint).where(Complaint.subject_kind == "company", Complaint.company_id == company.id)
        .options(*_loaded()).order_by(Complaint.id.desc())).scalars())


def own_complaint(ref: str, *, worker: Worker | None = None, company: Company | None = None) -> Complaint:
    """A complaint about this worker or this company; 404 for any other, whether or not it exists."""
    complaint = _by_ref(ref)
    if complaint is None:
        raise not_found("complaint", "投诉")
    if worker is not None and complaint.subject_kind == "worker" and complaint.worker_id == worker.id:
        return complaint
    if company is not None and complaint.subject_kind == "company" and complaint.company_id == company.id:
        return complaint
    raise not_found("complaint", "投诉")


def respond(ring: KeyRing, *, complaint: Complaint, by_kind: str, by: str, text: str | None,
            now: datetime) -> Recorded:
    """The subject's response before a decision (at most rules.RESPONSES_MAX), sealed; one entry, by `by`."""
    _lock(complaint)
    problems: list[Problem] = []
    body = _text(text, "text", rules.RESPONSE_MAX, problems, missing_en="Write your response.",
                 missing_zh="请填写答复内容。")
    if problems:
        raise _problems_error(problems)
    refused = rules.may_respond(complaint.state, len(complaint.responses))
    if refused is not None:
        raise ApiError(409, refused.code, refused.zh, refused.en)
    row = ComplaintResponse(ref=new_ref(), by_kind=by_kind, by=by, at_dt=now)
    row.text_enc = seal(ring, body, aad("complaint_responses", "text", row.ref))
    row.text_state = state_hmac(ring, "text", body)
    complaint.responses.append(row)
    return record_change(ring, actor=by, action=Action.COMPLAINT_RESPOND, aggregate=complaint)


def respond_as_worker(ring: KeyRing, *, worker: Worker, complaint: Complaint, text: str | None,
                      now: datetime) -> Recorded:
    """The worker's own response in self-service: by, and the entry's actor, their self-service actor (never their
    log_ref, which would tie the complaint to them in the public log)."""
    if complaint.subject_kind != "worker" or complaint.worker_id != worker.id:
        raise not_found("complaint", "投诉")
    return respond(ring, complaint=complaint, by_kind="worker", by=self_actor(worker, complaint.log_ref), text=text,
                   now=now)


def respond_as_company(ring: KeyRing, *, account: Account, company: Company, complaint: Complaint,
                       text: str | None, now: datetime) -> Recorded:
    require_member(account, company)
    if complaint.subject_kind != "company" or complaint.company_id != company.id:
        raise not_found("complaint", "投诉")
    return respond(ring, complaint=complaint, by_kind="company", by=account.ref, text=text, now=now)


# --- tracking ------------------------------------------------------------------------------------

def tracking_invalid() -> ApiError:
    en = "The reference or the tracking code is not right. Check both against what you were given when you filed."
    zh = "投诉编号或查询码不对。请对照提交投诉时得到的编号和查询码核对。"
    return ApiError(422, "tracking_code_invalid", zh, en, {"reference": {"en": en, "zh": zh},
                                                            "tracking_code": {"en": en, "zh": zh}})


def track(ring: KeyRing, *, reference: str | None, tracking_code: str | None) -> Complaint:
    """The complaint a reference and its tracking code open; one refusal for every other case.

    Attempts are limited per reference by the handlers (failures only), so a guesser cannot try many codes.
    """
    head = normalise_reference(reference)
    typed = codes.normalise(tracking_code or "")
    if head is None or not codes.well_formed(typed):
        raise tracking_invalid()
    key = code_key(ring)
    for complaint in db.session.execute(select(Complaint).where(Complaint.reference == head)
                                        .options(*_loaded())).scalars():
        if hmac.compare_digest(codes.code_hash(key, "tracking", complaint.ref, typed), complaint.tracking_hash):
            return complaint
    raise tracking_invalid()


# --- deadlines -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    """The deadline running for an open complaint: `accept` or `conclude`, its day, and where today stands."""

    complaint: Complaint
    kind: str
    deadline: calendar.Deadline
    overdue: bool
    due_soon: bool


def deadline_of(complaint: Complaint, *, using=None) -> tuple[str, calendar.Deadline] | None:
    """(`accept` | `conclude`, the last working day) for an open complaint; None once concluded."""
    kind = rules.deadline_kind(complaint.state)
    if kind == "accept":
        return kind, calendar.working_day_after(complaint.filed_on, complaint.accept_days, using=using)
    if kind == "conclude" and complaint.accepted_on is not None:
        return kind, calendar.working_day_after(complaint.accepted_on, complaint.conclude_days, using=using)
    return None


def due(complaints: list[Complaint], today: date, *, using=None) -> list[Due]:
    """Each open complaint's deadline, with whether it is overdue or due within DUE_SOON_WORKING_DAYS."""
    using = using or calendar.schedule()
    soon = calendar.working_day_after(today, DUE_SOON_WORKING_DAYS, using=using).day
    out = []
    for c in complaints:
        found = deadline_of(c, using=using)
        if found is not None:
            kind, deadline = found
            out.append(Due(c, kind, deadline, today > deadline.day, today <= deadline.day <= soon))
    return out


WORKLIST_BATCH = 1000


def worklist_due(account: Account, today: date) -> list[Due]:
    """The open complaints `account` handles that are overdue or due soon, earliest deadline first."""
    items, offset = [], 0
    while True:
        # Every open complaint, a thousand at a time: the oldest, most overdue ones come last in the queue's order.
        batch = queue(account, open_only=True, limit=WORKLIST_BATCH, offset=offset)
        items += [d for d in due(batch, today) if d.overdue or d.due_soon]
        if len(batch) < WORKLIST_BATCH:
            break
        offset += WORKLIST_BATCH
    return sorted(items, key=lambda d: (d.deadline.day, d.complaint.id))


# --- projections ---------------------------------------------------------------------------------

def _open(ring: KeyRing, sealed: str | None, table: str, column: str, ref: str) -> str | None:
    return None if sealed is None else unseal(ring, sealed, aad(table, column, ref))


def words(table: dict, code: str) -> dict:
    zh, en = table.get(code, (code, code))
    return {"zh": zh, "en": en}


def service_view(service: ServiceRecord | None) -> dict | None:
    """The service a complaint is about: its reference, type, district and day (never the household)."""
    if service is None:
        return None
    return {"reference": service_reference(service.ref), "service_type": service.service_type,
            "service_type_label": words(SERVICE_TYPES, service.service_type), "district": service.district,
            "start_dt": service.start_dt, "company": service.company.name}


def subject_view(complaint: Complaint) -> dict:
    if complaint.subject_kind == "worker":
        w = complaint.worker
        return {"kind": "worker", "card_no": w.card_no, "name_masked": w.name_masked, "uscc": None, "name": None}
    c = complaint.company
    return {"kind": "company", "card_no": None, "name_masked": None, "uscc": c.uscc, "name": c.name}


def _steps(ring: KeyRing, complaint: Complaint) -> list[dict]:
    return [{"step": s.step, "step_label": words(rules.STEP_WORDS, s.step), "state": s.state,
             "reason": _open(ring, s.reason_enc, "complaint_steps", "reason", s.ref), "at": s.at_dt,
             "agency": {"code": s.agency.code, "name_zh": s.agency.name_zh, "name_en": s.agency.name_en}}
            for s in complaint.steps]


def _deadline_view(complaint: Complaint, today: date | None) -> dict | None:
    found = deadline_of(complaint)
    if found is None:
        return None
    kind, deadline = found
    return {"kind": kind, "day": deadline.day, "provisional": deadline.provisional,
            "overdue": today is not None and today > deadline.day}


def _base(complaint: Complaint, today: date | None) -> dict:
    return {"reference": reference_of(complaint), "category": complaint.category,
            "category_label": words(rules.CATEGORIES, complaint.category), "method": complaint.method,
            "method_label": words(rules.METHODS, complaint.method), "state": complaint.state,
            "state_label": words(rules.STATES, complaint.state), "filed_on": complaint.filed_on,
            "accepted_on": complaint.accepted_on, "concluded_on": complaint.concluded_on,
            "deadline": _deadline_view(complaint, today)}


def tracking_view(ring: KeyRing, complaint: Complaint, today: date) -> dict:
    """What the complainant sees: the state, the dates, the deadline and each step's reason — nothing of the
    subject's (no name, card number or response)."""
    return {**_base(complaint, today), "subject_kind": complaint.subject_kind, "steps": _steps(ring, complaint),
            "contact": masked_contact(contact_of(ring, complaint))}


def own_view(ring: KeyRing, complaint: Complaint, today: date) -> dict:
    """What the subject sees: the category, the service, the state and reasons, and their own responses — not the
    complainant's text or contact (they may identify the complainant; the regulator's reasons say what is alleged)."""
    return {**_base(complaint, today), "ref": complaint.ref, "service": service_view(complaint.service),
            "steps": _steps(ring, complaint),
            "responses": [{"text": _open(ring, r.text_enc, "complaint_responses", "text", r.ref), "at": r.at_dt,
                           "by_kind": r.by_kind} for r in complaint.responses],
            "may_respond": rules.may_respond(complaint.state, len(complaint.responses)) is None}


def contact_of(ring: KeyRing, complaint: Complaint) -> Contact:
    return Contact(_open(ring, complaint.contact_name_enc, "complaints", "contact_name", complaint.ref),
                   _open(ring, complaint.contact_phone_enc, "complaints", "contact_phone", complaint.ref))


def masked_contact(contact: Contact) -> dict:
    """The complainant's contact as any view but the handling regulator's shows it."""
    return {"name": mask_name(contact.name) if contact.name else None,
            "phone": mask_phone(contact.phone) if contact.phone else None}


def regulator_view(ring: KeyRing, complaint: Complaint, today: date) -> dict:
    """The handling regulator's view: the text and the complainant's contact in clear, every step and response."""
    contact = contact_of(ring, complaint)
    return {**own_view(ring, complaint, today), "subject": subject_view(complaint),
            "text": _open(ring, complaint.text_enc, "complaints", "text", complaint.ref),
            "contact": {"name": contact.name, "phone": contact.phone}, "filed_dt": complaint.filed_dt,
            "steps_allowed": rules.steps_from(complaint.state)}
