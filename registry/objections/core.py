"""The one objection (异议) procedure: the subject of a record objects to it with reasons and up to 5 sealed
documents; a regulator who decides takes one step at a time (`objection_rules.STEPS`) until it is answered.

Three kinds call it — a sanction (`sanctions/objections.py`), a substantiated complaint (`complaints/objections.py`)
and a service's review (`trace/review_objections.py`) — each passing its `Kind`: what is objected to (the record's
and the objection rows' models, the documents' owner kind, the log actions) and the decisions that are its own
(whether the subject may object now, extra columns of the row, who decides, what an upheld objection does, whom
to tell). The rest is here once, so the kinds cannot drift apart: the lock, the checks and their order, the sealed
texts, the documents, each step's bookkeeping, the deadlines, and one log entry of the record's aggregate recorded
as the last step of each operation. Nothing here commits.

Deadlines count working days on the loaded calendar: accept or reject within
`SANCTION_OBJECTION_ACCEPT_WORKING_DAYS` (2) of filing, answer within `SANCTION_OBJECTION_ANSWER_WORKING_DAYS` (10)
of acceptance, each fixed on the row when it starts (the settings are named after the first kind; all three use
them).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from .. import clock
from ..accounts.models import Account
from ..attachments import rules as attachment_rules
from ..attachments import services as attachments
from ..calendar import services as calendar
from ..companies.access import require_member
from ..companies.models import Company
from ..complaints.services import _text as complaint_text
from ..errors import ApiError, not_found, problems_error
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..models import new_ref
from ..sanctions import objection_rules as orules
from ..workers.models import Worker
from ..workers.person import Problem
from ..workers.services import self_actor

# A deadline this many working days away, or nearer, is "due soon" on the worklist.
DUE_SOON_WORKING_DAYS = 1


def accept_working_days() -> int:
    return int(current_app.config.get("SANCTION_OBJECTION_ACCEPT_WORKING_DAYS", orules.DEFAULT_ACCEPT_WORKING_DAYS))


def answer_working_days() -> int:
    return int(current_app.config.get("SANCTION_OBJECTION_ANSWER_WORKING_DAYS", orules.DEFAULT_ANSWER_WORKING_DAYS))


# --- what differs between the kinds --------------------------------------------------------------

def lock_row(record) -> None:
    """Lock the record's row (PostgreSQL: FOR UPDATE; SQLite: the write transaction holds the lock already) and
    read it again."""
    model = type(record)
    db.session.execute(select(model).where(model.id == record.id).with_for_update()
                       .execution_options(populate_existing=True))


# The words of a missing text, for the kinds whose texts are masked: the subject's reasons, the regulator's answer.
MISSING_WORDS = {
    "reasons": ("Say why you object.", "请填写异议理由。"),
    "reason": ("Give the reason for this answer.", "请填写理由。"),
}


def masked_text(value, field: str, limit: int, *, required: bool, problems: list) -> str | None:
    """An objection's text as complaints and reviews keep theirs: cleaned, phone and ID numbers masked
    (`complaints.services._text`), or None with a problem."""
    missing_en, missing_zh = MISSING_WORDS[field]
    return complaint_text(value, field, limit, problems, required=required, missing_en=missing_en,
                          missing_zh=missing_zh)


def is_subject(record, *, worker: Worker | None = None, company: Company | None = None) -> bool:
    """Whether a record with a `subject_kind` (a sanction, a complaint) is about this worker or this company."""
    return ((worker is not None and record.subject_kind == "worker" and record.worker_id == worker.id)
            or (company is not None and record.subject_kind == "company" and record.company_id == company.id))


@dataclass(frozen=True)
class Kind:
    """One kind of objection: what it objects to, and the decisions that are the kind's own.

    - `record_model`, `objection_model`, `record_key`: the record (the aggregate each operation logs), its
      objection rows (`record.objections`; their table names the sealed texts' associated data) and the rows'
      column naming the record;
    - `owner_kind`: the documents' owner kind (`attachments`); `missing`: the record in a 404, (en, zh);
    - `file_action`, `step_actions`: the log actions of a filing and of each step;
    - `text(value, field, limit, *, required, problems)`: reads the reasons and the answer;
    - `concerns(record, *, worker=None, company=None)`: whether the record is about this subject;
    - `refusal(record, pending_count)`: why the subject may not object now (an `objection_rules.Refused`, 409), or
      None; `columns(record, today)`: extra columns of a new row;
    - `decides(account, record)`: raises (403 or 404, as the kind answers) unless the account decides;
    - `outcome_problems(record, outcome, detail)`: what is wrong with an uphold's outcome and its `detail` (the
      kind's own argument: a sanction's changes, a complaint's category), as problems;
      `uphold(ring, regulator=, record=, objection=, outcome=, detail=, reason=, today=)`: applies it to the
      record, in the same operation (or refuses, 409, when the record no longer allows it);
    - `on_filed(ring, record, objection)`, `on_step(ring, record, objection)`: tell the subject, or None.
    """

    record_model: type
    objection_model: type
    record_key: str
    owner_kind: str
    missing: tuple[str, str]
    file_action: Action
    step_actions: dict[str, Action]
    text: Callable[..., str | None]
    concerns: Callable[..., bool]
    refusal: Callable[[Any, int], orules.Refused | None]
    decides: Callable[[Account | None, Any], object]
    outcome_problems: Callable[[Any, str | None, Any], list]
    uphold: Callable[..., None]
    lock: Callable[[Any], None] = lock_row
    columns: Callable[[Any, date], dict] = lambda _record, _today: {}
    on_filed: Callable[[KeyRing, Any, Any], None] | None = None
    on_step: Callable[[KeyRing, Any, Any], None] | None = None


# --- shared answers ------------------------------------------------------------------------------

def refused_error(refused: orules.Refused) -> ApiError:
    return ApiError(409, refused.code, refused.zh, refused.en)


CHOOSE_OUTCOME = Problem("outcome", "invalid", "Choose correct or withdraw.", "请选择更正或撤销。")
NOT_UPHELD = Problem("outcome", "not_upheld", "Only an upheld objection changes the record.",
                     "只有异议成立时才更正或撤销记录。")


# --- the record's objections ---------------------------------------------------------------------

def lock(kind: Kind, record) -> None:
    """Lock the record's row and read its objections again: two filings or two steps at once are taken one after
    the other, so the second sees the first's."""
    kind.lock(record)
    model = kind.objection_model
    db.session.execute(select(model).where(getattr(model, kind.record_key) == record.id)
                       .execution_options(populate_existing=True)).scalars().all()


def pending(record) -> list:
    return [o for o in record.objections if o.state in orules.PENDING_STATES]


def get_objection(record, ref: str):
    found = next((o for o in record.objections if o.ref == (ref or "").lower()), None)
    if found is None:
        raise not_found("objection", "异议")
    return found


# --- filing --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filed:
    objection: Any
    recorded: Recorded


def file_objection(ring: KeyRing, kind: Kind, record, *, filed_by_kind: str, filed_by: str, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    """The subject objects to `record` with reasons and up to 5 documents; one entry of the record's aggregate.

    The input is checked first (422), then whether the subject may object now (409)."""
    lock(kind, record)
    problems = []
    why = kind.text(reasons, "reasons", orules.REASONS_MAX, required=True, problems=problems)
    _kinds, file_problems = attachment_rules.check_files(files)
    problems += file_problems
    if problems:
        raise problems_error(problems)
    refused = kind.refusal(record, len(pending(record)))
    if refused is not None:
        raise refused_error(refused)
    today = clock.local_date(now)
    row = kind.objection_model(ref=new_ref(), filed_by_kind=filed_by_kind, filed_by=filed_by, state="received",
                               accept_days=accept_working_days(), filed_dt=now, filed_on=today,
                               **kind.columns(record, today))
    row.reasons_enc = seal(ring, why, aad(row.__tablename__, "reasons", row.ref))
    row.reasons_state = state_hmac(ring, "reasons", why)
    record.objections.append(row)
    db.session.flush()
    attachments.add(ring, owner_kind=kind.owner_kind, owner_id=row.id, files=files, by=filed_by)
    if kind.on_filed is not None:
        kind.on_filed(ring, record, row)
    return Filed(row, record_change(ring, actor=filed_by, action=kind.file_action, aggregate=record))


def file_as_company(ring: KeyRing, kind: Kind, *, account: Account, company: Company, record, reasons: str | None,
                    files: list[bytes], now: datetime) -> Filed:
    """A member of the company the record is about objects (403 for anyone else, 404 for a record about anyone
    else)."""
    require_member(account, company)
    if not kind.concerns(record, company=company):
        raise not_found(*kind.missing)
    return file_objection(ring, kind, record, filed_by_kind="company", filed_by=account.ref, reasons=reasons,
                          files=files, now=now)


def file_as_worker(ring: KeyRing, kind: Kind, *, worker: Worker, record, reasons: str | None, files: list[bytes],
                   now: datetime) -> Filed:
    """The worker the record is about objects in self-service, as `self_actor(worker, record.log_ref)` (404 for a
    record about anyone else)."""
    if not kind.concerns(record, worker=worker):
        raise not_found(*kind.missing)
    return file_objection(ring, kind, record, filed_by_kind="worker", filed_by=self_actor(worker, record.log_ref),
                          reasons=reasons, files=files, now=now)


# --- the deciding regulator's steps --------------------------------------------------------------

def take_step(ring: KeyRing, kind: Kind, *, regulator: Account, record, objection, step: str | None,
              reason: str | None, outcome: str | None, detail: Any, today: date) -> Recorded:
    """A regulator who decides takes one step (objection_rules.STEPS); one entry of the record's aggregate.

    Every step but `accept` gives its reason. Only `uphold` takes an `outcome` and its `detail` (None when not
    given), applied to the record by the kind in this same operation. Who decides is checked first (403 or 404),
    then the input (422), then the step (409)."""
    kind.decides(regulator, record)
    lock(kind, record)
    problems = []
    why = kind.text(reason, "reason", orules.ANSWER_MAX, required=step != "accept", problems=problems)
    if step not in orules.STEPS:
        refused = orules.transition(objection.state, step)
        problems.append(Problem("step", refused.code, refused.en, refused.zh))
    if step == "uphold":
        problems += kind.outcome_problems(record, outcome, detail)
    elif outcome is not None or detail is not None:
        problems.append(NOT_UPHELD)
    if problems:
        raise problems_error(problems)
    target = orules.transition(objection.state, step)
    if isinstance(target, orules.Refused):
        raise refused_error(target)
    if step == "uphold":
        kind.uphold(ring, regulator=regulator, record=record, objection=objection, outcome=outcome, detail=detail,
                    reason=why, today=today)
        objection.outcome = outcome
    if step == "accept":
        objection.accepted_by = regulator.ref
        objection.accepted_on = today
        objection.answer_days = answer_working_days()
    else:
        objection.answered_by = regulator.ref
        objection.answered_on = today
        objection.answered_dt = clock.now()
        objection.answer_enc = seal(ring, why, aad(objection.__tablename__, "answer", objection.ref))
        objection.answer_state = state_hmac(ring, "answer", why)
    objection.state = target
    if kind.on_step is not None:
        kind.on_step(ring, record, objection)
    return record_change(ring, actor=regulator.ref, action=kind.step_actions[step], aggregate=record)


# --- reading -------------------------------------------------------------------------------------

def opened(ring: KeyRing, objection, column: str) -> str | None:
    """An objection's sealed `reasons` or `answer` (None when unanswered), whichever record it objects to: each
    kind's table names its associated data."""
    sealed = getattr(objection, f"{column}_enc")
    return None if sealed is None else unseal(ring, sealed, aad(objection.__tablename__, column, objection.ref))


def deadline_of(objection, *, using=None) -> tuple[str, calendar.Deadline] | None:
    """The deadline running: (`accept`, filed_on + accept_days) or (`answer`, accepted_on + answer_days)."""
    kind = orules.deadline_kind(objection.state)
    if kind == "accept":
        return kind, calendar.working_day_after(objection.filed_on, objection.accept_days, using=using)
    if kind == "answer":
        return kind, calendar.working_day_after(objection.accepted_on, objection.answer_days, using=using)
    return None


@dataclass(frozen=True)
class Due:
    objection: Any
    kind: str
    deadline: calendar.Deadline
    overdue: bool
    due_soon: bool


def due(objections: list, today: date, *, using=None) -> list[Due]:
    """Each pending objection's deadline, whether today is past it, or it falls within DUE_SOON_WORKING_DAYS."""
    using = calendar.schedule() if using is None else using
    soon = calendar.working_day_after(today, DUE_SOON_WORKING_DAYS, using=using).day
    out = []
    for o in objections:
        found = deadline_of(o, using=using)
        if found is not None:
            kind, deadline = found
            out.append(Due(o, kind, deadline, today > deadline.day, today <= deadline.day <= soon))
    return sorted(out, key=lambda d: (d.deadline.day, d.objection.id))


def pending_where(kind: Kind, condition) -> list:
    """The pending objections to the records that meet `condition` (a worklist), oldest first."""
    model, record = kind.objection_model, kind.record_model
    return list(db.session.execute(
        select(model).join(record, record.id == getattr(model, kind.record_key))
        .where(condition, model.state.in_(orules.PENDING_STATES)).order_by(model.id)).scalars())


def pending_ids(conn, kind: Kind, record_ids: list[int]) -> set[int]:
    """Which of these records have a pending objection (the public views' `objection_pending`)."""
    if not record_ids:
        return set()
    o = kind.objection_model.__table__.c
    key = o[kind.record_key]
    return set(conn.execute(select(key).where(
        key.in_(list(record_ids)), o.state.in_(orules.PENDING_STATES)).distinct()).scalars())


def common_view(ring: KeyRing, objection, owner_kind: str, today: date | None = None, *, using=None) -> dict:
    """What every objection shows its subject and the regulators, whatever it objects to: reasons, documents
    (without their bytes; `owner_kind` names them), the steps and the running deadline."""
    found = deadline_of(objection, using=using)
    deadline = None
    if found is not None:
        kind, d = found
        deadline = {"kind": kind, "day": d.day, "provisional": d.provisional,
                    "overdue": today is not None and today > d.day}
    return {
        "ref": objection.ref,
        "state": objection.state,
        "state_label": {"zh": orules.STATES[objection.state][0], "en": orules.STATES[objection.state][1]},
        "filed_by_kind": objection.filed_by_kind,
        "reasons": opened(ring, objection, "reasons"),
        "documents": [attachments.view(a) for a in attachments.for_owner(owner_kind, objection.id)],
        "filed_on": objection.filed_on,
        "accepted_on": objection.accepted_on,
        "answered_on": objection.answered_on,
        "answer": opened(ring, objection, "answer"),
        "outcome": objection.outcome,
        "deadline": deadline,
    }


def document_at(owner_kind: str, objection, position: int):
    """The objection's document at `position` (1-based), or 404."""
    found = next((a for a in attachments.for_owner(owner_kind, objection.id) if a.position == position), None)
    if found is None:
        raise not_found("document", "材料")
    return found
