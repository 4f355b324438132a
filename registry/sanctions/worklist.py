"""The regulator's worklist (/regulator): what the regulator's agency has to do next, and by when.

- decisions due for publication (双公示): decided — approved, for a serious listing — with a window, not yet
  published; due by the 7th working day after the decision (`services.publication_deadline`), overdue once today
  is past that day; a deadline counted in a year without the official calendar is provisional;
- notices whose objection window has ended: ready for the listing decision;
- serious listings decided and awaiting a second regulator (four eyes), with who may not approve them;
- the open card reports the regulator handles (`reports.services.queue` scopes them);
- credit repair applications to the agency's sanctions awaiting its answer, oldest first, each with its deadline
  (answer within `SANCTION_REPAIR_ANSWER_WORKING_DAYS`, 10 by the registry's default, working days of the
  application), overdue or due within a working day marked (`repair.answer_deadline`);
- withdrawals pending: a decision recorded as revoked (`repair.record_revocation`) that the agency has not yet
  withdrawn, due within 3 working days of the revocation (行政处罚法 arts. 48, 85; `repair_rules.withdraw_by`),
  overdue after;
- the complaints the regulator handles whose deadline (accept or reject within 7 working days of filing; conclude
  within 45 of acceptance) is overdue or due within 3 working days (`complaints.services.worklist_due`);
- every pending objection to the agency's sanctions with its deadline (accept or reject within 2 working days of
  filing; answer within 10 of acceptance), overdue or due within a working day marked (`objections.due`);
- likewise every pending objection to the complaints the agency concluded (`complaints.objections`), and to the
  reviews the regulator may decide (a service of a company in its sector; market supervision: all;
  `trace.review_objections`);
- every open request for human review of a credit score the regulator may answer (a company of its sector, a worker
  employed in it; market supervision: all), with its deadline (answer within
  `REGISTRY_SCORE_REVIEW_ANSWER_WORKING_DAYS`, 15, working days of filing), overdue or due within a working day
  marked (`credit.score_reviews.due`).

Sanctions are the regulator's own agency's: only the issuing agency changes one. Reads only; nothing here
commits or records.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Account
from ..calendar import services as calendar
from ..calendar.services import Deadline
from ..complaints import objections as complaint_objections
from ..complaints import services as complaints
from ..credit import score_reviews
from ..extensions import db
from ..reports import services as reports
from ..reports.models import CardReport
from ..trace import review_objections
from . import objections, repair, repair_rules, rules
from . import services as sanctions
from .models import Sanction, SanctionRepair, SanctionWithdrawal


@dataclass(frozen=True)
class PublicationDue:
    """A decision to publish: its deadline, and whether today is past it."""

    sanction: Sanction
    deadline: Deadline
    overdue: bool


@dataclass(frozen=True)
class ReadyToDecide:
    """A noticed listing whose objection window ended (its last day is `objection_until`)."""

    sanction: Sanction
    objection_until: Deadline


@dataclass(frozen=True)
class AwaitingApproval:
    """A decided serious listing; `cannot_approve` are the refs of the regulators four eyes rule out."""

    sanction: Sanction
    cannot_approve: tuple[str, ...]
    may_approve: bool


@dataclass(frozen=True)
class RepairPending:
    """A credit repair application awaiting the issuing agency's answer, by `deadline` (overdue after it; due soon
    within `objections.DUE_SOON_WORKING_DAYS`, as an objection)."""

    sanction: Sanction
    repair: SanctionRepair
    deadline: Deadline | None = None
    overdue: bool = False
    due_soon: bool = False


@dataclass(frozen=True)
class WithdrawalDue:
    """A decision recorded as revoked and not yet withdrawn: withdraw by `withdraw_by` (overdue after it)."""

    sanction: Sanction
    withdrawal: SanctionWithdrawal
    withdraw_by: date
    overdue: bool


@dataclass(frozen=True)
class Worklist:
    today: date
    publication: list[PublicationDue]
    ready_to_decide: list[ReadyToDecide]
    awaiting_approval: list[AwaitingApproval]
    open_reports: list[CardReport]
    complaints_due: list[complaints.Due] = ()
    repairs_pending: list[RepairPending] = ()
    withdrawals_due: list[WithdrawalDue] = ()
    objections_due: list[objections.Due] = ()
    complaint_objections_due: list[objections.Due] = ()
    review_objections_due: list[objections.Due] = ()
    score_reviews_due: list[score_reviews.Due] = ()

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.publication if item.overdue)

    @property
    def repairs_overdue(self) -> int:
        return sum(1 for item in self.repairs_pending if item.overdue)

    @property
    def objections_overdue(self) -> int:
        return sum(1 for item in (*self.objections_due, *self.complaint_objections_due, *self.review_objections_due)
                   if item.overdue)


def four_eyes_excluded(sanction: Sanction) -> tuple[str, ...]:
    """Who may not approve a listing: the regulator who proposed it and the one who decided it."""
    refs = [sanction.proposed_by]
    if sanction.decision is not None and sanction.decision.decided_by not in refs:
        refs.append(sanction.decision.decided_by)
    return tuple(refs)


def _open_sanctions(agency_id: int) -> list[Sanction]:
    """The agency's sanctions that may need a step: noticed, decided or approved (and not minor-unpublished)."""
    wanted = or_(
        Sanction.state == "notified",
        and_(Sanction.state == "decided", Sanction.kind == "serious_list"),
        and_(Sanction.state.in_(("decided", "approved")), Sanction.publish_months.is_not(None)),
    )
    # A decision recorded as revoked is neither approved nor published any more: it waits in withdrawals_due.
    revoked = select(SanctionWithdrawal.id).where(SanctionWithdrawal.sanction_id == Sanction.id).exists()
    q = (select(Sanction).where(Sanction.agency_id == agency_id, wanted, ~revoked)
         .options(selectinload(Sanction.decision), selectinload(Sanction.notice), selectinload(Sanction.worker),
                  selectinload(Sanction.company), selectinload(Sanction.agency))
         .order_by(Sanction.id))
    return list(db.session.execute(q).scalars())


def worklist(account: Account, today: date) -> Worklist:
    """The regulator's worklist on `today` (403 for anyone not a regulator)."""
    sanctions.require_regulator(account)
    publication, ready, approval = [], [], []
    for s in _open_sanctions(account.agency_id):
        if s.state == "notified":
            until = sanctions.objection_until(s)
            if until is not None and today > until.day:
                ready.append(ReadyToDecide(s, until))
        elif s.state == "decided" and rules.needs_four_eyes(s.kind):
            excluded = four_eyes_excluded(s)
            approval.append(AwaitingApproval(s, excluded, account.ref not in excluded))
        elif rules.publishable(kind=s.kind, state=s.state, months=s.publish_months):
            deadline = sanctions.publication_deadline(s)
            publication.append(PublicationDue(s, deadline, today > deadline.day))
    publication.sort(key=lambda i: (i.deadline.day, i.sanction.id))
    ready.sort(key=lambda i: (i.objection_until.day, i.sanction.id))
    approval.sort(key=lambda i: (i.sanction.decision_date, i.sanction.id))
    return Worklist(today=today, publication=publication, ready_to_decide=ready, awaiting_approval=approval,
                    open_reports=reports.queue(account, state="open"),
                    complaints_due=complaints.worklist_due(account, today),
                    repairs_pending=repairs_pending(account.agency_id, today),
                    withdrawals_due=withdrawals_due(account.agency_id, today),
                    objections_due=objections.due(objections.pending_for_agency(account.agency_id), today),
                    complaint_objections_due=complaint_objections.due(
                        complaint_objections.pending_for_agency(account.agency_id), today),
                    review_objections_due=objections.due(review_objections.pending_for_regulator(account), today),
                    score_reviews_due=score_reviews.due(score_reviews.for_regulator(account), today))


def repairs_pending(agency_id: int, today: date | None = None) -> list[RepairPending]:
    """The agency's sanctions' repair applications awaiting an answer, oldest first (so soonest due first), each
    with its deadline (`repair.answer_deadline`), overdue and due soon judged on `today` when given: not those of a
    sanction since withdrawn, which has nothing left to repair (`decide_repair` refuses them)."""
    rows = db.session.execute(
        select(SanctionRepair, Sanction).join(Sanction, Sanction.id == SanctionRepair.sanction_id)
        .where(Sanction.agency_id == agency_id, SanctionRepair.state == "pending", Sanction.state != "withdrawn")
        .options(selectinload(Sanction.worker), selectinload(Sanction.company), selectinload(Sanction.decision))
        .order_by(SanctionRepair.applied_dt, SanctionRepair.id)).all()
    using = calendar.schedule()
    soon = None if today is None else calendar.working_day_after(today, objections.DUE_SOON_WORKING_DAYS,
                                                                 using=using).day
    out = []
    for r, s in rows:
        d = repair.answer_deadline(r, using=using)
        overdue = today is not None and today > d.day
        out.append(RepairPending(s, r, d, overdue, today is not None and today <= d.day <= soon))
    return out


def withdrawals_due(agency_id: int, today: date) -> list[WithdrawalDue]:
    """The agency's decisions recorded as revoked and not yet withdrawn, soonest due first."""
    rows = db.session.execute(
        select(SanctionWithdrawal, Sanction).join(Sanction, Sanction.id == SanctionWithdrawal.sanction_id)
        .where(Sanction.agency_id == agency_id, SanctionWithdrawal.withdrawn_dt.is_(None))
        .options(selectinload(Sanction.worker), selectinload(Sanction.company), selectinload(Sanction.decision))
        .order_by(SanctionWithdrawal.revoked_on, SanctionWithdrawal.id)).all()
    out = []
    using = calendar.schedule()
    for w, s in rows:
        by = repair_rules.withdraw_by(w.revoked_on, using)
        out.append(WithdrawalDue(s, w, by, today > by))
    return out


def logins_of(refs) -> dict[str, str]:
    """The login of each account ref (regulators are named by login on the pages, never by their sealed name)."""
    refs = {r for r in refs if r}
    if not refs:
        return {}
    rows = db.session.execute(select(Account.ref, Account.login).where(Account.ref.in_(refs))).all()
    return {ref: login for ref, login in rows}
