"""One batch of bulk work at a time across processes, its rest included (registry/tasks/bulk.py), on the test's
own engine: SQLite's `flock` or PostgreSQL's advisory lock."""
from __future__ import annotations

import threading
import time

import pytest

from registry.extensions import db
from registry.tasks.bulk import bulk_turn, paced_batch
from registry.tasks.pacing import Pacer


def _hold_turn(engine, seconds: float, holding: threading.Event, spans: list) -> None:
    with bulk_turn(engine):
        began = time.monotonic()
        holding.set()
        time.sleep(seconds)
        spans.append((began, time.monotonic()))


def test_two_imports_take_turns(app):
    engine = db.engine
    holding, spans = threading.Event(), []
    first = threading.Thread(target=_hold_turn, args=(engine, 0.3, holding, spans))
    first.start()
    assert holding.wait(10)
    with bulk_turn(engine):
        mine = time.monotonic()
    first.join(10)
    [(_began, ended)] = spans
    assert mine >= ended  # the second waited for the first batch and its rest to end


def test_a_batch_that_fails_gives_up_its_turn(app):
    engine = db.engine
    with pytest.raises(RuntimeError), bulk_turn(engine):
        raise RuntimeError("the batch failed")
    done = threading.Event()

    def other():
        with bulk_turn(engine):
            done.set()

    t = threading.Thread(target=other)
    t.start()
    assert done.wait(5)
    t.join(5)


def test_a_batch_rests_its_share_after_it_unless_it_was_the_last(app):
    pacer = Pacer(target=0.1, most=1000, share=0.5)
    pacer.observed(True, time.monotonic())  # others write: it paces itself
    began = time.monotonic()
    with paced_batch(db.engine, pacer) as batch:
        time.sleep(0.1)
        batch.rows = 50
    rested = time.monotonic() - began
    assert 0.2 <= rested < 1.0  # the batch's 0.1 s, then as long again
    assert 40 <= pacer.size <= 50  # its time sized the next (the rest not counted): 50 rows took the target
    began = time.monotonic()
    with paced_batch(db.engine, pacer) as batch:
        time.sleep(0.1)
        batch.rows, batch.last = 100, True
    assert time.monotonic() - began < 0.19  # nothing follows the last batch: no rest


def test_waiting_for_the_turn_holds_no_write_lock(app):
    """An import that waits for its turn holds no transaction: on SQLite a jobs process's transactions begin
    IMMEDIATE, and one left open by a read while waiting kept the turn's holder from its batch's write lock."""
    from sqlalchemy import text

    engine = db.engine
    holding, waiting, wrote = threading.Event(), threading.Event(), []

    def holder():
        with app.app_context(), bulk_turn(engine):
            holding.set()
            waiting.wait(5)
            time.sleep(0.3)  # the other is waiting for the turn by now
            raw = engine.raw_connection()  # the batch's write, waiting 2 s at most on SQLite
            try:
                cur = raw.cursor()
                if engine.dialect.name == "sqlite":
                    cur.execute("PRAGMA busy_timeout = 2000")
                    cur.execute("BEGIN IMMEDIATE")
                cur.execute("UPDATE log_head SET size = size")
                cur.execute("COMMIT") if engine.dialect.name == "sqlite" else raw.commit()
                wrote.append(True)
            finally:
                raw.close()

    def other_import():
        with app.app_context():
            db.session.execute(text("SELECT count(*) FROM log_head"))  # a read after the last commit (IMMEDIATE)
            waiting.set()
            with paced_batch(engine, Pacer()) as batch:
                batch.last = True

    first = threading.Thread(target=holder)
    first.start()
    assert holding.wait(5)
    second = threading.Thread(target=other_import)
    second.start()
    first.join(20)
    second.join(20)
    assert wrote == [True]


def _append(app, subject: str) -> None:
    from registry.keys import keyring
    from registry.log.actions import Action
    from registry.log.services import Change, append_entries

    append_entries(keyring(), [Change("system", Action.COMPANY_UPDATE, subject * 32, "d" * 64)])


def test_a_change_committed_between_two_batches_keeps_the_work_paced(app):
    """The work paces itself while others write: it sees them in the log, whose entries no longer follow its own."""
    pacer = Pacer(target=0.05, most=1000, share=1, calm=60)
    for _ in range(2):  # its own batches, one after the other: nobody else wrote, calm
        with paced_batch(db.engine, pacer) as batch:
            _append(app, "a")
            db.session.commit()
            batch.rows = 1
    calm_from = pacer.busy_until
    assert not pacer.busy(time.monotonic())
    _append(app, "b")  # another change
    db.session.commit()
    time.sleep(0.01)
    with paced_batch(db.engine, pacer) as batch:
        _append(app, "a")
        db.session.commit()
        batch.rows = 1
    assert pacer.busy_until > calm_from and pacer.busy(time.monotonic())  # busy, for a minute from now
    calm_from = pacer.busy_until
    time.sleep(0.01)
    with paced_batch(db.engine, pacer) as batch:
        _append(app, "a")
        db.session.commit()
        batch.rows = 1
    assert pacer.busy_until == calm_from  # nobody else wrote: the calm clock runs on
