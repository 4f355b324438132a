"""An import's batches are sized by time (registry/tasks/pacing.py, REGISTRY_BULK_LOCK_SECONDS): each holds the log
head's lock about that long, so other changes wait at most about one small batch; every row is stored once however
the batches fall."""
from __future__ import annotations

import io
import math

import pytest
from sqlalchemy import func, select

from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.tasks.pacing import DEFAULT_LEAST
from registry.workers.models import Worker
from tests.support.factory import bearer
from tests.support.importutil import batch_ends, csv_bytes, person_rows

ROWS = 120


@pytest.mark.parametrize(("lock_seconds", "batches"), [
    (60.0, len(batch_ends(ROWS, 1000))),  # never reached: 50 rows, then the remaining 70
    (1e-9, 1 + math.ceil((ROWS - 50) / DEFAULT_LEAST)),  # always passed: after the first 50, the floor's 20 a batch
])
def test_the_time_a_batch_may_hold_the_lock_sizes_the_batches(app, client, factory, monkeypatch, lock_seconds,
                                                                batches):
    from jobs.runner import task_worker_tick

    monkeypatch.setitem(app.config, "BULK_LOCK_SECONDS", lock_seconds)
    monkeypatch.setitem(app.config, "BULK_QUIET_SECONDS", lock_seconds)  # the same whether others write or not
    company, admin = factory.company()
    rows = person_rows(ROWS, today=shanghai_today())
    resp = client.post(f"/api/v1/companies/{company.uscc}/imports", headers=bearer(factory.token(admin.account)),
                       data={"file": (io.BytesIO(csv_bytes(rows)), "staff.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_json()
    commits = []
    db.session.rollback()
    assert task_worker_tick(app, "test-worker", stop_requested=lambda: commits.append(1) and False)
    assert len(commits) == 1 + batches  # the validation, then each stored batch
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Worker)) == ROWS
    assert db.session.scalar(select(func.count()).select_from(LogEntry)
                             .where(LogEntry.action == "worker:register")) == ROWS


def test_reading_and_validating_a_file_hold_no_write_lock(app, client, factory, monkeypatch):
    """While the jobs process validates a file, another change commits at once (on SQLite it held the one write lock
    for the whole validation: every other writer waited, and past its busy timeout failed)."""
    from sqlalchemy import text

    from jobs.runner import task_worker_tick
    from registry.database import write_intent
    from registry.imports import services as imports

    company, admin = factory.company()
    rows = person_rows(5, today=shanghai_today())
    resp = client.post(f"/api/v1/companies/{company.uscc}/imports", headers=bearer(factory.token(admin.account)),
                       data={"file": (io.BytesIO(csv_bytes(rows)), "staff.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 202
    validate_file, seen = imports.validate_file, []

    def validate_while_another_writes(*args, **kwargs):
        checked = validate_file(*args, **kwargs)
        db.session.execute(text("SELECT count(*) FROM workers"))  # the registry read: the transaction is open
        with db.engine.connect() as other:
            if db.engine.dialect.name == "sqlite":
                other.exec_driver_sql("PRAGMA busy_timeout = 200")
            other.execute(text("UPDATE log_head SET size = size WHERE id = 1"))
            other.commit()
        seen.append("committed")
        return checked

    monkeypatch.setattr(imports, "validate_file", validate_while_another_writes)
    db.session.remove()
    with write_intent():  # as in the jobs process, whose transactions begin IMMEDIATE unless told otherwise
        assert task_worker_tick(app, "test-worker")
    assert seen == ["committed"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Worker)) == 5


def test_an_import_nobody_writes_beside_goes_at_speed_and_one_others_write_beside_paces_itself(
        app, client, factory, monkeypatch):
    """The same import, with a lock target no batch can meet: alone, its batches are sized by the quiet target
    (here: any size) and grow; with another change committed between each two of its batches, they stay at the
    floor (tasks/pacing.py, "Only while others write")."""
    from jobs.runner import task_worker_tick
    from registry.log.actions import Action
    from registry.log.services import Change, append_entries

    monkeypatch.setitem(app.config, "BULK_LOCK_SECONDS", 1e-9)
    monkeypatch.setitem(app.config, "BULK_QUIET_SECONDS", 60.0)
    monkeypatch.setitem(app.config, "BULK_SHARE", 1.0)  # no rest: the test's time
    company, admin = factory.company()
    token = factory.token(admin.account)

    def run(seed: int, others_write: bool) -> int:
        rows = person_rows(300, today=shanghai_today(), seed=seed)
        resp = client.post(f"/api/v1/companies/{company.uscc}/imports", headers=bearer(token),
                           data={"file": (io.BytesIO(csv_bytes(rows)), "staff.csv")},
                           content_type="multipart/form-data")
        assert resp.status_code == 202, resp.get_json()
        commits = []

        def between_batches():
            commits.append(1)
            if others_write:  # another change, on its own connection's session, as another request's would
                from registry.keys import keyring

                with app.app_context():
                    append_entries(keyring(), [Change("system", Action.COMPANY_UPDATE, "e" * 32, "d" * 64)])
                    db.session.commit()
            return False

        db.session.rollback()
        assert task_worker_tick(app, "test-worker", stop_requested=between_batches)
        return len(commits) - 1  # the stored batches

    assert run(1, others_write=False) == 3  # 50 rows, 100 (at most twice the last), the other 150
    # 50 rows, then 100 (the change after the first batch is seen once the second is stored), then the floor's 20.
    assert run(2, others_write=True) == 2 + math.ceil(150 / DEFAULT_LEAST)
