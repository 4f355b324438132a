"""One batch of bulk work (an import's), as every import stores it: in its turn, after any waiting change, timed,
then rested.

- **Its turn** (`bulk_turn`): one batch of bulk work at a time across every process, its rest included. Each
  import rests after each batch so that it holds the log head's lock half the time (`pacing.Pacer.share`); two
  imports at once, each resting on its own, held it all the time again, and a soak measured registrations at p99
  440 ms while a big and a small import overlapped, against 250 ms with one. Taking turns, any number of imports
  together hold the lock no more than one does, and each goes at its share of that. On PostgreSQL the turn is a
  session advisory lock (its waiters queue, so the imports alternate batch by batch), on SQLite an exclusive `flock`
  on `<database>-bulk`; a process that dies lets go of either.
- **After any waiting change** (`writers_first.let_writers_first`, SQLite).
- **Timed and rested** (`pacing.Pacer`): the batch's time sizes the next batch and sets the rest after it — while
  others write: a batch whose entries do not follow the last one's (another change committed between them), or
  one that let a waiting writer go first, keeps the work pacing itself (`Pacer.observed`); calm, it goes at speed.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ..database import end_transaction_keeping_loaded
from ..extensions import db
from ..log.services import LAST_APPENDED
from ..writers_first import let_writers_first, sidecar
from .pacing import Pacer

TURN_KEY = int.from_bytes(hashlib.sha256(b"jiaxin.bulk-turn").digest()[:8], "big", signed=True)


@contextlib.contextmanager
def bulk_turn(engine: Engine):
    """Hold the turn of bulk work for the block (waiting for it first)."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            conn.execute(select(func.pg_advisory_lock(TURN_KEY)))
            try:
                yield
            finally:
                try:
                    conn.execute(select(func.pg_advisory_unlock(TURN_KEY)))
                except Exception:
                    # A session lock outlives the transaction: a connection that could not let go of it must not
                    # go back to the pool holding it (its end lets go).
                    conn.invalidate()
                    raise
        finally:
            conn.close()
        return
    path = sidecar(engine, "-bulk")
    if path is None:
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _end_transaction() -> None:
    """End the session's transaction (a read's, here) without expiring what it loaded. A jobs process begins its
    transactions IMMEDIATE on SQLite, so one open while it waits for the turn held the write lock that the turn's
    holder needed for its batch: both waited out the busy timeout (the 10-minute SQLite soak: three writes answered
    503 after 30 s, and an import's batch failed)."""
    end_transaction_keeping_loaded(db.session())


@dataclass
class Batch:
    """What the caller tells of its batch: the rows it covered, and whether it was the last."""

    rows: int = 0
    last: bool = False


@contextlib.contextmanager
def paced_batch(engine: Engine, pacer: Pacer):
    """One batch: in its turn, after any waiting change; its time then sizes the next (`pacer.took`) and, unless it
    was the last, the rest after it, still in its turn. The block sets `rows` and `last` on what it is given."""
    _end_transaction()
    with bulk_turn(engine):
        waited = let_writers_first(engine)
        batch = Batch()
        db.session.info.pop(LAST_APPENDED, None)
        began = time.perf_counter()
        yield batch
        took = time.perf_counter() - began
        span = db.session.info.pop(LAST_APPENDED, None)
        others = waited > 0 or (span is not None and pacer.seen_end is not None and span[0] > pacer.seen_end)
        if span is not None:
            pacer.seen_end = span[1]
        now = time.monotonic()
        pacer.observed(others, now)
        pacer.took(batch.rows, took, now)
        if not batch.last:
            time.sleep(pacer.rest(took, now))  # the lock (and the processors) free for others a while
