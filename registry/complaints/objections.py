"""Objections (异议) to a substantiated complaint: filed by its subject with up to 5 sealed documents, answered by the
agency that concluded it. Nothing here commits; each operation records one entry of the complaint's aggregate as
its last step.

The procedure is the one every kind of objection follows (`objections.core`); this module says what is the
complaint's own, in its `KIND`. The states, steps and deadlines are the sanction objections'
(`sanctions.objection_rules`; the same settings `SANCTION_OBJECTION_ACCEPT_WORKING_DAYS` (2) and
`SANCTION_OBJECTION_ANSWER_WORKING_DAYS` (10)), the documents the generic sealed `attachments` (owner kind
`complaint_objection`); the texts are masked as the complaint's own (`objections.core.masked_text`).

Who files: a member of the company the complaint is about (`file_as_company`), or the worker it is about in
self-service (`file_as_worker`, actor `self_actor(worker, complaint.log_ref)`). Only a substantiated complaint (the
one public state) may be objected to, one pending objection at a time. Who decides: a regulator of the agency that
concluded the complaint (`concluded_agency_id`; 403 `not_concluding_agency` for any other). Upheld: the complaint
is withdrawn (state `withdrawn`: it counts nowhere and is public nowhere, like an unfounded one) or its category —
the one thing of it the public sees that a regulator may have got wrong — corrected, in the same operation and entry.
While an objection is pending, every public appearance of the complaint carries `objection_pending: true`.
"""
from __future__ import annotations

from datetime import date, datetime

from ..accounts.models import Account
from ..calendar import services as calendar
from ..companies.models import Company
from ..errors import ApiError, not_found
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded
from ..objections import core
from ..objections.core import Due, Filed, opened
from ..sanctions import objection_rules as orules
from ..sanctions import subject_notices
from ..workers.models import Worker
from ..workers.person import Problem
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


def pending(complaint: Complaint) -> list[ComplaintObjection]:
    return core.pending(complaint)


def may_object(state: str, pending_count: int) -> orules.Refused | None:
    """Whether the subject may object now (None) or why not: only a substantiated complaint, one at a time."""
    if state not in OBJECTABLE_STATES:
        return orules.Refused("not_objectable", "Only a substantiated complaint can be objected to.",
                              "只能对认定属实的投诉提出异议。")
    return orules.may_object("decided", pending_count)


# --- what is this kind's own ---------------------------------------------------------------------

def require_concluder(account: Account | None, complaint: Complaint) -> Account:
    """Only a regulator of the agency that concluded the complaint answers an objection to it."""
    if not complaints.is_regulator(account) or complaint.concluded_agency_id is None \
            or account.agency_id != complaint.concluded_agency_id:
        raise ApiError(403, "not_concluding_agency", "只有认定该投诉的机关可以处理对它的异议。",
                       "Only the regulators of the agency that concluded the complaint answer an objection to it.")
    return account


def _outcome_problems(complaint: Complaint, outcome: str | None, category: str | None) -> list[Problem]:
    if outcome not in OUTCOMES:
        return [core.CHOOSE_OUTCOME]
    if outcome == "correct" and (category not in rules.CATEGORIES or category == complaint.category):
        return [Problem("category", "invalid", "Choose the right category, other than the present one: "
                        + ", ".join(rules.CATEGORIES) + ".", "请选择更正后的类别（与原类别不同）。")]
    return []


def _uphold(ring: KeyRing, *, regulator: Account, record: Complaint, objection: ComplaintObjection, outcome: str,
            detail: str | None, reason: str, today: date) -> None:
    """Withdraw the complaint (state `withdrawn`) or correct its category; 409 once it is no longer
    substantiated."""
    if record.state != rules.PUBLIC_STATE:
        raise ApiError(409, "wrong_state", "该投诉已不是认定属实的状态。", "The complaint is no longer substantiated.")
    if outcome == "correct":
        objection.corrected_from = record.category
        record.category = detail
    else:
        record.state = "withdrawn"


KIND = core.Kind(
    record_model=Complaint, objection_model=ComplaintObjection, record_key="complaint_id", owner_kind=OWNER_KIND,
    missing=("complaint", "投诉"), file_action=Action.COMPLAINT_OBJECTION_FILE, step_actions=STEP_ACTIONS,
    text=core.masked_text, concerns=core.is_subject,
    refusal=lambda complaint, pending_count: may_object(complaint.state, pending_count),
    decides=require_concluder, outcome_problems=_outcome_problems, uphold=_uphold, lock=complaints._lock,
    on_filed=subject_notices.tell_complaint_objection, on_step=subject_notices.tell_complaint_objection)


# --- filing --------------------------------------------------------------------------------------

def file_objection(ring: KeyRing, *, complaint: Complaint, filed_by_kind: str, filed_by: str, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    """The subject objects to `complaint` with reasons and up to 5 documents; one entry of the complaint."""
    return core.file_objection(ring, KIND, complaint, filed_by_kind=filed_by_kind, filed_by=filed_by,
                               reasons=reasons, files=files, now=now)


def file_as_company(ring: KeyRing, *, account: Account, company: Company, complaint: Complaint,
                    reasons: str | None, files: list[bytes], now: datetime) -> Filed:
    """A member of the company the complaint is about objects (404 for a complaint about anyone else)."""
    return core.file_as_company(ring, KIND, account=account, company=company, record=complaint, reasons=reasons,
                                files=files, now=now)


def file_as_worker(ring: KeyRing, *, worker: Worker, complaint: Complaint, reasons: str | None, files: list[bytes],
                   now: datetime) -> Filed:
    """The worker the complaint is about objects in self-service (404 for a complaint about anyone else)."""
    return core.file_as_worker(ring, KIND, worker=worker, record=complaint, reasons=reasons, files=files, now=now)


# --- the concluding agency's steps ---------------------------------------------------------------

def complaint_for_regulator(account: Account | None, ref: str) -> Complaint:
    """The complaint if `account` handles it (`services.handles`) or its agency concluded it; 404 otherwise."""
    complaint = complaints._by_ref(ref)
    if complaint is None or not (complaints.handles(account, complaint) or (
            complaints.is_regulator(account) and account.agency_id == complaint.concluded_agency_id)):
        raise not_found("complaint", "投诉")
    return complaint


def get_objection(complaint: Complaint, ref: str) -> ComplaintObjection:
    return core.get_objection(complaint, ref)


def take_step(ring: KeyRing, *, regulator: Account, complaint: Complaint, objection: ComplaintObjection,
              step: str | None, reason: str | None, outcome: str | None = None, category: str | None = None,
              today: date) -> Recorded:
    """A regulator of the concluding agency takes one step (objection_rules.STEPS); one entry of the complaint.

    Every step but `accept` gives its reason. `uphold` says what happens to the complaint: `withdraw` (state
    `withdrawn`) or `correct` with the right `category` — in this same operation.
    """
    return core.take_step(ring, KIND, regulator=regulator, record=complaint, objection=objection, step=step,
                          reason=reason, outcome=outcome, detail=category, today=today)


# --- reading -------------------------------------------------------------------------------------

def reasons_of(ring: KeyRing, objection: ComplaintObjection) -> str:
    return opened(ring, objection, "reasons")


def answer_of(ring: KeyRing, objection: ComplaintObjection) -> str | None:
    return opened(ring, objection, "answer")


def deadline_of(objection: ComplaintObjection, *, using=None) -> tuple[str, calendar.Deadline] | None:
    """The deadline running, as every objection's (`objections.core.deadline_of`)."""
    return core.deadline_of(objection, using=using)


def due(objections: list[ComplaintObjection], today: date, *, using=None) -> list[Due]:
    """Each pending objection's deadline, overdue or due soon (`objections.core.due`)."""
    return core.due(objections, today, using=using)


def pending_for_agency(agency_id: int) -> list[ComplaintObjection]:
    """The pending objections to the complaints the agency concluded (the worklist), oldest first."""
    return core.pending_where(KIND, Complaint.concluded_agency_id == agency_id)


def pending_ids(complaint_ids: list[int]) -> set[int]:
    """Which of these complaints have a pending objection (the public views' `objection_pending`)."""
    return core.pending_ids(db.session, KIND, complaint_ids)


def view(ring: KeyRing, objection: ComplaintObjection, today: date | None = None, *, using=None) -> dict:
    """An objection to a complaint as its subject and the regulators see it."""
    return {**core.common_view(ring, objection, OWNER_KIND, today, using=using),
            "complaint_ref": objection.complaint.ref, "corrected_from": objection.corrected_from}


def document(objection: ComplaintObjection, position: int):
    return core.document_at(OWNER_KIND, objection, position)
