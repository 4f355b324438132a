"""Scheduled runs in one process: the schedule list, once per slot, locks, failures."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text, update

from jobs.runner import lock_key, run_scheduled, task_worker_tick, work_tasks
from jobs.schedules import SCHEDULES, Schedule, active_schedules, interval_variable
from registry.clock import now as utcnow
from registry.extensions import db
from registry.tasks import services
from registry.tasks.models import JobLease, JobRun, Task
from tests.support import jiaxin_sample_tasks

# One slot lasts about 31 years, so two calls in a test share it.
ONE_SLOT = 10**9


def _runs(name: str) -> list[JobRun]:
    return list(db.session.scalars(select(JobRun).where(JobRun.name == name)))


def _recording(calls: list):
    def job(run: JobRun) -> None:
        calls.append((run.slot, run.owner))

    return job


def test_interval_variable_names():
    assert interval_variable("tasks.reclaim") == "REGISTRY_SCHEDULE_TASKS_RECLAIM_SECONDS"
    assert interval_variable("job_runs.prune") == "REGISTRY_SCHEDULE_JOB_RUNS_PRUNE_SECONDS"


def test_active_schedules_apply_overrides_and_extras():
    schedules = active_schedules({
        "REGISTRY_SCHEDULE_TASKS_RECLAIM_SECONDS": "2",
        "REGISTRY_EXTRA_SCHEDULES": "test.tick=tests.support.jiaxin_sample_tasks:record_slot@1, test.other=a.b:c@5",
    })
    by_name = {s.name: s for s in schedules}
    assert [s.name for s in schedules] == [*(s.name for s in SCHEDULES), "test.tick", "test.other"]
    assert by_name["tasks.reclaim"].seconds == 2
    assert by_name["test.tick"].seconds == 1
    assert by_name["test.tick"].resolve() is jiaxin_sample_tasks.record_slot
    assert all(callable(s.resolve()) for s in SCHEDULES)


@pytest.mark.parametrize("environ", [
    {"REGISTRY_EXTRA_SCHEDULES": "no-function@1"},
    {"REGISTRY_EXTRA_SCHEDULES": "tasks.reclaim=a.b:c@1"},
    {"REGISTRY_SCHEDULE_TASKS_RECLAIM_SECONDS": "0"},
    {"REGISTRY_EXTRA_SCHEDULES": f"{'x' * 65}=a.b:c@1"},
])
def test_active_schedules_refuse_bad_settings(environ):
    with pytest.raises(ValueError):
        active_schedules(environ)


def test_a_slot_runs_once(app):
    calls: list = []
    schedule = Schedule("test.once", _recording(calls), ONE_SLOT)
    assert run_scheduled(app, schedule, "p1") == "ran"
    assert run_scheduled(app, schedule, "p2") == "slot_taken"
    assert run_scheduled(app, schedule, "p1") == "slot_taken"

    (run,) = _runs("test.once")
    assert calls == [(run.slot, "p1")]
    assert (run.owner, run.ok) == ("p1", True)
    assert run.finished_dt >= run.started_dt


def test_a_failing_job_rolls_back_its_work_and_records_ok_false(app, caplog):
    def job(_run):
        db.session.add(Task(kind="sample.count", args={}, created_by="a" * 32))
        db.session.flush()
        raise RuntimeError(jiaxin_sample_tasks.SECRET)

    assert run_scheduled(app, Schedule("test.fails", job, ONE_SLOT), "p1") == "failed"
    (run,) = _runs("test.fails")
    assert run.ok is False and run.finished_dt is not None
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0
    assert "RuntimeError" in caplog.text and jiaxin_sample_tasks.SECRET not in caplog.text


@pytest.mark.sqlite
def test_sqlite_lease_row_excludes_another_holder(app):
    calls: list = []
    schedule = Schedule("test.leased", _recording(calls), ONE_SLOT)
    db.session.add(JobLease(name="test.leased", owner="other", until_dt=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    assert run_scheduled(app, schedule, "me") == "locked"
    assert calls == [] and _runs("test.leased") == []

    db.session.execute(update(JobLease).values(until_dt=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert run_scheduled(app, schedule, "me") == "ran"
    lease = db.session.get(JobLease, "test.leased")
    assert lease.owner == "me" and lease.until_dt <= utcnow(), "released with the run's commit"


@pytest.mark.postgres
def test_postgres_advisory_lock_is_held_by_the_run_and_excludes_a_holder(app):
    key = lock_key("test.advisory")
    seen_from_outside: list = []

    def job(_run):
        with db.engine.connect() as probe:
            seen_from_outside.append(probe.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))
            probe.rollback()

    schedule = Schedule("test.advisory", job, ONE_SLOT)
    with db.engine.connect() as holder:
        assert holder.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}) is True
        assert run_scheduled(app, schedule, "me") == "locked"
        assert seen_from_outside == [] and _runs("test.advisory") == []
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        holder.commit()

    assert run_scheduled(app, schedule, "me") == "ran"
    assert seen_from_outside == [False], "the run held the advisory lock while its job ran"
    assert db.session.scalar(select(func.count()).select_from(JobLease)) == 0, "no lease rows on PostgreSQL"


def test_the_reclaim_schedule_requeues_a_dead_task(app):
    task = Task(
        kind="sample.count", args={"n": 1}, state="running", attempts=1, created_by="a" * 32,
        lease_owner="gone", lease_until_dt=utcnow() - timedelta(minutes=5),
    )
    db.session.add(task)
    db.session.commit()
    (reclaim,) = [s for s in active_schedules({}) if s.name == "tasks.reclaim"]
    assert run_scheduled(app, reclaim, "p1") == "ran"
    assert services.get(task.id).state == "queued"


def test_prune_forgets_old_runs(app):
    db.session.add_all([
        JobRun(name="test.old", slot=1, owner="p", started_dt=utcnow() - timedelta(days=8), ok=True),
        JobRun(name="test.new", slot=1, owner="p", started_dt=utcnow(), ok=True),
    ])
    db.session.commit()
    assert services.prune_job_runs() == 1
    db.session.commit()
    assert db.session.scalars(select(JobRun.name)).all() == ["test.new"]


def test_worker_tick_runs_one_task_at_a_time(app):
    first = services.enqueue("sample.count", {"n": 2}, actor_ref="a" * 32).id
    second = services.enqueue("sample.count", {"n": 2}, actor_ref="a" * 32).id
    db.session.commit()
    assert task_worker_tick(app, "w") is True
    assert [services.get(first).state, services.get(second).state] == ["done", "queued"]
    db.session.rollback()
    assert task_worker_tick(app, "w") is True
    assert task_worker_tick(app, "w") is False


def test_work_tasks_drains_the_queue_and_stops(app, caplog):
    caplog.set_level(logging.INFO)
    ids = [services.enqueue("sample.count", {"n": 3}, actor_ref="a" * 32).id for _ in range(3)]
    db.session.commit()
    stop = threading.Event()
    worker = threading.Thread(target=work_tasks, args=(app, "w", stop), kwargs={"lease_seconds": 60,
                                                                                "poll_seconds": 0.05})
    worker.start()
    try:
        for _ in range(100):
            states = db.session.scalars(select(Task.state).where(Task.id.in_(ids))).all()
            db.session.rollback()  # on SQLite an open transaction would hold the write lock
            if states == ["done"] * 3:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        worker.join(timeout=10)
    assert not worker.is_alive()
    assert states == ["done"] * 3


@pytest.mark.parametrize("long", [False, True])
def test_a_slot_lost_to_another_process_is_no_database_error(app, long):
    """Losing the race for a slot is an answer, not a failed statement: PostgreSQL writes every failed statement
    to its log as an ERROR, which alerting pages on."""
    failed: list = []

    def count(context) -> None:
        failed.append(context.original_exception)

    schedule = Schedule("test.quiet", _recording([]), ONE_SLOT, long=long)
    assert run_scheduled(app, schedule, "p1") == "ran"
    event.listen(db.engine, "handle_error", count)
    try:
        assert run_scheduled(app, schedule, "p2") == "slot_taken"
    finally:
        event.remove(db.engine, "handle_error", count)
    assert failed == []
    assert [r.owner for r in _runs("test.quiet")] == ["p1"]


# --- long jobs: the slot is claimed first, and no lock is held while the job runs ----------------


def test_a_long_job_runs_once_per_slot_and_records_its_end(app):
    calls: list = []
    schedule = Schedule("test.long", _recording(calls), ONE_SLOT, long=True)
    assert run_scheduled(app, schedule, "p1") == "ran"
    assert run_scheduled(app, schedule, "p2") == "slot_taken"
    assert calls == [(calls[0][0], "p1")]
    (run,) = _runs("test.long")
    assert run.ok is True and run.finished_dt is not None


def test_a_long_job_that_fails_is_recorded_and_its_writes_undone(app):
    from registry.tasks.models import JobLease as Lease

    def failing(run: JobRun) -> None:
        db.session.add(Lease(name="written-by-the-failing-job", owner="x", until_dt=utcnow()))
        db.session.flush()
        raise RuntimeError("boom")

    assert run_scheduled(app, Schedule("test.long.fail", failing, ONE_SLOT, long=True), "p1") == "failed"
    (run,) = _runs("test.long.fail")
    assert run.ok is False and run.finished_dt is not None
    assert db.session.get(Lease, "written-by-the-failing-job") is None


@pytest.mark.sqlite
def test_while_a_long_job_runs_another_connection_can_write(app):
    """The hourly replay may take minutes on a large registry: SQLite's write lock must stay free meanwhile."""
    import sqlite3

    path = db.engine.url.database
    outcomes = []

    def probe(_run: JobRun) -> None:
        other = sqlite3.connect(path, timeout=0.2)
        try:
            other.execute("BEGIN IMMEDIATE")
            outcomes.append("wrote")
            other.rollback()
        except sqlite3.OperationalError as exc:
            outcomes.append(str(exc))
        finally:
            other.close()

    assert run_scheduled(app, Schedule("test.long.probe", probe, ONE_SLOT, long=True), "p1") == "ran"
    assert run_scheduled(app, Schedule("test.short.probe", probe, ONE_SLOT), "p1") == "ran"
    # The long job left the lock free; an ordinary job holds it for its run (which is why the replay is long=True).
    assert outcomes == ["wrote", "database is locked"]


def test_the_log_verification_is_a_long_job():
    assert {s.name: s.long for s in SCHEDULES}["log.verify"] is True
