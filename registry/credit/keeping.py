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
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

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


def _rows(model, columns, refs: list[str]):
    """`columns` of the rows of `model` whose log_ref is one of `refs`, CHUNK refs per statement (none: no
    statement)."""
    for start in range(0, len(refs), CHUNK):
        yield from db.session.execute(select(*columns).where(model.log_ref.in_(refs[start:start + CHUNK])))


def subjects_of(logged: Mapping[str, type | None] | Iterable[str]) -> set[Subject]:
    """The scores that the aggregates named by `logged` feed: log_refs, each with its aggregate's class where the
    log knows it (`take_logged_subjects`), or a plain list of log_refs (classes unknown).

    A table is read only for the refs that may be its rows (those of its class, and those whose class is unknown):
    a change to an account, an agency or a bulletin reads nothing here, and a company's change reads the companies
    alone. A log_ref of any other aggregate feeds none."""
    if not isinstance(logged, Mapping):
        logged = dict.fromkeys(logged)

    def refs_of(model) -> list[str]:
        return sorted(ref for ref, cls in logged.items() if cls is None or cls is model)

    out: set[Subject] = set()
    for (cid,) in _rows(Company, (Company.id,), refs_of(Company)):
        out |= subjects_fed("company", company_id=cid)
    worker_ids = [wid for (wid,) in _rows(Worker, (Worker.id,), refs_of(Worker))]
    for start in range(0, len(worker_ids), CHUNK):
        chunk = worker_ids[start:start + CHUNK]
        employers: dict[int, set[int]] = {w: set() for w in chunk}
        for wid, cid in db.session.execute(select(Employment.worker_id, Employment.company_id)
                                           .where(Employment.worker_id.in_(chunk))):
            employers[wid].add(cid)
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
    return out


@event.listens_for(Session, "before_commit")
def _keep_scores(session: Session) -> None:
    logged = take_logged_subjects(session)
    if not logged:
        return
    if session is not db.session():
        # Every writer in the registry uses the application's scoped session; one that does not would leave
        # scores behind silently, so it is refused instead.
        raise RuntimeError("credit scores are kept on the application's session (db.session) only")
    session.flush()
    subjects = subjects_of(logged)
    if subjects:
        services.refresh_many(sorted(subjects), today=clock.today())
