"""Concurrent writers and the signer: stored hashes stay exact, checkpoints never refuse a sound log."""
from __future__ import annotations

import secrets
import threading
import traceback

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.log.actions import Action
from registry.log.models import LogCheckpoint, LogHash
from registry.log.services import Change, append_entries
from registry.log.verify import Report, check_checkpoints, check_tree, open_checkpoints
from registry.tlog import merkle
from tests.support.logutil import ORIGIN, leaves, many_writers, sign, small_world


@pytest.fixture
def writers_at_once(app):
    with many_writers():
        yield

def _writer(app, ring, rounds: int, errors: list):
    from registry.database import write_intent

    try:
        with app.app_context(), write_intent():
            for i in range(rounds):
                changes = [Change("system", Action.COMPANY_UPDATE, secrets.token_hex(16), secrets.token_hex(32))
                           for _ in range(1 + i % 5)]
                append_entries(ring, changes)
                if i % 7 == 3:
                    db.session.rollback()  # a failed change: its entries and hashes vanish with it
                else:
                    db.session.commit()
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 — reported by the test
        errors.append(f"{exc!r}\n{traceback.format_exc()}")


def _signer(app, ring, stop: threading.Event, outcomes: list, errors: list, every: float = 0.0):
    try:
        with app.app_context():
            while not stop.is_set():
                outcomes.append(sign(ring).status)
                stop.wait(every)
            outcomes.append(sign(ring).status)
            db.session.remove()
    except Exception as exc:  # noqa: BLE001
        errors.append(f"{exc!r}\n{traceback.format_exc()}")


def test_concurrent_appends_and_signing(app, factory, writers_at_once):
    ring = factory.ring
    errors: list = []
    outcomes: list = []
    stop = threading.Event()
    writers = [threading.Thread(target=_writer, args=(app, ring, 25, errors)) for _ in range(4)]
    signer = threading.Thread(target=_signer, args=(app, ring, stop, outcomes, errors))
    signer.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(120)
    stop.set()
    signer.join(120)
    assert errors == []
    assert "refused" not in outcomes and "signed" in outcomes
    db.session.rollback()
    ls = leaves()
    computed = merkle.extend_stored_hashes(0, [], ls)
    stored = dict(db.session.execute(select(LogHash.id, LogHash.hash)).all())
    assert len(stored) == len(computed) and all(bytes(stored[i]) == h for i, h in enumerate(computed))
    report = Report()
    opened = open_checkpoints(ring, ORIGIN, report)
    check_checkpoints(opened, check_tree(len(ls), report, checkpoint_sizes=[cp.size for _row, cp in opened]), report)
    assert report.ok, report.failures
    assert db.session.scalars(select(LogCheckpoint.size).order_by(LogCheckpoint.size.desc())).first() == len(ls)
    assert merkle.root_from_leaves(ls) == db.session.scalars(
        select(LogCheckpoint.root).order_by(LogCheckpoint.size.desc())).first()


# --- 8 writers × 200 real service calls, each its own transaction -------------------------------

WRITERS = 8
CHANGES = 200
SHARED_WORKERS = 16


def _person(seed: int):
    import random
    from datetime import date

    from registry.workers import idnumber, services

    rng = random.Random(seed)
    number = idnumber.generate(rng, birth=date(1975 + rng.randrange(20), 1 + rng.randrange(12), 5))
    return services.Person("陈秀英", number, f"136{rng.randrange(10**8):08d}")


def _service_writer(app, ring, w: int, account_id: int, company_id: int, worker_ids: list[int], errors: list,
                    done: list):
    """Writer w: CHANGES service calls, each committed on its own: mostly a record on a worker every writer
    also writes to (so concurrent changes meet on one aggregate), every fifth an API token of its own."""
    from datetime import timedelta

    from registry.accounts.models import Account
    from registry.accounts.services import issue_token
    from registry.clock import today
    from registry.companies.models import Company
    from registry.database import write_intent
    from registry.workers.models import Worker
    from registry.workers.services import add_record

    try:
        with app.app_context(), write_intent():
            day = today()
            for i in range(CHANGES):
                account = db.session.get(Account, account_id)
                if i % 5 == 4:
                    issue_token(ring, account=account, name=f"writer {w} token {i}")
                else:
                    company = db.session.get(Company, company_id)
                    # Writers 2k and 2k+1 write to the same worker at the same step.
                    worker = db.session.get(Worker, worker_ids[(i + w // 2) % len(worker_ids)])
                    add_record(ring, account=account, company=company, worker=worker, kind="identity",
                               data={"result": "verified", "checked_on": day - timedelta(days=1 + i % 300)},
                               today=day)
                db.session.commit()
                done.append(w)
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 — reported by the test
        errors.append(f"writer {w}: {exc!r}\n{traceback.format_exc()}")


def test_eight_writers_times_two_hundred_service_changes(app, factory, writers_at_once):
    from registry.clock import now as utcnow
    from registry.clock import today
    from registry.log.models import LogEntry, LogHead
    from registry.log.verify import verify_local
    from registry.workers import attach
    from registry.workers.services import Engagement, register_worker

    ring = factory.ring
    companies = [factory.company() for _ in range(WRITERS)]
    day = today()
    worker_ids = []
    for seed in range(SHARED_WORKERS):
        person = _person(100 + seed)
        for company, admin in companies:  # every writer's company employs every shared worker
            reg = register_worker(ring, account=admin.account, company=company, person=person, today=day,
                                  engagement=Engagement("cleaner", "labour_contract", day, True))
            db.session.commit()
            if reg.pending:  # the worker confirms each further employer, so each may add records
                attach.confirm_by_worker(ring, worker=reg.worker, employment_id=reg.employment.id, today=day,
                                         now=utcnow())
                db.session.commit()
        worker_ids.append(reg.worker.id)
    before = db.session.get(LogHead, 1).size
    errors: list = []
    done: list = []
    outcomes: list = []
    stop = threading.Event()
    writers = [threading.Thread(target=_service_writer,
                                args=(app, ring, w, companies[w][1].account.id, companies[w][0].id, worker_ids,
                                      errors, done))
               for w in range(WRITERS)]
    # The signing job runs on a schedule, here every 50 ms, while the writers write.
    signer = threading.Thread(target=_signer, args=(app, ring, stop, outcomes, errors, 0.05))
    signer.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join(240)
    stop.set()
    signer.join(240)
    assert errors == []
    assert len(done) == WRITERS * CHANGES
    assert "refused" not in outcomes and "signed" in outcomes
    db.session.rollback()
    seqs = db.session.scalars(select(LogEntry.seq).order_by(LogEntry.seq)).all()
    total = before + WRITERS * CHANGES
    assert seqs == list(range(total))  # numbered without gaps or repeats
    assert db.session.get(LogHead, 1).size == total
    sign(ring)
    report = verify_local(ring, ORIGIN)
    assert report.ok, report.failures[:20]
    assert db.session.scalars(select(LogCheckpoint.size).order_by(LogCheckpoint.size.desc())).first() == total


# --- two changes to one aggregate, the second committed while the first is between digest and lock -----


@pytest.mark.postgres
@pytest.mark.parametrize("other_change", ["add_record", "end_employment"])
def test_a_change_committed_before_the_head_lock_is_in_the_next_digest(app, factory, monkeypatch, other_change):
    """Writer A changes a worker; just before A takes the log head's lock, writer B changes the same worker
    and commits. A's entry comes after B's, so A's digest must include B's change (a new row, or a new value
    of a row A had already loaded), or the log's latest digest would not match the worker and verify would
    report a tampering that never happened. (PostgreSQL only: on SQLite A's transaction holds the write lock
    from its start, so B cannot commit in between.)"""
    from datetime import timedelta

    from registry.accounts.models import Account
    from registry.clock import now, today
    from registry.companies.models import Company
    from registry.database import write_intent
    from registry.log import services as log_services
    from registry.log.verify import verify_local
    from registry.workers import attach
    from registry.workers.models import Worker
    from registry.workers.services import Engagement, add_record, end_employment, register_worker

    w = small_world(factory)
    ring = factory.ring
    day = today()
    worker = w["workers"][0]
    # The worker also works for the other company (the attachment confirmed by the worker), whose admin is writer B.
    reg = register_worker(ring, account=w["other_admin"], company=w["other"], person=_person_of(worker, factory),
                          engagement=Engagement("cleaner", "labour_contract", day - timedelta(days=10), True),
                          today=day)
    attach.confirm_by_worker(ring, worker=reg.worker, employment_id=reg.employment.id, today=day, now=now())
    db.session.commit()
    ids = {"worker": worker.id, "a": (w["admin"].id, w["company"].id), "b": (w["other_admin"].id, w["other"].id)}
    a_waits, b_committed = threading.Event(), threading.Event()
    lock_head = log_services._lock_head_size

    def paused_lock(**kw):
        if threading.current_thread().name == "writer-A" and not a_waits.is_set():
            a_waits.set()
            assert b_committed.wait(30)
        return lock_head(**kw)

    monkeypatch.setattr(log_services, "_lock_head_size", paused_lock)
    errors: list = []

    def writer(name):
        try:
            with app.app_context(), write_intent():
                account_id, company_id = ids[name]
                account, company = db.session.get(Account, account_id), db.session.get(Company, company_id)
                target = db.session.get(Worker, ids["worker"])
                if name == "b":
                    assert a_waits.wait(30)
                    if other_change == "add_record":
                        add_record(ring, account=account, company=company, worker=target, kind="identity",
                                   data={"result": "failed", "checked_on": day}, today=day)
                    else:
                        end_employment(ring, account=account, company=company, worker=target, end_date=day,
                                       today=day)
                    db.session.commit()
                    b_committed.set()
                else:
                    add_record(ring, account=account, company=company, worker=target, kind="identity",
                               data={"result": "verified", "checked_on": day - timedelta(days=1)}, today=day)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(f"{name}: {exc!r}")
            a_waits.set()
            b_committed.set()

    threads = [threading.Thread(target=writer, args=(n,), name=f"writer-{n.upper()}") for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.rollback()
    sign(ring)
    report = verify_local(ring, ORIGIN)
    assert report.ok, report.failures


def _person_of(worker, factory):
    """The Person tests.support.logutil.worker registered (same name and ID number)."""
    from registry.workers.services import Person, open_personal_data

    data = open_personal_data(factory.ring, worker)
    return Person(data["name"], data["id_number"], data["phone"])
