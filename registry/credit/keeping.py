"""Keeping every score current in the transaction of the change that moves it.

Every state change in the registry appends a log entry (`log.services.append_entries`, through `record_change`
or the imports' bulk paths), and the log remembers, per session, which aggregates the open transaction changed.
Just before a transaction commits — a request's, a task's batch, a scheduled job's — this listener reads those
aggregates' links (one statement per kind of aggregate changed that feeds scores: none for an account's change,
since the log knows each aggregate's class where `record_change` named it), asks `feeds.subjects_fed` which
scores they move, and computes those scores again in the same transaction (`services.refresh_many`). The change
and its scores then commit together, or neither does: a score is never behind a committed change.

- A transaction that logged nothing (every read, every unlogged write, a rebuild's batches) does nothing here.
- It cannot recurse: storing scores logs nothing, and the aggregates are taken (forgotten) before computing.
- A savepoint's commit (`begin_nested`) keeps what it logged the same way; a savepoint rolled back after that
  costs a score computed once more, never a wrong one (a score is computed from what the database holds).
- `today` is the registry's clock's (`clock.today()`): the day the change commits.
- **New staff counted onto the kept share** (`staff_joined`): a batch of an import that adds brand-new workers to a
  company says so, and when nothing else this transaction logged moves that company's staff, its staff share is
  its kept row's tally plus the new workers' verdicts (`inputs._staff_shares`, `carried`) instead of a count of
  every staff member: a batch of 20 rows no longer pays for counting a 20,000-strong staff under the log head's
  lock. Every committed change has kept the company's row (this listener), so under that lock the row is current.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from .. import clock
from ..companies.models import Company
from ..complaints.models import Complaint
from ..extensions import db
from ..log.services import take_logged_subjects
from ..sanctions.models import Sanction
from ..trace.models import ServiceRecord
from ..workers.models import Employment, Worker
from . import services
from .feeds import Subject, subjects_fed
from .models import Commendation, ScoreReview

# log_refs per statement.
CHUNK = 500
# Where a session keeps what `staff_joined` was told, until its transaction's scores are kept or it ends.
_JOINED = "credit.staff_joined"


@dataclass
class _Joined:
    joined: set[int] = field(default_factory=set)
    unmoved: set[int] = field(default_factory=set)


def staff_joined(company_id: int, joined: Iterable[int], unmoved: Iterable[int] = ()) -> None:
    """Tell the keeping that in this transaction `company_id`'s staff changed by `joined` alone: workers who had no
    employment there before it (new to the registry) and now work there, with their records. `unmoved`: workers
    this transaction logged whose place on that company's staff it does not change (an attachment awaiting the
    worker's confirmation, and no records). The company's staff share is then its kept tally plus the joined — if
    nothing else logged in the transaction moves its staff; otherwise it is counted whole, as always."""
    told = db.session.info.setdefault(_JOINED, {}).setdefault(company_id, _Joined())
    told.joined.update(joined)
    told.unmoved.update(unmoved)


def _take_joined(session: Session) -> dict[int, _Joined]:
    return session.info.pop(_JOINED, None) or {}


@event.listens_for(Session, "after_transaction_end")
def _forget_joined(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_JOINED, None)


def _rows(model, columns, refs: list[str]):
    """`columns` of the rows of `model` whose log_ref is one of `refs`, CHUNK refs per statement (none: no
    statement)."""
    for start in range(0, len(refs), CHUNK):
        yield from db.session.execute(select(*columns).where(model.log_ref.in_(refs[start:start + CHUNK])))


def subjects_of(logged: Mapping[str, type | None] | Iterable[str]) -> set[Subject]:
    """The scores that the aggregates named by `logged` feed (`_fed`)."""
    return _fed(logged)[0]


def _fed(logged: Mapping[str, type | None] | Iterable[str]) -> tuple[set[Subject], dict[int, set[int]]]:
    """The scores that the aggregates named by `logged` feed: log_refs, each with its aggregate's class where the
    log knows it (`take_logged_subjects`), or a plain list of log_refs (classes unknown).

    A table is read only for the refs that may be its rows (those of its class, and those whose class is unknown):
    a change to an account, an agency or a bulletin reads nothing here, and a company's change reads the companies
    alone. A log_ref of any other aggregate feeds none.

    With them, by company, the logged workers who work or worked there: the changes that may move its staff
    share (no other kind of aggregate does)."""
    if not isinstance(logged, Mapping):
        logged = dict.fromkeys(logged)

    def refs_of(model) -> list[str]:
        return sorted(ref for ref, cls in logged.items() if cls is None or cls is model)

    out: set[Subject] = set()
    staff_moved: dict[int, set[int]] = {}
    for (cid,) in _rows(Company, (Company.id,), refs_of(Company)):
        out |= subjects_fed("company", company_id=cid)
    worker_ids = [wid for (wid,) in _rows(Worker, (Worker.id,), refs_of(Worker))]
    for start in range(0, len(worker_ids), CHUNK):
        chunk = worker_ids[start:start + CHUNK]
        employers: dict[int, set[int]] = {w: set() for w in chunk}
        for wid, cid in db.session.execute(select(Employment.worker_id, Employment.company_id)
                                           .where(Employment.worker_id.in_(chunk))):
            employers[wid].add(cid)
            staff_moved.setdefault(cid, set()).add(wid)
        for wid, cids in employers.items():
            out |= subjects_fed("worker", worker_id=wid, employer_ids=cids)
    for wid, cid in _rows(ServiceRecord, (ServiceRecord.worker_id, ServiceRecord.company_id), refs_of(ServiceRecord)):
        out |= subjects_fed("service", worker_id=wid, company_id=cid)
    for (cid,) in _rows(Commendation, (Commendation.company_id,), refs_of(Commendation)):
        out |= subjects_fed("commendation", company_id=cid)
    for model, kind in ((Complaint, "complaint"), (Sanction, "sanction"), (ScoreReview, "score_review")):
        for subject_kind, wid, cid in _rows(model, (model.subject_kind, model.worker_id, model.company_id),
                                            refs_of(model)):
            out |= subjects_fed(kind, subject_kind=subject_kind, worker_id=wid, company_id=cid)
    return out, staff_moved


def carried_shares(told: Mapping[int, _Joined], staff_moved: Mapping[int, set[int]]) -> dict[int, set[int]]:
    """The companies whose staff share may be their kept tally plus the joined workers (company id -> those
    workers): those told of, whose staff no logged worker moved but the ones told of."""
    return {cid: t.joined for cid, t in told.items() if staff_moved.get(cid, set()) <= t.joined | t.unmoved}


@event.listens_for(Session, "before_commit")
def _keep_scores(session: Session) -> None:
    logged = take_logged_subjects(session)
    told = _take_joined(session)
    if not logged:
        return
    if session is not db.session():
        # Every writer in the registry uses the application's scoped session; one that does not would leave
        # scores behind silently, so it is refused instead.
        raise RuntimeError("credit scores are kept on the application's session (db.session) only")
    session.flush()
    subjects, staff_moved = _fed(logged)
    if subjects:
        services.refresh_many(sorted(subjects), today=clock.today(), carried=carried_shares(told, staff_moved))
