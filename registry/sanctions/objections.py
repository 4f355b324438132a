"""Objections (异议) to a sanction: filed by its subject with up to 5 sealed documents, answered by the issuing
agency. Nothing here commits; each operation records one entry of the sanction's aggregate as its last step.

The procedure is the one every kind of objection follows (`objections.core`: the lock, the checks, the sealed
texts, the documents, the steps, the deadlines); this module says what is the sanction's own, in its `KIND`.
Who files: a member of the sanctioned company (`file_as_company`), or the sanctioned worker in self-service
(`file_as_worker`); each filing and step is told to the subject (`subject_notices`). Who decides: only a regulator
of the issuing agency (`services.require_issuer`). Steps and states: `objection_rules`. Deadlines count working
days on the loaded calendar: accept or reject within `SANCTION_OBJECTION_ACCEPT_WORKING_DAYS` (2) of filing, answer
within `SANCTION_OBJECTION_ANSWER_WORKING_DAYS` (10) of acceptance; each fixed on the row when it starts. Upheld:
the sanction is corrected (`services.apply_correction`) or withdrawn in the same operation. An objection filed
inside a serious listing's notice window (`in_window`) blocks `services.decide_sanction` while pending (409
`objection_unanswered`). While any objection is pending, every public appearance of the sanction carries
`objection_pending: true` (`pending_ids`).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from .. import clock
from ..accounts.models import Account
from ..companies.models import Company
from ..errors import ApiError, not_found
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded
from ..objections import core
from ..objections.core import (  # noqa: F401  (shared by the three kinds; other modules read them here)
    DUE_SOON_WORKING_DAYS,
    Due,
    Filed,
    accept_working_days,
    answer_working_days,
    common_view,
    deadline_of,
    document_at,
    due,
    opened,
)
from ..workers.models import Worker
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


# --- what is this kind's own ---------------------------------------------------------------------

def _in_window(sanction: Sanction, today: date) -> dict:
    """`in_window`: filed inside a serious listing's notice window, the objection blocks the decision while
    pending."""
    in_window = False
    if sanction.state == "notified":
        until = sanctions.objection_until(sanction)
        in_window = until is not None and today <= until.day
    return {"in_window": in_window}


def _outcome_problems(sanction: Sanction, outcome: str | None, changes: dict | None) -> list:
    if outcome not in orules.OUTCOMES:
        return [core.CHOOSE_OUTCOME]
    if outcome == "correct" and not changes:
        return [rules.Problem("changes", "required", "Say what the correction changes.", "请填写更正的内容。")]
    return []


def _uphold(ring: KeyRing, *, regulator: Account, record: Sanction, objection: SanctionObjection, outcome: str,
            detail: dict | None, reason: str, today: date) -> None:
    """Correct the sanction (`services.apply_correction` with the changes, the answer its reason) or withdraw it."""
    if outcome == "correct":
        sanctions.apply_correction(ring, regulator=regulator, sanction=record, today=today, changes=dict(detail),
                                   reason=reason, field_prefix="changes.")
    else:
        _withdraw(record, regulator=regulator, today=today)


def _receipt(ring: KeyRing, sanction: Sanction, _objection: SanctionObjection) -> None:
    subject_notices.tell(ring, sanction, "objection_filed")


KIND = core.Kind(
    record_model=Sanction, objection_model=SanctionObjection, record_key="sanction_id", owner_kind=OWNER_KIND,
    missing=("sanction", "处罚记录"), file_action=Action.SANCTION_OBJECTION_FILE, step_actions=STEP_ACTIONS,
    text=sanctions._text, concerns=core.is_subject,
    refusal=lambda sanction, pending_count: orules.may_object(sanction.state, pending_count),
    columns=_in_window, decides=sanctions.require_issuer, outcome_problems=_outcome_problems, uphold=_uphold,
    lock=sanctions.lock_sanction, on_filed=_receipt, on_step=subject_notices.tell_objection_step)


def pending(sanction: Sanction) -> list[SanctionObjection]:
    return core.pending(sanction)


# --- filing --------------------------------------------------------------------------------------

def file_objection(ring: KeyRing, *, sanction: Sanction, filed_by_kind: str, filed_by: str, reasons: str | None,
                   files: list[bytes], now: datetime) -> Filed:
    """The subject objects to `sanction` with reasons and up to 5 documents; one entry of the sanction, the
    subject told of its receipt."""
    return core.file_objection(ring, KIND, sanction, filed_by_kind=filed_by_kind, filed_by=filed_by,
                               reasons=reasons, files=files, now=now)


def file_as_company(ring: KeyRing, *, account: Account, company: Company, sanction: Sanction, reasons: str | None,
                    files: list[bytes], now: datetime) -> Filed:
    """A member of the sanctioned company objects (404 for a sanction of anyone else)."""
    return core.file_as_company(ring, KIND, account=account, company=company, record=sanction, reasons=reasons,
                                files=files, now=now)


def file_as_worker(ring: KeyRing, *, worker: Worker, sanction: Sanction, reasons: str | None, files: list[bytes],
                   now: datetime) -> Filed:
    """The sanctioned worker objects in self-service (404 for a sanction of anyone else)."""
    return core.file_as_worker(ring, KIND, worker=worker, record=sanction, reasons=reasons, files=files, now=now)


def own_sanction(ref: str, *, worker: Worker | None = None, company: Company | None = None) -> Sanction:
    """A sanction of this worker or this company that its subject may see (noticed or decided); 404 otherwise."""
    try:
        sanction = sanctions.get_sanction(ref)
    except ApiError:
        raise not_found("sanction", "处罚记录") from None
    if not core.is_subject(sanction, worker=worker, company=company) or sanction.state == "proposed":
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
    return core.get_objection(sanction, ref)


def take_step(ring: KeyRing, *, regulator: Account, sanction: Sanction, objection: SanctionObjection,
              step: str | None, reason: str | None, outcome: str | None = None, changes: dict | None = None,
              today: date) -> Recorded:
    """A regulator of the issuing agency takes one step (objection_rules.STEPS); one entry of the sanction, the
    subject told of it.

    Every step but `accept` gives its reason. `uphold` says what happens to the sanction (`outcome`): `correct`
    with the `changes` (as `services.correct_sanction` takes them, the answer its reason) or `withdraw` — done in
    this same operation.
    """
    return core.take_step(ring, KIND, regulator=regulator, record=sanction, objection=objection, step=step,
                          reason=reason, outcome=outcome, detail=changes or None, today=today)


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

def reasons_of(ring: KeyRing, objection: SanctionObjection) -> str:
    return opened(ring, objection, "reasons")


def answer_of(ring: KeyRing, objection: SanctionObjection) -> str | None:
    return opened(ring, objection, "answer")


def pending_for_agency(agency_id: int) -> list[SanctionObjection]:
    """The pending objections to the agency's sanctions (the worklist), oldest first."""
    return core.pending_where(KIND, Sanction.agency_id == agency_id)


def pending_ids(conn, sanction_ids: list[int]) -> set[int]:
    """Which of these sanctions have a pending objection (the public views' `objection_pending`)."""
    return core.pending_ids(conn, KIND, sanction_ids)


def is_pending(sanction: Sanction) -> bool:
    return bool(pending(sanction))


def view(ring: KeyRing, objection: SanctionObjection, today: date | None = None, *, using=None) -> dict:
    """An objection to a sanction as its subject and the regulators see it."""
    return {**common_view(ring, objection, OWNER_KIND, today, using=using), "sanction_ref": objection.sanction.ref,
            "in_window": objection.in_window}


def document(sanction: Sanction, objection: SanctionObjection, position: int):
    return document_at(OWNER_KIND, objection, position)
