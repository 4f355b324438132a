"""Keeping every score current in the transaction of the change that moves it.

Every state change in the registry appends a log entry (`log.services.append_entries`, through `record_change`
or the imports' bulk paths), and the log remembers, per session, which aggregates the open transaction changed.
Just before a transaction commits — a request's, a task's batch, a scheduled job's — this listener reads those
aggregates' links (one statement per aggregate kind that feeds scores), asks `feeds.subjects_fed` which scores they
move, and computes those scores again in the same transaction (`services.refresh_many`). The change and its
scores then commit together, or neither does: a score is never behind a committed change.

- A transaction that logged nothing (every read, every unlogged write, a rebuild's batches) does nothing here.
- It cannot recurse: storing scores logs nothing, and the aggregates are taken (forgotten) before computing.
- A savepoint's commit (`begin_nested`) keeps what it logged the same way; a savepoint rolled back after that
  costs a score computed once more, never a wrong one (a score is computed from what the database holds).
- `today` is the registry's clock's (`clock.today()`): the day the change commits.
"""
from __future__ import annotations

from collections.abc import Iterable

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


def subjects_of(log_refs: Iterable[str]) -> set[Subject]:
    """The scores that the aggregates named by `log_refs` feed (a log_ref of any other aggregate feeds none)."""
    refs = sorted(set(log_refs))
    out: set[Subject] = set()
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start:start + CHUNK]
        for (cid,) in db.session.execute(select(Company.id).where(Company.log_ref.in_(chunk))):
            out |= subjects_fed("company", company_id=cid)
        worker_ids = db.session.execute(select(Worker.id).where(Worker.log_ref.in_(chunk))).scalars().all()
        if worker_ids:
            employers: dict[int, set[int]] = {w: set() for w in worker_ids}
            for wid, cid in db.session.execute(select(Employment.worker_id, Employment.company_id)
                                               .where(Employment.worker_id.in_(worker_ids))):
                employers[wid].add(cid)
            for wid, cids in employers.items():
                out |= subjects_fed("worker", worker_id=wid, employer_ids=cids)
        for wid, cid in db.session.execute(select(ServiceRecord.worker_id, ServiceRecord.company_id)
                                           .where(ServiceRecord.log_ref.in_(chunk))):
            out |= subjects_fed("service", worker_id=wid, company_id=cid)
        for (cid,) in db.session.execute(select(Commendation.company_id).where(Commendation.log_ref.in_(chunk))):
            out |= subjects_fed("commendation", company_id=cid)
        for model, kind in ((Complaint, "complaint"), (Sanction, "sanction"), (ScoreReview, "score_review")):
            for subject_kind, wid, cid in db.session.execute(
                    select(model.subject_kind, model.worker_id, model.company_id).where(model.log_ref.in_(chunk))):
                out |= subjects_fed(kind, subject_kind=subject_kind, worker_id=wid, company_id=cid)
    return out


@event.listens_for(Session, "before_commit")
def _keep_scores(session: Session) -> None:
    refs = take_logged_subjects(session)
    if not refs:
        return
    if session is not db.session():
        # Every writer in the registry uses the application's scoped session; one that does not would leave
        # scores behind silently, so it is refused instead.
        raise RuntimeError("credit scores are kept on the application's session (db.session) only")
    session.flush()
    subjects = subjects_of(refs)
    if subjects:
        services.refresh_many(sorted(subjects), today=clock.today())
