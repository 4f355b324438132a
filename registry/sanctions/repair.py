"""Credit repair (信用修复) and withdrawal (撤回) of sanctions: the steps, each one log entry of the sanction.

- The subject applies for repair — a member of the sanctioned company, or the worker in self-service — once the
  minimum publication period has passed (`repair_rules.earliest_repair_date`; 409 `repair_too_early` with the
  date from which it is possible), stating the obligations met and signing the credit pledge.
- A regulator of the issuing agency approves (the sanction becomes `repaired`: it stops being public and in
  effect at once) or rejects with reasons.
- A decision revoked by review, a court or the agency itself: any regulator records the revocation (the
  sanction stays as it is, and the issuing agency's worklist shows it against the 3-day limit); a regulator of
  the issuing agency withdraws it (the sanction becomes `withdrawn`), with the revocation's details, or giving
  them itself when nothing was recorded first.

Nothing here commits. The rules are in `repair_rules.py` and docs/rules.md, "Sanctions".
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

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
from ..log.services import record_change
from ..models import new_ref
from ..workers.models import Worker
from . import repair_rules as rr
from . import rules, subject_notices
from . import services as sanctions
from .models import Sanction, SanctionRepair, SanctionWithdrawal
from .services import Changed, _missing, _problems_error, _text, require_issuer, require_regulator

# The owner kind of a repair application's documents in the generic `attachments` table (objections have theirs).
OWNER_KIND = "sanction_repair"


def _lock(sanction: Sanction, *rows) -> None:
    """Lock the sanction's row and read it, its applications and its withdrawal again: two steps at once are taken
    one after the other, so the second sees the first (two applications, or approve and withdraw, together)."""
    sanctions.lock_sanction(sanction)
    for row in rows:
        db.session.refresh(row)


def _require_state(sanction: Sanction) -> None:
    problem = rr.repair_problem(state=sanction.state, decision_date=sanction.decision_date)
    if problem == "window_over":
        raise ApiError(409, "window_over", "公示期已届满，无需信用修复。",
                       "Its publication window has ended: there is nothing to repair.")
    if problem == "already_ended":
        raise ApiError(409, "already_ended", "该记录已信用修复或已撤回。",
                       "This sanction has already been repaired or withdrawn.")
    if problem is not None:
        raise ApiError(409, "wrong_state", "该记录尚未作出决定，不能申请信用修复。",
                       "The sanction is not decided yet: there is nothing to repair.")


def too_early_error(earliest: date) -> ApiError:
    """409 `repair_too_early`, naming the first day a repair may be applied for (in both languages and a field)."""
    day = earliest.isoformat()
    # The field holds the bare ISO date in both languages, for a client to read.
    return ApiError(409, "repair_too_early", f"最短公示期未满，{day} 起方可申请信用修复。",
                    f"The minimum publication period has not passed: a repair may be applied for from {day}.",
                    {"earliest": {"en": day, "zh": day}})


def _apply_error(problems) -> ApiError:
    """422 `invalid_input` naming every field at fault; a lone document problem answers its own code (as an
    objection's does: `file_type`, `file_too_large`, `file_empty`, `too_many_files`), the file's position in the
    field (`documents.2`)."""
    error = _problems_error(problems)
    if len(problems) == 1 and problems[0].field.split(".")[0] == "documents":
        error.code = problems[0].code
    return error


def apply_for_repair(ring: KeyRing, *, sanction: Sanction, applicant_kind: str, applicant: str, today: date,
                     statement: str, pledge: bool, files: list[bytes] | None = None) -> Changed:
    """The subject applies for the repair of its sanction: the obligations met (in words, and up to 5 documents
    proving them: PDF, JPEG or PNG, at most 5 MiB each, stored sealed), and the credit pledge signed.

    `applicant_kind`/`applicant`: "company" and the member's account ref, or "worker" and the worker's actor on this
    sanction (`workers.services.self_actor(worker, sanction.log_ref)`).
    The caller has checked that the applicant is the sanction's subject.
    """
    files = list(files or [])
    if applicant_kind not in rr.APPLICANT_KINDS:
        raise ValueError(applicant_kind)
    _lock(sanction)
    _require_state(sanction)
    if any(r.state == "pending" for r in sanction.repairs):
        raise ApiError(409, "repair_pending", "已有一份信用修复申请正在审核。",
                       "A repair application is already awaiting the issuing agency.")
    earliest = rr.repair_too_early(severity=sanction.severity, decision_date=sanction.decision_date, today=today)
    problems = []
    text = _text(statement, "statement", rr.STATEMENT_MAX, required=True, problems=problems)
    if pledge is not True:
        problems.append(rules.Problem("pledge", "required", "Sign the credit pledge.", "请签署信用承诺。"))
    _kinds, file_problems = attachment_rules.check_files(files)
    problems += file_problems
    if earliest is not None:
        # Too early whatever the form says: the date first, so the applicant knows when to come back.
        raise too_early_error(earliest)
    if problems:
        raise _apply_error(problems)
    repair = SanctionRepair(ref=new_ref(), applicant_kind=applicant_kind, applicant=applicant, pledge=rr.PLEDGE_TEXT,
                            applied_dt=clock.now(), state="pending")
    repair.statement_enc = seal(ring, text, aad("sanction_repairs", "statement", repair.ref))
    repair.statement_state = state_hmac(ring, "statement", text)
    sanction.repairs.append(repair)
    # Documents (proof of the obligations met): sealed and attached to the application's row, in this same
    # transaction, before the one entry is recorded (its state lists them: `canonical.py`).
    db.session.flush()
    attachments.add(ring, owner_kind=OWNER_KIND, owner_id=repair.id, files=files, by=applicant)
    subject_notices.tell(ring, sanction, "repair_applied")  # the receipt
    return Changed(sanction, record_change(ring, actor=applicant, action=Action.SANCTION_REPAIR_APPLY,
                                           aggregate=sanction))


def decide_repair(ring: KeyRing, *, regulator: Account, sanction: Sanction, repair: SanctionRepair, today: date,
                  approve: bool, reason: str | None) -> Changed:
    """A regulator of the issuing agency approves (the sanction is repaired at once) or rejects (reasons needed)."""
    require_issuer(regulator, sanction)
    _lock(sanction, repair)
    target = "approved" if approve else "rejected"
    if not rr.may_decide_repair(repair.state, target):
        raise ApiError(409, "wrong_state", "该申请已审核。", "The application has already been decided.")
    problems = []
    why = _text(reason, "reason", rr.REPAIR_REASON_MAX, required=not approve, problems=problems)
    if problems:
        raise _problems_error(problems)
    if approve:
        # The sanction may have ended since the application (its window, a withdrawal): nothing left to repair.
        _require_state(sanction)
    repair.state = target
    repair.decided_by = regulator.ref
    repair.decided_dt = clock.now()
    repair.reason = why
    if approve:
        sanction.state = "repaired"
    subject_notices.tell(ring, sanction, f"repair_{target}")
    action = Action.SANCTION_REPAIR_APPROVE if approve else Action.SANCTION_REPAIR_REJECT
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=action, aggregate=sanction))


def _withdrawal_terms(authority, revoked_on, reason, *, sanction: Sanction, today: date) -> tuple:
    problems = []
    if authority not in rr.AUTHORITIES:
        problems.append(rules.Problem("authority", "invalid", "Choose review, court or agency.",
                                      "请选择撤销或变更决定的机关：行政复议机关、人民法院或本机关。"))
    if revoked_on is None:
        problems.append(_missing("revoked_on"))
    elif revoked_on > today:
        problems.append(rules.Problem("revoked_on", "in_future", "The revocation cannot be in the future.",
                                      "撤销日期不能晚于今天。"))
    elif sanction.decision_date is not None and revoked_on < sanction.decision_date:
        problems.append(rules.Problem("revoked_on", "too_early", "The revocation cannot predate the decision.",
                                      "撤销日期不能早于决定日期。"))
    why = _text(reason, "reason", rr.WITHDRAW_REASON_MAX, required=True, problems=problems)
    if problems:
        raise _problems_error(problems)
    return authority, revoked_on, why


def _require_withdrawable(sanction: Sanction) -> None:
    if not rr.may_withdraw(sanction.state):
        if sanction.state == "withdrawn":
            raise ApiError(409, "already_withdrawn", "该记录已撤回。", "The sanction has already been withdrawn.")
        raise ApiError(409, "wrong_state", "该记录尚未作出决定，无需撤回。",
                       "The sanction is not decided: there is nothing to withdraw.")


def record_revocation(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date, authority: str,
                      revoked_on: date, reason: str) -> Changed:
    """Any regulator records that the decision was revoked (e.g. the review body): pending the issuing agency's
    withdrawal, which is due within 3 days of `revoked_on`."""
    require_regulator(regulator)
    _lock(sanction)
    _require_withdrawable(sanction)
    if sanction.withdrawal is not None:
        raise ApiError(409, "revocation_recorded", "已登记该决定被撤销，待作出决定的机关撤回。",
                       "The revocation is already recorded; the issuing agency withdraws the sanction.")
    authority, revoked_on, why = _withdrawal_terms(authority, revoked_on, reason, sanction=sanction, today=today)
    sanction.withdrawal = SanctionWithdrawal(authority=authority, revoked_on=revoked_on, reason=why,
                                             recorded_by=regulator.ref, recorded_dt=clock.now())
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_REVOCATION,
                                           aggregate=sanction))


def withdraw_sanction(ring: KeyRing, *, regulator: Account, sanction: Sanction, today: date,
                      authority: str | None = None, revoked_on: date | None = None,
                      reason: str | None = None) -> Changed:
    """The issuing agency withdraws a revoked decision: no longer public, shared or in effect, from now.

    With a revocation recorded, its details stand (any given here must not contradict them); otherwise the
    authority, the day of the revocation and the reason are required.
    """
    require_issuer(regulator, sanction)
    _lock(sanction)
    _require_withdrawable(sanction)
    pending = sanction.withdrawal
    now = clock.now()
    if pending is None:
        authority, revoked_on, why = _withdrawal_terms(authority, revoked_on, reason, sanction=sanction, today=today)
        sanction.withdrawal = SanctionWithdrawal(authority=authority, revoked_on=revoked_on, reason=why,
                                                 recorded_by=regulator.ref, recorded_dt=now,
                                                 withdrawn_by=regulator.ref, withdrawn_dt=now)
    else:
        clash = [f for f, given, held in (("authority", authority, pending.authority),
                                          ("revoked_on", revoked_on, pending.revoked_on))
                 if given is not None and given != held]
        if clash:
            raise _problems_error([rules.Problem(f, "differs", "This differs from the revocation recorded.",
                                                 "与已登记的撤销信息不一致。") for f in clash])
        pending.withdrawn_by = regulator.ref
        pending.withdrawn_dt = now
    sanction.state = "withdrawn"
    subject_notices.tell(ring, sanction, "withdrawn")
    return Changed(sanction, record_change(ring, actor=regulator.ref, action=Action.SANCTION_WITHDRAW,
                                           aggregate=sanction))


def answer_working_days() -> int:
    return int(current_app.config.get("SANCTION_REPAIR_ANSWER_WORKING_DAYS", rr.DEFAULT_ANSWER_WORKING_DAYS))


def answer_deadline(repair: SanctionRepair, *, using=None) -> calendar.Deadline | None:
    """A pending application's deadline: the issuing agency answers by the SANCTION_REPAIR_ANSWER_WORKING_DAYS-th
    working day after the day it was made (Asia/Shanghai). Derived when read, never stored: a change of the
    setting moves the deadline of every application still pending. None once answered."""
    if repair.state != "pending":
        return None
    return rr.answer_by(clock.local_date(repair.applied_dt), answer_working_days(),
                        calendar.schedule() if using is None else using)


# ---- reading ----

def _with_steps():
    return (selectinload(Sanction.repairs), selectinload(Sanction.withdrawal), selectinload(Sanction.agency),
            selectinload(Sanction.decision), selectinload(Sanction.worker), selectinload(Sanction.company))


def own_sanctions(*, worker: Worker | None = None, company: Company | None = None) -> list[Sanction]:
    """The subject's own decided sanctions (any state from decided on), newest first: what it may apply to repair
    and the applications it made."""
    q = select(Sanction).where(Sanction.decision_date.is_not(None)).options(*_with_steps())
    q = q.where(Sanction.worker_id == worker.id) if worker is not None else q.where(Sanction.company_id == company.id)
    return list(db.session.execute(q.order_by(Sanction.id.desc())).scalars())


def own_sanction(ref: str, *, worker: Worker | None = None, company: Company | None = None) -> Sanction:
    """The subject's own decided sanction with this ref; 404 for anyone else's (never says it exists)."""
    for s in own_sanctions(worker=worker, company=company):
        if s.ref == (ref or "").lower():
            return s
    raise not_found("sanction", "处罚记录")


def company_subject(account: Account, sanction: Sanction) -> None:
    """403 unless the account is a member of the sanctioned company."""
    if sanction.company is None:
        raise not_found("sanction", "处罚记录")
    require_member(account, sanction.company)


def get_repair(sanction: Sanction, repair_ref: str) -> SanctionRepair:
    for r in sanction.repairs:
        if r.ref == (repair_ref or "").lower():
            return r
    raise not_found("repair", "信用修复申请")


def document(repair: SanctionRepair, position: int):
    """One document of an application (the caller has checked who may read it); 404 for no such position."""
    found = next((a for a in attachments.for_owner(OWNER_KIND, repair.id) if a.position == position), None)
    if found is None:
        raise not_found("document", "材料")
    return found


def statement_of(ring: KeyRing, repair: SanctionRepair) -> str:
    return unseal(ring, repair.statement_enc, aad("sanction_repairs", "statement", repair.ref))


def repair_view(ring: KeyRing, repair: SanctionRepair) -> dict:
    """An application as its applicant and the regulators see it."""
    return {"ref": repair.ref, "applicant_kind": repair.applicant_kind, "statement": statement_of(ring, repair),
            "pledge": repair.pledge, "applied_dt": repair.applied_dt, "state": repair.state,
            "state_label": _labels(rr.REPAIR_STATES, repair.state), "decided_dt": repair.decided_dt,
            "reason": repair.reason, "answer_by": _deadline_view(answer_deadline(repair)),
            "documents": [attachments.view(a) for a in attachments.for_owner(OWNER_KIND, repair.id)]}


def _deadline_view(d: calendar.Deadline | None) -> dict | None:
    return None if d is None else {"day": d.day, "provisional": d.provisional}


def withdrawal_view(w: SanctionWithdrawal | None) -> dict | None:
    if w is None:
        return None
    by = rr.withdraw_by(w.revoked_on, calendar.schedule())
    return {"authority": w.authority, "authority_label": _labels(rr.AUTHORITIES, w.authority),
            "revoked_on": w.revoked_on, "reason": w.reason, "withdraw_by": by, "withdrawn_dt": w.withdrawn_dt,
            "late": w.withdrawn_dt is not None and w.withdrawn_dt.astimezone(clock.SHANGHAI).date() > by}


def own_view(ring: KeyRing, sanction: Sanction, today: date) -> dict:
    """What the subject sees of its own sanction for repair: the public fields, its state, the first day a repair
    may be applied for, and its applications."""
    from .views_model import public_view

    return {**public_view(sanction), "state": sanction.state, "state_label": _labels(rules.STATES, sanction.state),
            "repairable": rr.repair_problem(state=sanction.state, decision_date=sanction.decision_date) is None,
            "repair_from": rr.earliest_repair_date(sanction.severity, sanction.decision_date),
            "repairs": [repair_view(ring, r) for r in sanction.repairs],
            "withdrawal": withdrawal_view(sanction.withdrawal)}


def _labels(table: dict, code: str | None) -> dict | None:
    if code is None:
        return None
    zh, en = table.get(code, (code, code))
    return {"zh": zh, "en": en}
