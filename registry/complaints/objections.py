"""Objections (异议) to a substantiated complaint: filed by its subject with up to 5 sealed documents, answered by the
agency that concluded it. Nothing here commits; each operation records one entry of the complaint's aggregate as
its last step.

The states, steps and deadlines are the sanction objections' (`sanctions.objection_rules`; the same settings
`SANCTION_OBJECTION_ACCEPT_WORKING_DAYS` (2) and `SANCTION_OBJECTION_ANSWER_WORKING_DAYS` (10)), the documents
the generic sealed `attachments` (owner kind `complaint_objection`).

Who files: a member of the company the complaint is about (`file_as_company`), or the worker it is about in
self-service (`file_as_worker`, actor `self_actor(worker, complaint.log_ref)`). Only a substantiated complaint (the
one public state) may be objected to, one pending objection at a time. Who decides: a regulator of the agency that
concluded the complaint (`concluded_agency_id`; 403 `not_concluding_agency` for any other). Upheld: the complaint
is withdrawn (state `withdrawn`: it counts nowhere and is public nowhere, like an unfounded one) or its category —
the one thing of it the public sees that a regulator may have got wrong — corrected, in the same operation and entry.
While an objection is pending, every public appearance of the complaint carries `objection_pending: true`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from .. import clock
from ..accounts.models import Account
from ..attachments import rules as attachment_rules
from ..attachments import services as attachments
from ..calendar import services as calendar
from ..companies.access import require_member
from ..companies.models import Company
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
from . import rules
from . import services as complaints
from .models import Complaint, ComplaintObjection

OWNER_KIND = "complaint_objection"  # also the verifier's SEALED kind
STEP_ACTIONS = {
    "accept": Action.COMPLAINT_OBJECTION_ACCEPT,
    "reject": Action.COMPLAINT_OBJECTION_REJECT,
    "uphold": Action.COMPLAINT_OBJECTION_UPHOLD,
    "dismiss": Action.COMPLAINT_OBJECTION_DISMISS,
}
# The one state that may be objected to: the public one.
OBJECTABLE_STATES = (rules.PUBLIC_STATE,)
# What an upheld objection does to the complaint: withdraw it, or correct its category.
OUTCOMES = {"correct": ("更正类别", "Category corrected"), "withdraw": ("撤销", "Withdrawn")}


@dataclass(frozen=True)
class Filed:
    objection: ComplaintObjection
    recorded: Recorded


def _problems_error(problems) -> ApiError:
    first = problems[0]
    return ApiError(422, first.code if len(problems) == 1 else "invalid_input", "输入有误。",
                    "The input is not valid.", {p.field: {"en": p.en, "zh": p.zh} for p in problems})


def _lock(complaint: Complaint) -> None:
    """Lock the complaint's row and read its objections again (two filings or two steps at once: one after the
    other)."""
    complaints._lock(complaint)
    db.session.execute(select(ComplaintObjection).where(ComplaintObjection.complaint_id == complaint.id)
                       .execution_options(populate_existing=True)).scalars().all()


def pending(complaint: Complaint) -> list[ComplaintObjection]:
    return [o for o in complaint.objections if o.state in orules.PENDING_STATES]


def may_object(state: str, pending_count: int) -> orules.Refused | None:
    """Whether the subject may object now (None) or why not: only a substantiated complaint, one at a time."""
    if state not in OBJECTABLE_STATES:
        return orules.Refused("not_objectable", "Only a substantiated complaint can be objected to.",
                              "只能对认定属实的投诉提出异议。")
    return orules.may_object("decided", pending_count)


# --- filing --------------------------------------------------------------------------------------

def file_objection(ring: KeyRing, *, complaint: Complaint, filed_by_kind: str, filed_by: str, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    """The subject objects to `complaint` with reasons and up to 5 documents; one entry of the complaint."""
    _lock(complaint)
    problems: list[Problem] = []
    why = complaints._text(reasons, "reasons", orules.REASONS_MAX, problems,
                           missing_en="Say why you object.", missing_zh="请填写异议理由。")
    _kinds, file_problems = attachment_rules.check_files(files)
    problems += file_problems
    if problems:
        raise _problems_error(problems)
    refused = may_object(complaint.state, len(pending(complaint)))
    if refused is not None:
        raise ApiError(409, refused.code, refused.zh, refused.en)
    row = ComplaintObjection(ref=new_ref(), filed_by_kind=filed_by_kind, filed_by=filed_by, state="received",
                             accept_days=sanction_objections.accept_working_days(), filed_dt=now,
                             filed_on=clock.local_date(now))
    row.reasons_enc = seal(ring, why, aad("complaint_objections", "reasons", row.ref))
    row.reasons_state = state_hmac(ring, "reasons", why)
    complaint.objections.append(row)
    db.session.flush()
    attachments.add(ring, owner_kind=OWNER_KIND, owner_id=row.id, files=files, by=filed_by)
    return Filed(row, record_change(ring, actor=filed_by, action=Action.COMPLAINT_OBJECTION_FILE,
                                    aggregate=complaint))


def file_as_company(ring: KeyRing, *, account: Account, company: Company, complaint: Complaint,
                    reasons: str | None, files: list[bytes], now: datetime) -> Filed:
    """A member of the company the complaint is about objects (404 for a complaint about anyone else)."""
    require_member(account, company)
    if complaint.subject_kind != "company" or complaint.company_id != company.id:
        raise not_found("complaint", "投诉")
    return file_objection(ring, complaint=complaint, filed_by_kind="company", filed_by=account.ref,
                          reasons=reasons, files=files, now=now)


def file_as_worker(ring: KeyRing, *, worker: Worker, complaint: Complaint, reasons: str | None, files: list[bytes],
                   now: datetime) -> Filed:
    """The worker the complaint is about objects in self-service (404 for a complaint about anyone else)."""
    if complaint.subject_kind != "worker" or complaint.worker_id != worker.id:
        raise not_found("complaint", "投诉")
    return file_objection(ring, complaint=complaint, filed_by_kind="worker",
                          filed_by=self_actor(worker, complaint.log_ref), reasons=reasons, files=files, now=now)


# --- the concluding agency's steps ---------------------------------------------------------------

def require_concluder(account: Account | None, complaint: Complaint) -> Account:
    """Only a regulator of the agency that concluded the complaint answers an objection to it."""
    if not complaints.is_regulator(account) or complaint.concluded_agency_id is None \
            or account.agency_id != complaint.concluded_agency_id:
        raise ApiError(403, "not_concluding_agency", "只有认定该投诉的机关可以处理对它的异议。",
                       "Only the regulators of the agency that concluded the complaint answer an objection to it.")
    return account


def complaint_for_regulator(account: Account | None, ref: str) -> Complaint:
    """The complaint if `account` handles it (`services.handles`) or its agency concluded it; 404 otherwise."""
    complaint = complaints._by_ref(ref)
    if complaint is None or not (complaints.handles(account, complaint) or (
            complaints.is_regulator(account) and account.agency_id == complaint.concluded_agency_id)):
        raise not_found("complaint", "投诉")
    return complaint


def get_objection(complaint: Complaint, ref: str) -> ComplaintObjection:
    found = next((o for o in complaint.objections if o.ref == (ref or "").lower()), None)
    if found is None:
        raise not_found("objection", "异议")
    return found


def take_step(ring: KeyRing, *, regulator: Account, complaint: Complaint, objection: ComplaintObjection,
              step: str | None, reason: str | None, outcome: str | None = None, category: str | None = None,
              today: date) -> Recorded:
    """A regulator of the concluding agency takes one step (objection_rules.STEPS); one entry of the complaint.

    Every step but `accept` gives its reason. `uphold` says what happens to the complaint: `withdraw` (state
    `withdrawn`) or `correct` with the right `category` — in this same operation.
    """
    require_concluder(regulator, complaint)
    _lock(complaint)
    problems: list[Problem] = []
    why = complaints._text(reason, "reason", orules.ANSWER_MAX, problems, required=step != "accept",
                           missing_en="Give the reason for this answer.", missing_zh="请填写理由。")
    if step not in orules.STEPS:
        refused = orules.transition(objection.state, step)
        problems.append(Problem("step", refused.code, refused.en, refused.zh))
    if step == "uphold":
        if outcome not in OUTCOMES:
            problems.append(Problem("outcome", "invalid", "Choose correct or withdraw.", "请选择更正或撤销。"))
        elif outcome == "correct" and (category not in rules.CATEGORIES or category == complaint.category):
            problems.append(Problem("category", "invalid",
                                    "Choose the right category, other than the present one: "
                                    + ", ".join(rules.CATEGORIES) + ".", "请选择更正后的类别（与原类别不同）。"))
    elif outcome is not None or category is not None:
        problems.append(Problem("outcome", "not_upheld", "Only an upheld objection changes the record.",
                                "只有异议成立时才更正或撤销记录。"))
    if problems:
        raise _problems_error(problems)
    target = orules.transition(objection.state, step)
    if isinstance(target, orules.Refused):
        raise ApiError(409, target.code, target.zh, target.en)
    if step == "uphold" and complaint.state != rules.PUBLIC_STATE:
        raise ApiError(409, "wrong_state", "该投诉已不是认定属实的状态。", "The complaint is no longer substantiated.")
    if step == "accept":
        objection.accepted_by = regulator.ref
        objection.accepted_on = today
        objection.answer_days = sanction_objections.answer_working_days()
    else:
        objection.answered_by = regulator.ref
        objection.answered_on = today
        objection.answered_dt = clock.now()
        objection.answer_enc = seal(ring, why, aad("complaint_objections", "answer", objection.ref))
        objection.answer_state = state_hmac(ring, "answer", why)
    if step == "uphold":
        objection.outcome = outcome
        if outcome == "correct":
            objection.corrected_from = complaint.category
            complaint.category = category
        else:
            complaint.state = "withdrawn"
    objection.state = target
    return record_change(ring, actor=regulator.ref, action=STEP_ACTIONS[step], aggregate=complaint)


# --- reading -------------------------------------------------------------------------------------

def reasons_of(ring: KeyRing, objection: ComplaintObjection) -> str:
    return sanction_objections.opened(ring, objection, "reasons")


def answer_of(ring: KeyRing, objection: ComplaintObjection) -> str | None:
    return sanction_objections.opened(ring, objection, "answer")


def deadline_of(objection: ComplaintObjection, *, using=None) -> tuple[str, calendar.Deadline] | None:
    """The deadline running, as a sanction objection's (`sanctions.objections.deadline_of`)."""
    return sanction_objections.deadline_of(objection, using=using)


def due(objections: list[ComplaintObjection], today: date, *, using=None) -> list[sanction_objections.Due]:
    """Each pending objection's deadline, overdue or due soon (`sanctions.objections.due`)."""
    return sanction_objections.due(objections, today, using=using)


def pending_for_agency(agency_id: int) -> list[ComplaintObjection]:
    """The pending objections to the complaints the agency concluded (the worklist), oldest first."""
    return list(db.session.execute(
        select(ComplaintObjection).join(Complaint, Complaint.id == ComplaintObjection.complaint_id)
        .where(Complaint.concluded_agency_id == agency_id, ComplaintObjection.state.in_(orules.PENDING_STATES))
        .order_by(ComplaintObjection.id)).scalars())


def pending_ids(complaint_ids: list[int]) -> set[int]:
    """Which of these complaints have a pending objection (the public views' `objection_pending`)."""
    if not complaint_ids:
        return set()
    o = ComplaintObjection.__table__.c
    return set(db.session.execute(select(o.complaint_id).where(
        o.complaint_id.in_(list(complaint_ids)), o.state.in_(orules.PENDING_STATES)).distinct()).scalars())


def view(ring: KeyRing, objection: ComplaintObjection, today: date | None = None, *, using=None) -> dict:
    """An objection to a complaint as its subject and the regulators see it."""
    return {**sanction_objections.common_view(ring, objection, OWNER_KIND, today, using=using),
            "complaint_ref": objection.complaint.ref, "corrected_from": objection.corrected_from}


def document(objection: ComplaintObjection, position: int):
    return sanction_objections.document_at(OWNER_KIND, objection, position)
