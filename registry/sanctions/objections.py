"""Objections (异议) to a sanction: filed by its subject with up to 5 sealed documents, answered by the issuing
agency. Nothing here commits; each operation records one entry of the sanction's aggregate as its last step.

Who files: a member of the sanctioned company (`file_as_company`), or the sanctioned worker in self-service
(`file_as_worker`). Who decides: only a regulator of the issuing agency (`services.require_issuer`). Steps and
states: `objection_rules`. Deadlines count working days on the loaded calendar: accept or reject within
`SANCTION_OBJECTION_ACCEPT_WORKING_DAYS` (2) of filing, answer within `SANCTION_OBJECTION_ANSWER_WORKING_DAYS` (10)
of acceptance; each fixed on the row when it starts. Upheld: the sanction is corrected (`services.apply_correction`)
or withdrawn in the same operation. An objection filed inside a serious listing's notice window blocks
`services.decide_sanction` while pending (409 `objection_unanswered`). While any objection is pending, every public
appearance of the sanction carries `objection_pending: true` (`pending_ids`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
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
from ..keys.crypto import aad, seal, state_hmac, unseal
from ..log.actions import Action
from ..log.services import Recorded, record_change
from ..models import new_ref
from ..workers.models import Worker
from ..workers.services import self_actor
from . import objection_rules as orules
from . import rules, subject_notices
from . import services as sanctions
from .models import Sanction, SanctionObjection, SanctionWithdrawal

OWNER_KIND = "sanction_objection"
STEP_ACTIONS = {
    "accept": Action.SANCTION_OBJECTION_ACCEPT,
    "reject": Action.SANCTION_OBJECTION_REJECT,
    "uphold": Action.SANCTION_OBJECTION_UPHOLD,
    "dismiss": Action.SANCTION_OBJECTION_DISMISS,
}
# A deadline this many working days away, or nearer, is "due soon" on the worklist.
DUE_SOON_WORKING_DAYS = 1


def accept_working_days() -> int:
    return int(current_app.config.get("SANCTION_OBJECTION_ACCEPT_WORKING_DAYS", orules.DEFAULT_ACCEPT_WORKING_DAYS))


def answer_working_days() -> int:
    return int(current_app.config.get("SANCTION_OBJECTION_ANSWER_WORKING_DAYS", orules.DEFAULT_ANSWER_WORKING_DAYS))


@dataclass(frozen=True)
class Filed:
    objection: SanctionObjection
    recorded: Recorded


def _problems_error(problems) -> ApiError:
    first = problems[0]
    return ApiError(422, first.code if len(problems) == 1 else "invalid_input", "输入有误。",
                    "The input is not valid.", {p.field: {"en": p.en, "zh": p.zh} for p in problems})


def _lock(sanction: Sanction) -> None:
    """Lock the sanction's row and read it and its objections again: two filings or two steps at once are taken
    one after the other, so the second sees the first's."""
    sanctions.lock_sanction(sanction)
    db.session.execute(select(SanctionObjection).where(SanctionObjection.sanction_id == sanction.id)
                       .execution_options(populate_existing=True)).scalars().all()


def pending(sanction: Sanction) -> list[SanctionObjection]:
    return [o for o in sanction.objections if o.state in orules.PENDING_STATES]


# --- filing --------------------------------------------------------------------------------------

def file_objection(ring: KeyRing, *, sanction: Sanction, filed_by_kind: str, filed_by: str, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    """The subject objects to `sanction` with reasons and up to 5 documents; one entry of the sanction."""
    _lock(sanction)
    problems = []
    why = sanctions._text(reasons, "reasons", orules.REASONS_MAX, required=True, problems=problems)
    _kinds, file_problems = attachment_rules.check_files(files)
    problems += file_problems
    if problems:
        raise _problems_error(problems)
    refused = orules.may_object(sanction.state, len(pending(sanction)))
    if refused is not None:
        raise ApiError(409, refused.code, refused.zh, refused.en)
    today = clock.local_date(now)
    in_window = False
    if sanction.state == "notified":
        until = sanctions.objection_until(sanction)
        in_window = until is not None and today <= until.day
    row = SanctionObjection(ref=new_ref(), filed_by_kind=filed_by_kind, filed_by=filed_by, in_window=in_window,
                            state="received", accept_days=accept_working_days(), filed_dt=now, filed_on=today)
    row.reasons_enc = seal(ring, why, aad("sanction_objections", "reasons", row.ref))
    row.reasons_state = state_hmac(ring, "reasons", why)
    sanction.objections.append(row)
    db.session.flush()
    attachments.add(ring, owner_kind=OWNER_KIND, owner_id=row.id, files=files, by=filed_by)
    subject_notices.tell(ring, sanction, "objection_filed")  # the receipt
    return Filed(row, record_change(ring, actor=filed_by, action=Action.SANCTION_OBJECTION_FILE,
                                    aggregate=sanction))


def file_as_company(ring: KeyRing, *, account: Account, company: Company, sanction: Sanction, reasons: str | None,
                    files: list[bytes], now: datetime) -> Filed:
    """A member of the sanctioned company objects (404 for a sanction of anyone else)."""
    require_member(account, company)
    if sanction.subject_kind != "company" or sanction.company_id != company.id:
        raise not_found("sanction", "处罚记录")
    return file_objection(ring, sanction=sanction, filed_by_kind="company", filed_by=account.ref, reasons=reasons,
                          files=files, now=now)


def file_as_worker(ring: KeyRing, *, worker: Worker, sanction: Sanction, reasons: str | None, files: list[bytes],
                   now: datetime) -> Filed:
    """The sanctioned worker objects in self-service (404 for a sanction of anyone else)."""
    if sanction.subject_kind != "worker" or sanction.worker_id != worker.id:
        raise not_found("sanction", "处罚记录")
    return file_objection(ring, sanction=sanction, filed_by_kind="worker",
                          filed_by=self_actor(worker, sanction.log_ref), reasons=reasons, files=files, now=now)


def own_sanction(ref: str, *, worker: Worker | None = None, company: Company | None = None) -> Sanction:
    """A sanction of this worker or this company that its subject may see (noticed or decided); 404 otherwise."""
    try:
        sanction = sanctions.get_sanction(ref)
    except ApiError:
        raise not_found("sanction", "处罚记录") from None
    mine = ((worker is not None and sanction.subject_kind == "worker" and sanction.worker_id == worker.id)
            or (company is not None and sanction.subject_kind == "company" and sanction.company_id == company.id))
    if not mine or sanction.state == "proposed":
        raise not_found("sanction", "处罚记录")
    return sanction


def objectable_for(*, worker_id: int | None = None, company_id: int | None = None) -> list[Sanction]:
    """The sanctions this worker or company may object to now (noticed or decided, not withdrawn), newest first."""
    q = select(Sanction).where(Sanction.state.in_(orules.OBJECTABLE_STATES))
    if worker_id is not None:
        q = q.where(Sanction.subject_kind == "worker", Sanction.worker_id == worker_id)
    else:
        q = q.where(Sanction.subject_kind == "company", Sanction.company_id == company_id)
    return list(db.session.execute(q.order_by(Sanction.id.desc())).scalars())


def objections_of(*, worker_id: int | None = None, company_id: int | None = None) -> list[SanctionObjection]:
    """The objections this worker or company filed, newest first."""
    q = select(SanctionObjection).join(Sanction, Sanction.id == SanctionObjection.sanction_id)
    if worker_id is not None:
        q = q.where(Sanction.subject_kind == "worker", Sanction.worker_id == worker_id)
    else:
        q = q.where(Sanction.subject_kind == "company", Sanction.company_id == company_id)
    return list(db.session.execute(q.order_by(SanctionObjection.id.desc())).scalars())


# --- the issuing agency's steps ------------------------------------------------------------------

def get_objection(sanction: Sanction, ref: str) -> SanctionObjection:
    found = next((o for o in sanction.objections if o.ref == (ref or "").lower()), None)
    if found is None:
        raise not_found("objection", "异议")
    return found


def take_step(ring: KeyRing, *, regulator: Account, sanction: Sanction, objection: SanctionObjection,
              step: str | None, reason: str | None, outcome: str | None = None, changes: dict | None = None,
              today: date) -> Recorded:
    """A regulator of the issuing agency takes one step (objection_rules.STEPS); one entry of the sanction.

    Every step but `accept` gives its reason. `uphold` says what happens to the sanction (`outcome`): `correct`
    with the `changes` (as `services.correct_sanction` takes them, the answer its reason) or `withdraw` — done in
    this same operation.
    """
    sanctions.require_issuer(regulator, sanction)
    _lock(sanction)
    problems = []
    why = sanctions._text(reason, "reason", orules.ANSWER_MAX, required=step != "accept", problems=problems)
    if step not in orules.STEPS:
        refused = orules.transition(objection.state, step)
        problems.append(rules.Problem("step", refused.code, refused.en, refused.zh))
    if step == "uphold":
        if outcome not in orules.OUTCOMES:
            problems.append(rules.Problem("outcome", "invalid", "Choose correct or withdraw.",
                                          "请选择更正或撤销。"))
        elif outcome == "correct" and not changes:
            problems.append(rules.Problem("changes", "required", "Say what the correction changes.",
                                          "请填写更正的内容。"))
    elif outcome is not None or changes:
        problems.append(rules.Problem("outcome", "not_upheld", "Only an upheld objection changes the record.",
                                      "只有异议成立时才更正或撤销记录。"))
    if problems:
        raise _problems_error(problems)
    target = orules.transition(objection.state, step)
    if isinstance(target, orules.Refused):
        raise ApiError(409, target.code, target.zh, target.en)
    if step == "accept":
        objection.accepted_by = regulator.ref
        objection.accepted_on = today
        objection.answer_days = answer_working_days()
    else:
        objection.answered_by = regulator.ref
        objection.answered_on = today
        objection.answered_dt = clock.now()
        objection.answer_enc = seal(ring, why, aad("sanction_objections", "answer", objection.ref))
        objection.answer_state = state_hmac(ring, "answer", why)
    if step == "uphold":
        objection.outcome = outcome
        if outcome == "correct":
            sanctions.apply_correction(ring, regulator=regulator, sanction=sanction, today=today,
                                       changes=dict(changes), reason=why, field_prefix="changes.")
        else:
            _withdraw(sanction, regulator=regulator, today=today)
    objection.state = target
    subject_notices.tell_objection_step(ring, sanction, objection)
    return record_change(ring, actor=regulator.ref, action=STEP_ACTIONS[step], aggregate=sanction)


# The withdrawal's public reason when an upheld objection withdraws the record: the answer itself is sealed (it may
# name people), the withdrawal's reason is published.
UPHELD_REASON = "异议成立，原记录撤回。 The objection was upheld: the record is withdrawn."


def _withdraw(sanction: Sanction, *, regulator: Account, today: date) -> None:
    """Withdrawn as the sanctions' own withdrawal does (repair.withdraw_sanction): no longer public, shared or in
    effect, with the withdrawal row the bulletins follow (by the issuing agency itself, today, for the upheld
    objection). A revocation already recorded is the one completed."""
    if sanction.state == "withdrawn":
        raise ApiError(409, "wrong_state", "该记录已撤销。", "The sanction is already withdrawn.")
    now = clock.now()
    if sanction.withdrawal is None:
        sanction.withdrawal = SanctionWithdrawal(authority="agency", revoked_on=today, reason=UPHELD_REASON,
                                                 recorded_by=regulator.ref, recorded_dt=now)
    sanction.withdrawal.withdrawn_by = regulator.ref
    sanction.withdrawal.withdrawn_dt = now
    sanction.state = "withdrawn"


# --- reading -------------------------------------------------------------------------------------

def opened(ring: KeyRing, objection, column: str) -> str | None:
    """An objection's sealed `reasons` or `answer` (None when unanswered), whichever record it objects to: each
    kind's table names its associated data."""
    sealed = getattr(objection, f"{column}_enc")
    return None if sealed is None else unseal(ring, sealed, aad(objection.__tablename__, column, objection.ref))


def reasons_of(ring: KeyRing, objection: SanctionObjection) -> str:
    return opened(ring, objection, "reasons")


def answer_of(ring: KeyRing, objection: SanctionObjection) -> str | None:
    return opened(ring, objection, "answer")


def deadline_of(objection: SanctionObjection, *, using=None) -> tuple[str, calendar.Deadline] | None:
    """The deadline running: (`accept`, filed_on + accept_days) or (`answer`, accepted_on + answer_days)."""
    kind = orules.deadline_kind(objection.state)
    if kind == "accept":
        return kind, calendar.working_day_after(objection.filed_on, objection.accept_days, using=using)
    if kind == "answer":
        return kind, calendar.working_day_after(objection.accepted_on, objection.answer_days, using=using)
    return None


@dataclass(frozen=True)
class Due:
    objection: SanctionObjection
    kind: str
    deadline: calendar.Deadline
    overdue: bool
    due_soon: bool


def due(objections: list[SanctionObjection], today: date, *, using=None) -> list[Due]:
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


def pending_for_agency(agency_id: int) -> list[SanctionObjection]:
    """The pending objections to the agency's sanctions (the worklist), oldest first."""
    return list(db.session.execute(
        select(SanctionObjection).join(Sanction, Sanction.id == SanctionObjection.sanction_id)
        .where(Sanction.agency_id == agency_id, SanctionObjection.state.in_(orules.PENDING_STATES))
        .order_by(SanctionObjection.id)).scalars())


def pending_ids(conn, sanction_ids: list[int]) -> set[int]:
    """Which of these sanctions have a pending objection (the public views' `objection_pending`)."""
    if not sanction_ids:
        return set()
    o = SanctionObjection.__table__.c
    return set(conn.execute(select(o.sanction_id).where(
        o.sanction_id.in_(list(sanction_ids)), o.state.in_(orules.PENDING_STATES)).distinct()).scalars())


def is_pending(sanction: Sanction) -> bool:
    return bool(pending(sanction))


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


def view(ring: KeyRing, objection: SanctionObjection, today: date | None = None, *, using=None) -> dict:
    """An objection to a sanction as its subject and the regulators see it."""
    return {**common_view(ring, objection, OWNER_KIND, today, using=using), "sanction_ref": objection.sanction.ref,
            "in_window": objection.in_window}


def document_at(owner_kind: str, objection, position: int):
    """The objection's document at `position` (1-based), or 404."""
    found = next((a for a in attachments.for_owner(owner_kind, objection.id) if a.position == position), None)
    if found is None:
        raise not_found("document", "材料")
    return found


def document(sanction: Sanction, objection: SanctionObjection, position: int):
    return document_at(OWNER_KIND, objection, position)
