"""The retention job's work: what is due today, done in committed batches (one commit per batch).

- Workers with no employment for RETENTION_WORKER_YEARS: erased (`erasure.erase_worker`), one `worker:erase` entry
  each by `system`. A worker the erasure refuses (a sanction still in process or public) is passed by and tried
  again the next day.
- Uploaded staff files older than RETENTION_STAFF_FILE_DAYS whose import has ended: content and validated rows
  deleted (the report, which quotes no cell, stays); a service file whose task never ended, likewise.
- Access records and household query records older than their years: deleted. Unlogged, like the tables: they are
  records about reads, not registry state (docs/log.md lists them unlogged).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, delete, exists, func, or_, select, update

from ..database import write_intent
from ..extensions import db
from ..keys import KeyRing
from ..log.services import SYSTEM_ACTOR
from . import erasure, rules

DEFAULT_BATCH = 200


@dataclass
class Applied:
    """What one run of the retention job did (counts only: nothing personal)."""

    erased: int = 0
    passed_by: dict[str, int] = field(default_factory=dict)  # refusal code → workers due but kept
    staff_files: int = 0
    service_files: int = 0
    access_records: int = 0
    household_queries: int = 0


def due_workers(today: date, periods: rules.Periods, *, after_id: int = 0, limit: int = DEFAULT_BATCH) -> list[int]:
    """Ids (after `after_id`, ascending) of the workers not erased whose every employment ended on or before
    `rules.last_due_end` (no open one); a worker with none at all counts from registration."""
    from ..workers.models import Employment, Worker

    last_end = rules.last_due_end(today, periods)
    registered_before = rules.made_before(today, years=periods.worker_years)
    ended = select(func.max(Employment.end_date)).where(Employment.worker_id == Worker.id).scalar_subquery()
    has_open = exists().where(Employment.worker_id == Worker.id, Employment.end_date.is_(None))
    has_any = exists().where(Employment.worker_id == Worker.id)
    return list(db.session.execute(
        select(Worker.id).where(Worker.id > after_id, Worker.erased_dt.is_(None), ~has_open,
                                or_(ended <= last_end, and_(~has_any, Worker.created_dt < registered_before)))
        .order_by(Worker.id).limit(limit)).scalars())


def erase_due(ring: KeyRing, *, today: date, now: datetime, periods: rules.Periods, batch: int = DEFAULT_BATCH,
              applied: Applied | None = None) -> Applied:
    """Erase every worker due today, a committed batch at a time; return the counts."""
    from ..workers.models import Worker

    applied = applied or Applied()
    after = 0
    while True:
        ids = due_workers(today, periods, after_id=after, limit=batch)
        db.session.rollback()
        if not ids:
            return applied
        with write_intent():
            for worker in db.session.execute(select(Worker).where(Worker.id.in_(ids)).order_by(Worker.id)).scalars():
                refusal = erasure.erasure_refusal(worker, today)
                if refusal is not None:
                    applied.passed_by[refusal.code] = applied.passed_by.get(refusal.code, 0) + 1
                    continue
                erasure.erase_worker(ring, worker=worker, actor=SYSTEM_ACTOR, basis=rules.RETENTION_BASIS,
                                     reference=None, now=now, today=today)
                applied.erased += 1
            db.session.commit()
        after = ids[-1]


def delete_files(*, today: date, now: datetime, periods: rules.Periods, batch: int = DEFAULT_BATCH,
                 applied: Applied | None = None) -> Applied:
    """Delete the content of uploaded staff files (and of service files a task never ended) older than
    `staff_file_days` whose import is not queued or running; a committed batch at a time."""
    from ..imports.models import ImportFile
    from ..tasks.models import Task
    from ..trace.import_models import ServiceFile

    applied = applied or Applied()
    cut = rules.made_before(today, days=periods.staff_file_days)
    for model, attr in ((ImportFile, "staff_files"), (ServiceFile, "service_files")):
        busy = exists().where(Task.id == model.task_id, Task.state.in_(("queued", "running")))
        while True:
            ids = list(db.session.execute(select(model.id).where(
                model.deleted_dt.is_(None), model.created_dt < cut, ~busy).order_by(model.id).limit(batch)).scalars())
            if not ids:
                db.session.rollback()
                break
            with write_intent():
                db.session.execute(update(model).where(model.id.in_(ids), model.deleted_dt.is_(None))
                                   .values(content_enc=b"" if model is ImportFile else None, valid_rows=None,
                                           deleted_dt=now).execution_options(synchronize_session=False))
                db.session.commit()
            setattr(applied, attr, getattr(applied, attr) + len(ids))
    return applied


def delete_records(*, today: date, periods: rules.Periods, batch: int = DEFAULT_BATCH,
                   applied: Applied | None = None) -> Applied:
    """Delete access records and household query records older than their years, a committed batch at a time."""
    from ..trace.models import HouseholdQuery
    from ..workers.models import AccessRecord

    applied = applied or Applied()
    for model, years, attr in ((AccessRecord, periods.access_record_years, "access_records"),
                               (HouseholdQuery, periods.household_query_years, "household_queries")):
        cut = rules.made_before(today, years=years)
        while True:
            ids = list(db.session.execute(select(model.id).where(model.created_dt < cut).order_by(model.id)
                                          .limit(batch)).scalars())
            if not ids:
                db.session.rollback()
                break
            with write_intent():
                db.session.execute(delete(model).where(model.id.in_(ids)))
                db.session.commit()
            setattr(applied, attr, getattr(applied, attr) + len(ids))
    return applied


def apply(ring: KeyRing, *, today: date, now: datetime, periods: rules.Periods,
          batch: int = DEFAULT_BATCH) -> Applied:
    """Everything due today: erasures, files, records."""
    applied = erase_due(ring, today=today, now=now, periods=periods, batch=batch)
    delete_files(today=today, now=now, periods=periods, batch=batch, applied=applied)
    return delete_records(today=today, periods=periods, batch=batch, applied=applied)
