"""On SQLite a change waiting for the write lock goes before bulk work's next batch (registry/writers_first.py)."""
from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from sqlalchemy import create_engine

from registry.database import configure_engine
from registry.writers_first import announced, bulk_work, let_writers_first, sidecar, writers_waiting


@pytest.fixture()
def engine(tmp_path):
    made = create_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    configure_engine(made, 10_000)
    with made.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (who TEXT)")
    yield made
    made.dispose()


def test_the_waiting_file_sits_beside_a_sqlite_file_and_nowhere_else(tmp_path):
    assert sidecar(create_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")) == str(tmp_path / "r.sqlite3-writers")
    assert sidecar(create_engine("sqlite://")) is None
    assert sidecar(create_engine("sqlite:///:memory:")) is None
    assert sidecar(create_engine("postgresql+psycopg://u@127.0.0.1/db")) is None


def _hold(path: str, seconds: float, holding: threading.Event) -> None:
    with announced(path):
        holding.set()
        time.sleep(seconds)


def test_nobody_waiting_costs_no_wait(engine):
    assert not writers_waiting(sidecar(engine))
    assert let_writers_first(engine) < 0.05


def test_bulk_work_waits_while_a_writer_waits_then_goes_on(engine):
    path = sidecar(engine)
    holding = threading.Event()
    writer = threading.Thread(target=_hold, args=(path, 0.3, holding))
    writer.start()
    holding.wait(5)
    assert writers_waiting(path)
    waited = let_writers_first(engine, longest=5)
    writer.join()
    assert 0.2 <= waited < 2
    assert not writers_waiting(path)


def test_bulk_work_waits_at_most_its_longest(engine):
    holding = threading.Event()
    writer = threading.Thread(target=_hold, args=(sidecar(engine), 1.5, holding))
    writer.start()
    holding.wait(5)
    began = time.monotonic()
    waited = let_writers_first(engine, longest=0.2)
    assert 0.2 <= waited < 0.6 and time.monotonic() - began < 0.6
    writer.join()


def _hold_in_child(path: str, ready, release) -> None:
    with announced(path):
        ready.set()
        release.wait(10)


def test_a_writer_in_another_process_is_seen(engine):
    """gunicorn's workers and the jobs processes are processes: the lock is the file's, not a thread's."""
    path = sidecar(engine)
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_in_child, args=(path, ready, release))
    child.start()
    try:
        assert ready.wait(10)
        assert writers_waiting(path)
    finally:
        release.set()
        child.join(10)
    assert not writers_waiting(path)


def test_a_waiting_change_takes_the_lock_before_the_next_batch(engine):
    """The import's next batch begins only after the change that waited during its last batch got the lock.

    Without the announcement the batch would take the lock again at once: SQLite's busy handler has the waiting
    writer asleep (up to 100 ms between tries) when the batch commits."""
    order: list[str] = []
    writer_waiting = threading.Event()

    def change():
        with engine.connect() as conn:
            writer_waiting.set()
            with conn.begin():  # announced: waits for the batch's lock
                order.append("change")
                conn.exec_driver_sql("INSERT INTO t VALUES ('change')")
                time.sleep(0.05)

    def bulk():
        with bulk_work(), engine.connect() as conn:
            with conn.begin():  # the batch: holds the write lock
                conn.exec_driver_sql("INSERT INTO t VALUES ('batch 1')")
                threading.Thread(target=change, name="change").start()
                writer_waiting.wait(5)
                time.sleep(0.4)  # the change is in SQLite's busy handler by now, sleeping between tries
            let_writers_first(engine, longest=5)
            with conn.begin():  # the next batch
                order.append("batch 2")
                conn.exec_driver_sql("INSERT INTO t VALUES ('batch 2')")

    runner = threading.Thread(target=bulk)
    runner.start()
    runner.join(20)
    for t in threading.enumerate():
        if t.name == "change":
            t.join(20)
    assert order == ["change", "batch 2"]


def test_bulk_work_does_not_announce_itself(engine):
    """Two imports at once must not wait for each other as if each were a waiting change."""
    path = sidecar(engine)

    def batch():
        with bulk_work(), engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES ('batch')")

    with engine.connect() as conn, conn.begin():
        # Holding the write lock, so the bulk batch's BEGIN waits; a change's BEGIN would announce meanwhile.
        conn.exec_driver_sql("INSERT INTO t VALUES ('holder')")
        other = threading.Thread(target=batch)
        other.start()
        time.sleep(0.3)
        assert other.is_alive()  # its BEGIN is waiting
        assert not writers_waiting(path)
    other.join(10)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t WHERE who = 'batch'").scalar() == 1
