"""A service import killed mid-run (SIGKILL of a real `python -m jobs`), then finished by a new process.

Each store batch commits its services, review codes, messages, log entries and
the task's progress together. So at any kill the database holds exactly the
committed batches, the file is still there (sealed) for the next process, which
resumes after the last batch: every row once, every entry once, no seq gap, and
the file deleted when the task ends.
"""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import now as utcnow
from registry.extensions import db
from registry.keys import keyring
from registry.log.models import LogEntry, LogHead
from registry.notify.models import OutboxMessage
from registry.tasks.models import Task
from registry.trace.import_models import ServiceFile
from registry.trace.imports import start_import
from registry.trace.models import ReviewCode, ServiceRecord
from tests.support.cardworld import green_worker
from tests.support.importutil import batch_ends
from tests.support.jobsutil import jobs_fixture
from tests.support.serviceimportutil import service_csv, service_rows

jobs = pytest.fixture(jobs_fixture)

ROWS = 6000
# A time target no batch reaches: the batches double from 50 rows to 200 and their ends are known (batch_ends).
FAST = {"REGISTRY_IMPORT_BATCH": "200", "REGISTRY_BULK_LOCK_SECONDS": "60", "REGISTRY_TASK_LEASE_SECONDS": "2",
        "REGISTRY_TASK_POLL_SECONDS": "0.2"}


def _task(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _poll(jobs, predicate, timeout: float, what: str, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        db.session.rollback()
        if value:
            return value
        died = [p for p in jobs.log_paths if p not in jobs.expected_to_end and p.poll() is not None]
        assert not died, f"a jobs process exited while waiting for {what}\n{jobs.output()}"
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what}\n{jobs.output()}")


def test_a_service_import_killed_while_storing_resumes_after_its_last_batch(app, factory, jobs):
    world = green_worker(factory)
    rows = service_rows(ROWS, [world.card_no], now=utcnow(), seed=31)
    task = start_import(keyring(), account=world.admin, company=world.company, filename="services.csv",
                        content=service_csv(rows), keep_good=False)
    task_id = task.id
    db.session.commit()
    first = jobs.start("first", **FAST)

    def storing():
        t = _task(task_id)
        if t.state == "done":
            pytest.fail(f"the import of {ROWS} rows finished before it could be killed: raise ROWS")
        return t.state == "running" and (t.result or {}).get("phase") == "store" and t.progress_done > 0

    _poll(jobs, storing, 120, "the first stored batch")
    jobs.kill(first)

    killed = _task(task_id)
    stored = killed.progress_done
    assert killed.state == "running" and killed.result["phase"] == "store"
    assert 0 < stored < ROWS, f"killed half-way, not after {stored} of {ROWS} rows: raise ROWS"
    assert stored in batch_ends(ROWS, int(FAST["REGISTRY_IMPORT_BATCH"])) and killed.cursor["next"] == stored
    # Exactly the committed batches: no half batch, no service without its code, message and entry.
    assert _count(ServiceRecord) == stored and _count(ReviewCode) == stored
    assert _count(OutboxMessage, OutboxMessage.kind == "review_code") == stored
    assert _count(LogEntry, LogEntry.action == "service:record") == stored
    f = db.session.execute(select(ServiceFile).where(ServiceFile.task_id == task_id)).scalar_one()
    assert f.content_enc is not None, "the file waits, sealed, for the next process"
    db.session.rollback()

    second = jobs.start("second", **FAST)
    jobs.wait_until(lambda: _task(task_id).state in ("done", "failed"), 180, "the restarted import to finish")
    jobs.stop(second)
    task = _task(task_id)
    assert task.state == "done", (task.error, jobs.output())
    assert task.attempts == 2 and task.result["stored"] == ROWS and task.result["errors"] == 0

    db.session.rollback()
    assert _count(ServiceRecord) == ROWS and _count(ReviewCode) == ROWS
    assert _count(OutboxMessage, OutboxMessage.kind == "review_code") == ROWS
    entries = db.session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars().all()
    assert [e.seq for e in entries] == list(range(len(entries))), "the log's seq has a gap"
    assert db.session.get(LogHead, 1).size == len(entries)
    digests = {e.subject: json.loads(e.body)["digest"] for e in entries if e.action == "service:record"}
    assert len(digests) == ROWS, "a row was stored twice or not at all"
    for s in db.session.execute(select(ServiceRecord)).scalars():
        assert digests[s.log_ref] == canonical.digest(canonical.state_of(factory.ring, s))
    f = db.session.execute(select(ServiceFile).where(ServiceFile.task_id == task_id)).scalar_one()
    assert f.content_enc is None and f.deleted_dt is not None
