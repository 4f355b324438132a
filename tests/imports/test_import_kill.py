"""A staff import killed mid-run (SIGKILL of a real `python -m jobs`), then finished by a new process.

Each store batch commits its workers, employments, records, log entries and the
task's progress together; validation commits nothing but its verdict. So at any
kill the database holds exactly the committed batches, and the next process
resumes after the last one: every person once, every entry once, no seq gap.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.imports.models import ImportFile
from registry.imports.services import start_import
from registry.keys import keyring
from registry.keys.crypto import state_hmac
from registry.log.models import LogEntry, LogHead
from registry.log.services import entry_mac
from registry.tasks.models import Task
from registry.workers.models import Employment, Worker, WorkerRecord
from tests.support.importutil import batch_ends, csv_bytes, person_rows
from tests.support.jobsutil import jobs_fixture

jobs = pytest.fixture(jobs_fixture)

# Big enough that storing takes seconds (30 batches of 200) and checking takes well over the poll interval.
ROWS = 6000
# A time target no batch reaches: the batches double from 50 rows to 200 and their ends are known (batch_ends).
FAST = {"REGISTRY_IMPORT_BATCH": "200", "REGISTRY_BULK_LOCK_SECONDS": "60", "REGISTRY_TASK_LEASE_SECONDS": "2",
        "REGISTRY_TASK_POLL_SECONDS": "0.2"}


def _task(task_id: int) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task_id)


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _queue_import(factory, seed: int):
    company, admin = factory.company()
    rows = person_rows(ROWS, today=shanghai_today(), seed=seed)
    task = start_import(keyring(), account=admin.account, company=company, filename="staff.csv",
                        content=csv_bytes(rows), keep_good=False)
    task_id = task.id
    db.session.commit()
    return task_id, rows


def _poll(jobs, predicate, timeout: float, what: str, interval: float = 0.01):
    """As `Processes.wait_until`, polling faster: the moment to kill is short."""
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


def _finish_in_a_new_process(jobs, task_id: int) -> Task:
    second = jobs.start("second", **FAST)
    jobs.wait_until(lambda: _task(task_id).state in ("done", "failed"), 180, "the restarted import to finish")
    jobs.stop(second)
    task = _task(task_id)
    assert task.state == "done", (task.error, jobs.output())
    return task


def _assert_consistent(factory, rows: list[dict]) -> None:
    """Every row's person once, one register entry each, a gap-free authentic log, replayable digests."""
    db.session.rollback()
    ring = factory.ring
    n = len(rows)
    assert _count(Worker) == n and _count(Employment) == n
    assert _count(WorkerRecord) == 2 * n  # person_rows gives each row a health and an identity check
    people = Counter(db.session.execute(select(Worker.id_number_state)).scalars())
    assert max(people.values()) == 1, "a person was stored twice"
    assert set(people) == {state_hmac(ring, "id_number", r["id_number"]) for r in rows}, "a row's person is missing"

    entries = db.session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars().all()
    assert [e.seq for e in entries] == list(range(len(entries))), "the log's seq has a gap"
    assert db.session.get(LogHead, 1).size == len(entries)
    digests: dict[str, str] = {}
    for e in entries:
        body = json.loads(e.body)
        assert body["seq"] == e.seq and body["subject"] == e.subject and body["action"] == e.action
        assert e.leaf_hash == hashlib.sha256(b"\x00" + e.body).digest()
        assert hmac.compare_digest(entry_mac(ring.get("log-hmac", e.hmac_key_id).material, e.body),
                                   e.hmac), f"entry {e.seq}"
        if e.action.startswith("worker:"):
            assert e.action == "worker:register", e.action
            assert e.subject not in digests, "two entries for one worker"
            digests[e.subject] = body["digest"]
    assert len(digests) == n

    workers = db.session.execute(select(Worker)).scalars().all()
    assert {w.log_ref for w in workers} == set(digests)
    for w in workers:
        assert digests[w.log_ref] == canonical.digest(canonical.state_of(ring, w)), f"worker {w.card_no}"


def test_an_import_killed_while_storing_resumes_after_its_last_batch(app, factory, jobs):
    task_id, rows = _queue_import(factory, seed=21)
    first = jobs.start("first", **FAST)

    def storing():
        task = _task(task_id)
        if task.state == "done":
            pytest.fail(f"the import of {ROWS} rows finished before it could be killed: raise ROWS")
        return task.state == "running" and (task.result or {}).get("phase") == "store" and task.progress_done > 0

    _poll(jobs, storing, 120, "the first stored batch")
    jobs.kill(first)

    killed = _task(task_id)
    stored = killed.progress_done
    assert killed.state == "running" and killed.result["phase"] == "store", "killed while storing"
    assert 0 < stored < ROWS, f"killed half-way, not after {stored} of {ROWS} rows: raise ROWS"
    assert killed.progress_total == ROWS and killed.cursor["next"] == stored
    # Exactly the committed batches are in the database: no half batch, no entry without its row.
    assert stored in batch_ends(ROWS, int(FAST["REGISTRY_IMPORT_BATCH"]))
    assert _count(Worker) == stored and _count(Employment) == stored
    assert _count(LogEntry, LogEntry.action == "worker:register") == stored
    assert killed.result["stored"] == stored
    db.session.rollback()

    task = _finish_in_a_new_process(jobs, task_id)
    assert task.attempts == 2 and task.error is None
    assert (task.progress_done, task.progress_total) == (ROWS, ROWS)
    assert task.result == {"phase": "done", "rows": ROWS, "errors": 0, "stored": ROWS, "pending": 0,
                           "keep_good": False, "report": False}
    _assert_consistent(factory, rows)


def test_an_import_killed_while_checking_starts_checking_again(app, factory, jobs):
    task_id, rows = _queue_import(factory, seed=22)
    first = jobs.start("first", **FAST)

    def checking():
        task = _task(task_id)
        if task.result is not None:
            pytest.fail(f"the check of {ROWS} rows ended before it could be killed: raise ROWS")
        return task.state == "running"

    _poll(jobs, checking, 120, "the task to be claimed")
    jobs.kill(first)

    killed = _task(task_id)
    assert killed.state == "running" and killed.result is None and killed.cursor is None, \
        "killed while checking (no verdict committed yet)"
    f = db.session.execute(select(ImportFile).where(ImportFile.task_id == task_id)).scalar_one()
    assert f.valid_rows is None and f.report_csv is None
    assert _count(Worker) == 0 and _count(LogEntry, LogEntry.action == "worker:register") == 0
    db.session.rollback()

    task = _finish_in_a_new_process(jobs, task_id)
    assert task.attempts == 2 and task.result["stored"] == ROWS and task.result["errors"] == 0
    _assert_consistent(factory, rows)
