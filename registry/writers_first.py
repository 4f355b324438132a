"""On SQLite, a change that waits for the write lock goes before the next batch of bulk work.

SQLite has one write lock, and a connection that finds it taken does not queue: its busy handler sleeps and tries
again (1, 2, 5 … up to 100 ms between tries). An import that commits a batch and begins the next at once takes the
lock again before a waiting registration wakes, batch after batch: a soak measured registrations waiting up to 3 s
behind a 5,000-row import, although each batch holds the lock only about 0.1 s (`tasks.pacing`).

So a writer says that it waits: it holds a shared `flock` on a file beside the database (`<database>-writers`)
from just before its `BEGIN IMMEDIATE` until that returns (`announced`, from `database.configure_engine`). Bulk
work runs inside `bulk_work()`, which does not announce, and calls `let_writers_first` before each batch: while
any writer holds the shared lock it waits (at most `LONGEST_WAIT_SECONDS` a batch, so writers cannot stall an
import), and the writer takes the lock first. When nobody writes, it costs one `flock` call a batch.

PostgreSQL needs none of this: a row lock's waiters queue, so a change waiting for the log head gets it before the
import's next batch asks for it.
"""
from __future__ import annotations

import contextlib
import contextvars
import errno
import fcntl
import os
import threading
import time

from sqlalchemy.engine import Engine

# The most a batch of bulk work waits for writers; then it goes on and they wait for one batch.
LONGEST_WAIT_SECONDS = 0.5
POLL_SECONDS = 0.002

_bulk: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_work", default=False)
# One descriptor per thread and process: flock locks belong to an open file description, which threads sharing a
# descriptor (or a process forked with it) would share, so one's unlock would release the other's lock.
_local = threading.local()


def sidecar(engine: Engine, suffix: str = "-writers") -> str | None:
    """The file beside a SQLite database in a file that writers announce themselves on (or another `suffix`'s);
    None for any other database."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or \
            url.query.get("mode") == "memory":
        return None
    return os.path.abspath(url.database) + suffix


def _descriptor(path: str) -> int:
    fds = getattr(_local, "fds", None)
    if fds is None or _local.pid != os.getpid():
        fds = _local.fds = {}
        _local.pid = os.getpid()
    fd = fds.get(path)
    if fd is None:
        fd = fds[path] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    return fd


def is_bulk() -> bool:
    return _bulk.get()


@contextlib.contextmanager
def bulk_work():
    """Within the block this context's write transactions do not announce themselves: they are the bulk work that
    lets writers first."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


@contextlib.contextmanager
def announced(path: str):
    """Hold the shared lock on `path` for the block: a writer waits for the write lock."""
    fd = _descriptor(path)
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def writers_waiting(path: str) -> bool:
    """Does any writer hold the shared lock on `path` now?"""
    fd = _descriptor(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return True
        raise
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


def let_writers_first(engine: Engine, *, longest: float = LONGEST_WAIT_SECONDS) -> float:
    """Before a batch of bulk work: wait while writers wait for the write lock, at most `longest` seconds. Returns
    the seconds waited (0 on PostgreSQL, or when nobody waits)."""
    path = sidecar(engine)
    if path is None:
        return 0.0
    if not writers_waiting(path):
        return 0.0
    began = time.monotonic()
    while writers_waiting(path):
        waited = time.monotonic() - began
        if waited >= longest:
            return waited
        time.sleep(POLL_SECONDS)
    return time.monotonic() - began
