"""`python -m jobs` as real OS processes against the test database."""
from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.tasks.models import JobRun, Task
from registry.tasks.services import enqueue
from tests.support import jiaxin_sample_tasks  # noqa: F401  (registers the sample task kinds here too)
from tests.support.jobsutil import jobs_fixture

# 20 items, one a batch, 0.2 s each: about 4 s of work.
COUNT_ARGS = {"n": 20, "batch": 1, "sleep": 0.2}
FAST_TASKS = {"REGISTRY_TASK_LEASE_SECONDS": "2", "REGISTRY_TASK_POLL_SECONDS": "0.2"}


jobs = pytest.fixture(jobs_fixture)


def _task(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def _enqueue_count() -> int:
    task_id = enqueue("sample.count", dict(COUNT_ARGS), actor_ref="a" * 32).id
    db.session.commit()
    return task_id


def test_two_processes_run_each_scheduled_slot_once(app, jobs, tmp_path):
    marker = tmp_path / "runs.txt"
    both = {"REGISTRY_EXTRA_SCHEDULES": "test.tick=tests.support.jiaxin_sample_tasks:record_slot@1",
            "JIAXIN_TEST_MARKER_FILE": str(marker)}
    first, second = jobs.start("first", **both), jobs.start("second", **both)

    def six_runs():
        return db.session.scalar(select(func.count()).select_from(JobRun).where(JobRun.name == "test.tick")) >= 6

    jobs.wait_until(six_runs, 30, "six runs of test.tick")
    jobs.stop(first)
    jobs.stop(second)

    runs = db.session.scalars(select(JobRun).where(JobRun.name == "test.tick")).all()
    executed = [(int(slot), owner) for slot, owner in (line.split(" ") for line in marker.read_text().splitlines())]
    assert Counter(slot for slot, _ in executed).most_common(1)[0][1] == 1, f"a slot ran twice: {executed}"
    assert sorted(executed) == sorted((r.slot, r.owner) for r in runs), "every execution is its recorded run"
    assert all(r.ok for r in runs)
    assert len(runs) >= 6
    from jobs.schedules import SCHEDULES

    # Every scheduled job, then the extra one, as the process announces them.
    expected = ", ".join([*(f"{s.name} every {s.seconds}s" for s in SCHEDULES), "test.tick every 1s"])
    for proc in (first, second):
        assert f"starting: {expected}" in jobs.log(proc)


def test_a_task_killed_mid_run_completes_on_restart(app, jobs):
    task_id = _enqueue_count()
    first = jobs.start("first", **FAST_TASKS)
    jobs.wait_until(lambda: _task(task_id).progress_done >= 5, 30, "five items done")
    jobs.kill(first)

    killed = _task(task_id)
    assert killed.state == "running" and 5 <= killed.progress_done < 20, "killed half-way"
    assert f":{first.pid}:" in killed.lease_owner
    db.session.rollback()

    second = jobs.start("second", **FAST_TASKS)
    jobs.wait_until(lambda: _task(task_id).state == "done", 30, "the task to finish")
    jobs.stop(second)

    task = _task(task_id)
    assert (task.progress_done, task.progress_total, task.attempts, task.error) == (20, 20, 2, None)
    assert task.result == {"items": list(range(20))}, "every item exactly once, none lost"


def test_sigterm_stops_after_a_committed_batch_and_requeues_the_task(app, jobs):
    task_id = _enqueue_count()
    proc = jobs.start("only", **FAST_TASKS)
    jobs.wait_until(lambda: _task(task_id).progress_done >= 3, 30, "three items done")
    jobs.stop(proc)

    task = _task(task_id)
    assert (task.state, task.lease_owner, task.attempts) == ("queued", None, 0)
    assert 3 <= task.progress_done < 20
    assert task.result == {"items": list(range(task.progress_done))}
    assert "stopped" in jobs.log(proc)
