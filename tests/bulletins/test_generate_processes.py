"""Bulletin generation in real `python -m jobs` processes against the test database (PostgreSQL in CI's second
run): two processes making the same period at once publish one bulletin, one version; a process killed (SIGKILL)
in the middle of a generation leaves nothing published, and the next process completes it, exactly once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.bulletins import generate, periods
from registry.bulletins.models import Bulletin
from registry.clock import today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.tasks.models import Task
from registry.tasks.services import enqueue
from tests.support.jobsutil import jobs_fixture
from tests.support.sanctionutil import record, regulators

jobs = pytest.fixture(jobs_fixture)
FAST_LEASE = {"REGISTRY_TASK_LEASE_SECONDS": "2", "REGISTRY_TASK_POLL_SECONDS": "0.2"}


@pytest.fixture
def last_month(app, factory):
    """Last month (by the real clock, which the jobs processes keep), with one published sanction in the log."""
    from registry.sanctions import services as sanctions

    hk, _ = regulators(factory, "housekeeping", code="hk-jobs")
    company, _ = factory.company(name="成都安心家政服务有限公司")
    s = record(factory, hk, company=company, months=6, today=today())
    sanctions.publish_sanction(factory.ring, regulator=hk, sanction=s, today=today())
    db.session.commit()
    return periods.previous(periods.month_of(today()))


def tasks_state(ids) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Task, i).state for i in ids]


def published(period_key: str) -> list[tuple[int, str]]:
    db.session.expire_all()
    return list(db.session.execute(select(Bulletin.version, Bulletin.state)
                                   .where(Bulletin.period_key == period_key)).all())


def publish_entries() -> int:
    return db.session.execute(select(func.count()).select_from(LogEntry)
                              .where(LogEntry.action == "bulletin:publish")).scalar_one()


def test_two_processes_making_the_same_period_publish_one_version(app, factory, jobs, last_month):
    # Two generations of one period queued at once (as two schedulers without the pending check would).
    ids = [enqueue(generate.TASK_KIND, {"period": last_month.key}, actor_ref="test").id for _ in range(2)]
    db.session.commit()
    first, second = jobs.start("first"), jobs.start("second")
    jobs.wait_until(lambda: tasks_state(ids) == ["done", "done"], 120, "both generations to end")
    jobs.stop(first)
    jobs.stop(second)
    assert published(last_month.key) == [(1, "current")]
    assert publish_entries() == 1
    results = [db.session.get(Task, i).result["published"] for i in ids]
    assert sorted(r is None for r in results) == [False, True], results
    assert verify_local(factory.ring, app.config["LOG_ORIGIN"]).ok


def test_a_generation_killed_mid_way_publishes_nothing_and_the_next_process_completes_it(app, factory, jobs,
                                                                                         last_month):
    task_id = generate.queue(last_month, actor_ref="test").id
    db.session.commit()

    def step() -> int:
        db.session.expire_all()
        return db.session.get(Task, task_id).progress_done

    first = jobs.start("first", **FAST_LEASE)
    jobs.wait_until(lambda: step() >= 1, 60, "the content gathered (step 1 committed)")
    jobs.kill(first)
    assert step() < generate.STEPS and published(last_month.key) == [] and publish_entries() == 0
    db.session.rollback()

    second = jobs.start("second", **FAST_LEASE)
    jobs.wait_until(lambda: tasks_state([task_id]) == ["done"], 120, "the generation to finish")
    jobs.stop(second)
    assert published(last_month.key) == [(1, "current")]
    assert publish_entries() == 1
    assert verify_local(factory.ring, app.config["LOG_ORIGIN"]).ok
