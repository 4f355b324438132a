"""Keeping the credit scores (`credit_scores`): compute a subject's score from its facts and store it.

- `refresh` / `refresh_many`: compute and store the scores of the given subjects now, in the caller's transaction
  (never a commit). Every change that feeds a score calls this through `keeping.py` just before its commit.
- `refresh_due`: the hourly job's call — every kept score whose `stands_until` has passed (a component's window
  ended, or a dated fact began), computed again.
- `rebuild`: every company's and worker's score computed again, in committed batches (`flask credit rebuild`, and
  the recompute task an adoption queues): what fills the cache the first time, and what a rebuild after any doubt
  returns to. It equals the scores kept change by change (tests/credit/test_keeping.py).

The rules: the version in force (`adoption.adopted_rules`: the latest adoption's, else the one in code), read once
per call of `refresh_many` (so once per batch), unless the caller passes its own.

The scores are derived and unlogged (docs/rules.md, "Credit scores"): nothing here writes a log entry. What
computes scores outside a change's own transaction (`refresh_due`, `rebuild`) first takes the log head's lock, which
every change holds from its entry to its commit: a change then either committed before the scores are read, or
waits and computes its own after them — a score computed from older records never overwrites a newer one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .. import clock
from ..companies.models import Company
from ..extensions import db
from ..log.services import lock_head
from ..workers.models import Worker
from . import adoption, inputs, scoring
from . import rules as credit_rules
from .score_models import SUBJECT_KINDS, CreditScore

# Subjects read and stored per statement: a few statements per batch, whatever its size.
BATCH = 500


def components_json(score: scoring.Score) -> list[dict]:
    """A score's components as the row keeps them: plain values in the scoring's order, dates as ISO text."""
    return [{"kind": c.kind, "ref": c.ref, "group": c.group, "points": c.points, "zh": c.zh, "en": c.en,
             "counts_until": c.counts_until.isoformat() if c.counts_until else None} for c in score.components]


def compute(subject_kind: str, subject_ids: Iterable[int], *, today: date,
            rules: credit_rules.Rules | None = None) -> dict[int, scoring.Score]:
    """The scores of some subjects of one kind on `today`, by id, from their facts (nothing stored)."""
    if subject_kind not in SUBJECT_KINDS:
        raise ValueError(f"a credit score is for a company or a worker, not {subject_kind!r}")
    rules = rules or adoption.adopted_rules()
    gather = inputs.companies_facts if subject_kind == "company" else inputs.workers_facts
    return {sid: scoring.score(subject_kind, facts, rules, today)
            for sid, facts in gather(subject_ids, today, rules).items()}


def refresh(subject_kind: str, subject_id: int, *, today: date,
            rules: credit_rules.Rules | None = None) -> scoring.Score:
    """Compute one subject's score on `today` and store it (insert or replace its row). Never commits."""
    return refresh_many([(subject_kind, subject_id)], today=today, rules=rules)[(subject_kind, subject_id)]


def refresh_many(subjects: Iterable[tuple[str, int]], *, today: date,
                 rules: credit_rules.Rules | None = None) -> dict[tuple[str, int], scoring.Score]:
    """Compute and store the scores of `subjects` ((kind, id) pairs), a batch at a time. Never commits.

    A subject that no longer exists (an id of no row) is computed from no facts like any other: callers pass
    ids they read from the database.
    """
    by_kind: dict[str, list[int]] = {k: [] for k in SUBJECT_KINDS}
    for kind, sid in subjects:
        if kind not in SUBJECT_KINDS:
            raise ValueError(f"a credit score is for a company or a worker, not {kind!r}")
        by_kind[kind].append(sid)
    done: dict[tuple[str, int], scoring.Score] = {}
    now = clock.now()
    if rules is None and any(by_kind.values()):
        rules = adoption.adopted_rules()
    for kind, ids in by_kind.items():
        ids = sorted(set(ids))
        for start in range(0, len(ids), BATCH):
            scores = compute(kind, ids[start:start + BATCH], today=today, rules=rules)
            _store(kind, scores, now)
            done.update({(kind, sid): s for sid, s in scores.items()})
    return done


def _store(kind: str, scores: dict[int, scoring.Score], now) -> None:
    """Insert or replace the rows of `scores`: one upsert statement (ON CONFLICT, on SQLite and PostgreSQL)."""
    if not scores:
        return
    rows = [{"subject_kind": kind, "subject_id": sid, "points": s.points, "grade": s.grade,
             "rules_version": s.rules_version, "components": components_json(s), "stands_until": s.stands_until,
             "computed_dt": now} for sid, s in scores.items()]
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(CreditScore)
    stmt = stmt.on_conflict_do_update(
        index_elements=["subject_kind", "subject_id"],
        set_={name: stmt.excluded[name] for name in
              ("points", "grade", "rules_version", "components", "stands_until", "computed_dt")})
    db.session.execute(stmt, rows)


def refresh_due(today: date, *, rules: credit_rules.Rules | None = None) -> int:
    """Compute again every kept score whose facts stopped giving it (`stands_until` before `today`); how many.
    Never commits: the hourly job's runner commits once."""
    lock_head()
    due = db.session.execute(
        select(CreditScore.subject_kind, CreditScore.subject_id)
        .where(CreditScore.stands_until < today)
        .order_by(CreditScore.subject_kind, CreditScore.subject_id)).all()
    refresh_many([(k, i) for k, i in due], today=today, rules=rules)
    return len(due)


@dataclass(frozen=True)
class Rebuilt:
    companies: int
    workers: int


def rebuild(today: date, *, batch: int = BATCH, rules: credit_rules.Rules | None = None,
            progress: Callable[[str, int, int], None] | None = None, start: tuple[str, int] | None = None,
            commit: Callable[[str, int, int, int], None] | None = None) -> Rebuilt:
    """Compute every company's and worker's score on `today` again, committing after each batch of `batch`.

    Keyset-paged by id, so a rebuild of millions holds one batch at a time and a stopped one simply runs again.
    `progress(kind, done, total)` is told after each batch. `start` (a kind and the last id done) resumes a stopped
    rebuild after its last committed batch. `commit(kind, done, total, last id)` ends each batch instead of a plain
    commit: a queued task's, which commits the batch with the task's progress and resume point.
    """
    counts = {}
    kinds = ("company", "worker")
    for kind, model in (("company", Company), ("worker", Worker)):
        total = db.session.execute(select(func.count()).select_from(model)).scalar_one()
        if start is not None and kinds.index(kind) < kinds.index(start[0]):
            counts[kind] = total
            continue
        done, after = 0, 0
        if start is not None and kind == start[0]:
            after = start[1]
            done = db.session.execute(select(func.count()).select_from(model).where(model.id <= after)).scalar_one()
        while True:
            lock_head()
            ids = db.session.execute(select(model.id).where(model.id > after).order_by(model.id)
                                     .limit(batch)).scalars().all()
            if not ids:
                break
            refresh_many([(kind, i) for i in ids], today=today, rules=rules)
            done, after = done + len(ids), ids[-1]
            if commit is None:
                db.session.commit()
            else:
                commit(kind, done, total, after)
            if progress is not None:
                progress(kind, done, total)
        counts[kind] = done
    return Rebuilt(companies=counts["company"], workers=counts["worker"])


def score_row(subject_kind: str, subject_id: int) -> CreditScore | None:
    """The kept score of a subject, or None when none is kept yet (the views show null; nothing is computed on
    read)."""
    return db.session.get(CreditScore, (subject_kind, subject_id))


def grades_of(company_ids: Iterable[int]) -> dict[int, str | None]:
    """The kept grades of these companies (one query a batch); a company with no kept score is absent."""
    ids = sorted(set(company_ids))
    out: dict[int, str | None] = {}
    for start in range(0, len(ids), BATCH):
        out.update(db.session.execute(
            select(CreditScore.subject_id, CreditScore.grade)
            .where(CreditScore.subject_kind == "company", CreditScore.subject_id.in_(ids[start:start + BATCH]))).all())
    return out
