"""Run a scheduled job once per slot under a database lock; run queued tasks.

Everything here runs outside requests, so on SQLite every transaction begins
IMMEDIATE (registry.database) and concurrent writers queue on the busy timeout.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
import traceback
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from registry import clock
from registry.extensions import db
from registry.move.marker import moving
from registry.tasks.models import JobLease, JobRun
from registry.tasks.services import DEFAULT_LEASE_SECONDS, claim_next, run_task

from .schedules import Schedule

log = logging.getLogger(__name__)

# Longer than any scheduled job should take; the run's commit releases it sooner.
JOB_LEASE_SECONDS = 600


def lock_key(name: str) -> int:
    """Return the PostgreSQL advisory-lock key of job `name` (stable, signed 64-bit)."""
    digest = hashlib.sha256(b"jiaxin.jobs:" + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def run_scheduled(app: Flask, schedule: Schedule, owner: str) -> str:
    """Run `schedule`'s job for the current slot unless another process holds or did it.

    Returns "ran", "failed" (the job raised: its work is rolled back, the run is
    recorded with ok=false), "locked", "slot_taken", "moving" (the database is being moved: registry/move) or
    "error" (nothing recorded).
    """
    slot = int(time.time() // schedule.seconds)
    with app.app_context():
        if moving():
            return "moving"  # the database is being moved (or was): it takes no writes, so no job runs on it
        try:
            if schedule.long:
                return _run_long_in_slot(schedule.name, slot, schedule.resolve(), owner)
            return _run_in_slot(schedule.name, slot, schedule.resolve(), owner)
        except Exception as exc:  # noqa: BLE001 — the process outlives a failed run
            db.session.rollback()
            _log_exception(f"scheduled job {schedule.name}", exc)
            return "error"


def _run_in_slot(name: str, slot: int, job: Callable[[JobRun], None], owner: str) -> str:
    if not _take_lock(name, owner):
        db.session.rollback()
        return "locked"
    run = _claim_slot(name, slot, owner)
    if run is None:
        # UNIQUE(name, slot): a process that fired a moment earlier ran this slot.
        db.session.rollback()
        return "slot_taken"
    try:
        with db.session.begin_nested():
            job(run)
        run.ok = True
    except Exception as exc:  # noqa: BLE001 — recorded as ok=false
        _log_exception(f"scheduled job {name} slot {slot}", exc)
        run.ok = False
    run.finished_dt = clock.now()
    _release_lock(name, owner)
    db.session.commit()
    return "ran" if run.ok else "failed"


def _run_long_in_slot(name: str, slot: int, job: Callable[[JobRun], None], owner: str) -> str:
    """Claim the slot with a committed JobRun, then run the job holding no lock; it commits its own writes.

    The JobRun's UNIQUE(name, slot) keeps a second process out of the slot; a
    run that dies midway stays recorded as started and unfinished.
    """
    run = _claim_slot(name, slot, owner)
    if run is None:
        db.session.rollback()
        return "slot_taken"
    db.session.commit()
    run_id = run.id
    try:
        job(run)
        ok = True
    except Exception as exc:  # noqa: BLE001 — recorded as ok=false
        db.session.rollback()
        _log_exception(f"scheduled job {name} slot {slot}", exc)
        ok = False
    db.session.execute(update(JobRun).where(JobRun.id == run_id).values(ok=ok, finished_dt=clock.now()))
    db.session.commit()
    return "ran" if ok else "failed"


def _claim_slot(name: str, slot: int, owner: str) -> JobRun | None:
    """Record this process's run of `name` in `slot`, or None when another process recorded it first.

    INSERT … ON CONFLICT DO NOTHING (UNIQUE(name, slot)): losing the race is an answer, not an error — a lost
    race on PostgreSQL would otherwise write an ERROR line to the server's log each time, which alerting pages on.
    """
    values = {"name": name, "slot": slot, "owner": owner, "started_dt": clock.now()}
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    run_id = db.session.scalar(insert(JobRun).values(**values)
                               .on_conflict_do_nothing(index_elements=["name", "slot"]).returning(JobRun.id))
    return None if run_id is None else db.session.get(JobRun, run_id)


def _take_lock(name: str, owner: str) -> bool:
    """Lock job `name` for this transaction: an advisory lock, or a lease row elsewhere."""
    if db.engine.dialect.name == "postgresql":
        return bool(db.session.scalar(select(func.pg_try_advisory_xact_lock(lock_key(name)))))
    # On SQLite a BEGIN IMMEDIATE already makes a second runner wait; the lease
    # row is what then turns it away, whichever way its transaction began.
    now = clock.now()
    until = now + timedelta(seconds=JOB_LEASE_SECONDS)
    taken = db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, or_(JobLease.until_dt < now, JobLease.owner == owner))
        .values(owner=owner, until_dt=until)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        return True
    if db.session.get(JobLease, name) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(JobLease(name=name, owner=owner, until_dt=until))
    except IntegrityError:
        return False
    return True


def _release_lock(name: str, owner: str) -> None:
    """End the lease with the run's commit (advisory xact locks end by themselves)."""
    if db.engine.dialect.name == "postgresql":
        return
    db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.owner == owner)
        .values(until_dt=clock.now())
        .execution_options(synchronize_session=False)
    )


def task_worker_tick(
    app: Flask,
    owner: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    stop_requested: Callable[[], bool] = lambda: False,
) -> bool:
    """Claim and run at most one queued task; return whether there was one."""
    with app.app_context():
        if moving():
            return False  # no task starts on a database being moved, and a running one stops at its next batch
        task = claim_next(owner, lease_seconds)
        if task is None:
            return False
        run_task(task, owner, lease_seconds=lease_seconds, stop_requested=lambda: stop_requested() or moving())
        return True


def work_tasks(app: Flask, owner: str, stop: threading.Event, *, lease_seconds: float, poll_seconds: float) -> None:
    """Run queued tasks one after another until `stop` is set, polling when the queue is empty."""
    while not stop.is_set():
        try:
            busy = task_worker_tick(app, owner, lease_seconds=lease_seconds, stop_requested=stop.is_set)
        except Exception as exc:  # noqa: BLE001 — e.g. the database is down: wait and poll again
            _log_exception("task worker", exc)
            busy = False
        if not busy:
            stop.wait(poll_seconds)


def _log_exception(what: str, exc: Exception) -> None:
    # The type and the frames only: an exception's text may quote personal data.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("%s raised %s\n%s", what, type(exc).__name__, frames)
