"""The queue of long tasks: enqueue, claim, run in committed batches, report.

Services here do not commit, except the three places where committing is the
contract: `claim_next` (a claim must be visible to other processes at once),
`TaskContext.commit_batch` (each batch commits its work with the task's
progress) and `run_task` (the task's end commits with its last work).
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, delete, or_, select, update

from .. import clock
from ..errors import ApiError, not_found
from ..extensions import db
from .models import JobRun, Task

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A running task's lease: renewed by its holder's heartbeat every quarter of it (`Heartbeat`) and by each batch's
# commit. When the holder's process dies, the beats stop and another process claims the task once the lease has
# lapsed: within this plus one poll of the queue (the soak's killed import had waited out a 120 s lease).
DEFAULT_LEASE_SECONDS = 20
# A batch that commits nothing for this long is taken as hung: its heartbeat stops, the lease lapses and another
# process takes the task over (the hung one's commit then finds the lease lost).
HUNG_AFTER_SECONDS = 900
# A lease this long expired means its holder is gone, not merely slow to renew.
RECLAIM_GRACE_SECONDS = 60
JOB_RUNS_KEPT_DAYS = 7


class LeaseLost(Exception):
    """Another owner took the task over; this owner's uncommitted work is void."""


class TaskInterrupted(Exception):
    """The process is stopping; the task goes back to the queue after a committed batch."""


@dataclass(frozen=True)
class _Failure:
    code: str
    zh: str
    en: str

    def as_error(self, **names: str) -> dict:
        return {"code": self.code, "message": {"zh": self.zh.format(**names), "en": self.en.format(**names)}}


TASK_FAILED = _Failure("task_failed", "任务执行出错（{type}）。", "The task failed ({type}).")
UNKNOWN_KIND = _Failure("unknown_task_kind", "没有处理此类任务的程序。",
                        "No handler is installed for this kind of task.")
ABANDONED = _Failure(
    "task_abandoned", "任务多次中断，已停止重试。", "The task was interrupted too many times and is no longer retried."
)

_HANDLERS: dict[str, Callable[[TaskContext], None]] = {}
# Called in the transaction that ends a task of the kind (done or failed), before it commits: what must not outlive
# the task goes with it (an uploaded file's personal data, say).
_ENDINGS: dict[str, Callable[[int, str], None]] = {}


def task_handler(kind: str):
    """Register the decorated `fn(ctx: TaskContext) -> None` as the handler of `kind`."""

    def register(fn: Callable[[TaskContext], None]):
        existing = _HANDLERS.get(kind)
        # Re-importing the same module is harmless; two different handlers are a bug.
        if existing is not None and (existing.__module__, existing.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"task kind {kind!r} already has a handler")
        _HANDLERS[kind] = fn
        return fn

    return register


class TaskContext:
    """What a handler sees: its task, arguments, resume point and batch commit."""

    def __init__(self, task: Task, owner: str, lease_seconds: float, stop_requested: Callable[[], bool],
                 heartbeat: Heartbeat | None = None):
        self.task = task
        # Copied once: reading the expired task after a commit would open a transaction.
        self.task_id = task.id
        self.args = task.args
        self.cursor = task.cursor
        self.owner = owner
        self._lease_seconds = lease_seconds
        self._stop_requested = stop_requested
        self._heartbeat = heartbeat

    def commit_batch(self, done: int, total: int | None, cursor: Any, result: Any = None) -> None:
        """Commit this batch's work with the task's progress, cursor and (optional) result."""
        now = clock.now()
        values = dict(
            progress_done=done,
            progress_total=total,
            cursor=cursor,
            lease_until_dt=now + timedelta(seconds=self._lease_seconds),
            updated_dt=now,
        )
        if result is not None:
            values["result"] = result
        _settle(self.task_id, self.owner, **values)
        self.cursor = cursor
        if self._heartbeat is not None:
            self._heartbeat.progressed()
        if self._stop_requested():
            raise TaskInterrupted()


def on_task_end(kind: str):
    """Register the decorated `fn(task_id, state) -> None` to run in the commit that ends a task of `kind`.

    It runs when the task is done, fails for good, or is abandoned by `reclaim_expired`; never when it goes back
    to the queue. It must not commit.
    """

    def register(fn: Callable[[int, str], None]):
        _ENDINGS[kind] = fn
        return fn

    return register


def enqueue(kind: str, args: dict, *, actor_ref: str, owner_ref: str | None = None) -> Task:
    """Queue a task of a known kind; the caller's transaction commits it."""
    if kind not in _HANDLERS:
        raise ValueError(f"unknown task kind {kind!r}")
    task = Task(kind=kind, args=args, state="queued", attempts=0, created_by=actor_ref, owner_ref=owner_ref)
    db.session.add(task)
    db.session.flush()
    return task


def claim_next(owner: str, lease_seconds: float) -> Task | None:
    """Take the oldest queued task, or a running one whose holder let its lease expire, and commit."""
    now = clock.now()
    claimable = or_(
        Task.state == "queued",
        and_(Task.state == "running", Task.lease_until_dt < now, Task.attempts < MAX_ATTEMPTS),
    )
    return _take(select(Task).where(claimable).order_by(Task.id).limit(1), owner, lease_seconds, now)


def claim(task_id: int, owner: str, lease_seconds: float) -> Task | None:
    """Take one particular task if it is queued (or its holder's lease expired), and commit.

    For commands that run a task they just queued in their own process.
    """
    now = clock.now()
    claimable = or_(
        Task.state == "queued",
        and_(Task.state == "running", Task.lease_until_dt < now, Task.attempts < MAX_ATTEMPTS),
    )
    return _take(select(Task).where(Task.id == task_id, claimable), owner, lease_seconds, now)


def _take(query, owner: str, lease_seconds: float, now) -> Task | None:
    """Lock the task `query` finds, mark it running under `owner`'s lease, and commit."""
    # PostgreSQL: SKIP LOCKED lets two claimers take two different tasks.
    # SQLite renders no FOR UPDATE; its IMMEDIATE transaction serialises claimers.
    task = db.session.scalars(query.with_for_update(skip_locked=True)).first()
    if task is None:
        db.session.rollback()
        return None
    task.state = "running"
    task.lease_owner = owner
    task.lease_until_dt = now + timedelta(seconds=lease_seconds)
    task.attempts += 1
    task.started_dt = task.started_dt or now
    db.session.commit()
    return task


class Heartbeat:
    """Renews a running task's lease every quarter of it, from a thread of its own on a connection of its own, while
    its handler runs: a batch may take longer than the lease while its process lives, and a process that dies stops
    beating, so another claims the task once the lease lapses. It stops by itself when the task is no longer this
    owner's, and when no batch has committed for `HUNG_AFTER_SECONDS`."""

    def __init__(self, app, task_id: int, owner: str, lease_seconds: float):
        self._app, self._task_id, self._owner, self._lease_seconds = app, task_id, owner, lease_seconds
        self._stop = threading.Event()
        self._last_progress = time.monotonic()
        self._thread = threading.Thread(target=self._beat, name=f"task-{task_id}-heartbeat", daemon=True)

    def progressed(self) -> None:
        """A batch committed: the task is alive."""
        self._last_progress = time.monotonic()

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=self._lease_seconds)

    def _beat(self) -> None:
        while not self._stop.wait(self._lease_seconds / 4):
            if time.monotonic() - self._last_progress > HUNG_AFTER_SECONDS:
                log.warning("task %d: no batch committed for %d s; its lease is left to lapse", self._task_id,
                            HUNG_AFTER_SECONDS)
                return
            try:
                with self._app.app_context():
                    if not renew_lease(self._task_id, self._owner, self._lease_seconds):
                        return  # ended, or another owner holds it: nothing left to keep
            except Exception as exc:  # noqa: BLE001 — a missed beat (a busy SQLite file, a restart) is retried
                log.info("task %d: lease not renewed this beat (%s)", self._task_id, type(exc).__name__)


def renew_lease(task_id: int, owner: str, lease_seconds: float) -> bool:
    """Hold a running task's lease `lease_seconds` more from now, if `owner` still holds it; commits. Whether it did."""
    renewed = db.session.execute(
        update(Task).where(Task.id == task_id, Task.state == "running", Task.lease_owner == owner)
        .values(lease_until_dt=clock.now() + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return renewed


def run_task(
    task: Task,
    owner: str,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    stop_requested: Callable[[], bool] = lambda: False,
) -> str:
    """Run a claimed task's handler, its lease renewed by a heartbeat meanwhile, and commit its end; return the
    task's new state, or "lost"."""
    task_id, kind = task.id, task.kind
    try:
        with Heartbeat(current_app._get_current_object(), task_id, owner, lease_seconds) as heartbeat:
            return _run(task, owner, lease_seconds, stop_requested, heartbeat)
    except LeaseLost:
        db.session.rollback()
        log.warning("task %d (%s): lease lost to another owner; stopped here", task_id, kind)
        return "lost"


def _run(task: Task, owner: str, lease_seconds: float, stop_requested: Callable[[], bool],
         heartbeat: Heartbeat) -> str:
    task_id, kind, attempts = task.id, task.kind, task.attempts
    handler = _HANDLERS.get(kind)
    if handler is None:
        log.error("task %d: no handler for kind %s", task_id, kind)
        return _end(task_id, owner, "failed", UNKNOWN_KIND.as_error(), kind)
    try:
        handler(TaskContext(task, owner, lease_seconds, stop_requested, heartbeat))
    except LeaseLost:
        raise
    except TaskInterrupted:
        log.info("task %d (%s): interrupted after a committed batch; requeued", task_id, kind)
        # Stopping the process is not the task's fault: give the attempt back.
        _settle(task_id, owner, state="queued", attempts=attempts - 1, lease_owner=None, lease_until_dt=None)
        return "queued"
    except Exception as exc:  # noqa: BLE001 — any handler failure is recorded, not raised
        db.session.rollback()
        # The type and the frames only: an exception's text may quote personal data.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("task %d (%s) attempt %d raised %s\n%s", task_id, kind, attempts, type(exc).__name__, frames)
        state = "failed" if attempts >= MAX_ATTEMPTS else "queued"
        return _end(task_id, owner, state, TASK_FAILED.as_error(type=type(exc).__name__), kind)
    return _end(task_id, owner, "done", None, kind)


def _end(task_id: int, owner: str, state: str, error: dict | None, kind: str | None = None) -> str:
    """Settle a task as done, failed or queued again, releasing its lease."""
    finished = clock.now() if state in ("done", "failed") else None
    if finished is not None and kind in _ENDINGS:
        # Committed by _settle below, or rolled back with it if another owner holds the task.
        _ENDINGS[kind](task_id, state)
    _settle(task_id, owner, state=state, error=error, finished_dt=finished, lease_owner=None, lease_until_dt=None)
    log.info("task %d -> %s", task_id, state)
    return state


def _settle(task_id: int, owner: str, **values: Any) -> None:
    """Write `values` and commit, if `owner` still holds the task; else roll back and raise LeaseLost."""
    values.setdefault("updated_dt", clock.now())
    # One conditional UPDATE: the ownership check and the write cannot be split by another claimer.
    stmt = (
        update(Task)
        .where(Task.id == task_id, Task.state == "running", Task.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(stmt).rowcount != 1:
        db.session.rollback()
        raise LeaseLost(task_id)
    db.session.commit()


def reclaim_expired(grace_seconds: float = RECLAIM_GRACE_SECONDS) -> dict[str, int]:
    """Requeue running tasks whose holder died; fail those out of attempts. Does not commit."""
    cutoff = clock.now() - timedelta(seconds=grace_seconds)
    stale = db.session.scalars(
        select(Task)
        .where(Task.state == "running", Task.lease_until_dt < cutoff)
        .order_by(Task.id)
        .with_for_update(skip_locked=True)
    ).all()
    counts = {"requeued": 0, "failed": 0}
    for task in stale:
        task.lease_owner = None
        task.lease_until_dt = None
        if task.attempts >= MAX_ATTEMPTS:
            task.state = "failed"
            task.error = ABANDONED.as_error()
            task.finished_dt = clock.now()
            if task.kind in _ENDINGS:
                _ENDINGS[task.kind](task.id, "failed")
            counts["failed"] += 1
        else:
            task.state = "queued"
            counts["requeued"] += 1
    db.session.flush()
    return counts


def prune_job_runs(kept_days: int = JOB_RUNS_KEPT_DAYS) -> int:
    """Delete the records of scheduled runs older than `kept_days`. Does not commit."""
    cutoff = clock.now() - timedelta(days=kept_days)
    return db.session.execute(delete(JobRun).where(JobRun.started_dt < cutoff)).rowcount


def retry(task_id: int) -> Task:
    """Put a failed task back in the queue, keeping its progress and cursor. Does not commit."""
    task = get(task_id)
    if task is None:
        raise not_found("task", "任务")
    if task.state != "failed":
        raise ApiError(409, "task_not_failed", "只有失败的任务可以重试。", "Only a failed task can be retried.")
    task.state = "queued"
    task.error = None
    task.attempts = 0
    task.finished_dt = None
    db.session.flush()
    return task


def get(task_id: int) -> Task | None:
    """Return the task with this id, or None."""
    return db.session.get(Task, task_id)


def list_tasks(state: str | None = None, limit: int = 50) -> list[Task]:
    """Return the newest tasks, optionally in one state."""
    stmt = select(Task).order_by(Task.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Task.state == state)
    return list(db.session.scalars(stmt))


OPEN_STATES = ("queued", "running", "failed")


def open_tasks(limit: int = 200) -> list[Task]:
    """The tasks operators may need to act on: queued, running and failed ones, failed first, newest first."""
    order = case((Task.state == "failed", 0), (Task.state == "running", 1), else_=2)
    return list(db.session.scalars(
        select(Task).where(Task.state.in_(OPEN_STATES)).order_by(order, Task.id.desc()).limit(limit)))


def owner_names(tasks: list[Task]) -> dict[str, dict]:
    """owner_ref → {"kind": "company", "name", "uscc"} or {"kind": "agency", "name_zh", "name_en", "code"}."""
    from ..accounts.models import Agency
    from ..companies.models import Company

    refs = sorted({t.owner_ref for t in tasks if t.owner_ref})
    names: dict[str, dict] = {}
    if not refs:
        return names
    for ref, name, uscc in db.session.execute(
            select(Company.log_ref, Company.name, Company.uscc).where(Company.log_ref.in_(refs))):
        names[ref] = {"kind": "company", "name": name, "uscc": uscc}
    for ref, zh, en, code in db.session.execute(
            select(Agency.log_ref, Agency.name_zh, Agency.name_en, Agency.code).where(Agency.log_ref.in_(refs))):
        names[ref] = {"kind": "agency", "name_zh": zh, "name_en": en, "code": code}
    return names


def progress_view(task: Task) -> dict:
    """Return what pages and the API show of a task (never its arguments)."""
    done, total = task.progress_done, task.progress_total
    if task.state == "done":
        percent = 100
    elif total:
        percent = min(100, done * 100 // total)
    else:
        percent = None
    return {
        "id": task.id,
        "kind": task.kind,
        "state": task.state,
        "progress": {"done": done, "total": total, "percent": percent},
        "result": task.result,
        "error": task.error,
        "created_dt": _rfc3339(task.created_dt),
        "finished_dt": _rfc3339(task.finished_dt),
    }


def _rfc3339(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
