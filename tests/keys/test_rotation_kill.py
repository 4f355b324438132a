"""A rotation killed mid-way (a real SIGKILL of the jobs process) finishes on restart, losing nothing."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.tasks.models import Task
from registry.workers.models import Worker
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks
from tests.support.jobsutil import jobs_fixture

jobs = pytest.fixture(jobs_fixture)
SLOW = {"REGISTRY_ROTATION_BATCH": "20", "REGISTRY_TASK_LEASE_SECONDS": "2", "REGISTRY_TASK_POLL_SECONDS": "0.2"}


def test_field_rotation_killed_mid_way_completes_on_restart(app, factory, jobs):
    from registry.imports.services import start_import
    from registry.keys.rotation import start_rotation, values_left

    company, admin = factory.company()
    start_import(factory.ring, account=admin.account, company=company, filename="s.csv",
                 content=csv_bytes(person_rows(1500, today=shanghai_today(), with_records=False)), keep_good=False)
    db.session.commit()
    run_queued_tasks(app)
    ring = factory.ring
    names_before = {w.ref: w.name_state for w in db.session.execute(select(Worker)).scalars()}
    key, task = start_rotation(ring, "field", actor="system")
    task_id = task.id
    db.session.commit()

    def progress():
        t = db.session.get(Task, task_id)
        db.session.refresh(t)
        return t.progress_done, t.progress_total, t.state

    first = jobs.start("first", **SLOW)
    jobs.wait_until(lambda: progress()[0] > 0, 60, "the rotation's first committed batch")
    jobs.kill(first)
    done, total, state = progress()
    assert state == "running" and 0 < done < total, (done, total, state)
    assert values_left(ring, "field", key.id) > 0
    db.session.rollback()

    jobs.start("second", **SLOW)
    jobs.wait_until(lambda: progress()[2] == "done", 120, "the rotation to finish")
    db.session.rollback()
    assert values_left(ring, "field", key.id) == 0
    assert all(k.state == "retired" for k in ring.keys("field", fresh=True)[1:])
    # Nothing lost: every value opens under the new key and matches its state HMAC.
    from registry.keys.crypto import state_hmac
    from registry.workers.services import open_personal_data

    for w in db.session.execute(select(Worker)).scalars():
        assert state_hmac(ring, "name", open_personal_data(ring, w)["name"]) == names_before[w.ref]
        entry = db.session.execute(select(LogEntry).where(LogEntry.subject == w.log_ref)
                                   .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
        assert json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(ring, w))
    seqs = db.session.execute(select(LogEntry.seq).order_by(LogEntry.seq)).scalars().all()
    assert seqs == list(range(len(seqs)))
