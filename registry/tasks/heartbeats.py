"""The jobs processes' heartbeat: whether some jobs process is alive, read by /readyz and /metrics.

A task's lease and a job's run say a process lived only while it had work; an idle jobs process and a dead one
look alike there. So each jobs process rewrites its own `jobs_processes` row every few seconds
(`REGISTRY_JOBS_HEARTBEAT_SECONDS`), and deletes it when it stops. A row left by a process that died is kept for a
day (to be seen in `/metrics` as a process that stopped beating) and then removed by the next beat of any process.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from ..extensions import db
from .models import JobsProcess

DEFAULT_BEAT_SECONDS = 10
# A process silent for a day is gone: its row stops being worth showing.
FORGET_AFTER = timedelta(days=1)


def beat(owner: str, now: datetime, schedules: dict[str, int]) -> None:
    """Record that `owner` is alive at `now`, running `schedules` ({name: seconds}); forget long-dead processes.
    Does not commit."""
    updated = db.session.execute(
        update(JobsProcess).where(JobsProcess.owner == owner).values(beat_dt=now, schedules=schedules)
        .execution_options(synchronize_session=False)).rowcount
    if not updated:
        db.session.add(JobsProcess(owner=owner, started_dt=now, beat_dt=now, schedules=schedules))
    db.session.execute(delete(JobsProcess).where(JobsProcess.beat_dt < now - FORGET_AFTER)
                       .execution_options(synchronize_session=False))
    db.session.flush()


def stopped(owner: str) -> None:
    """Forget `owner`: it stopped on purpose. Does not commit."""
    db.session.execute(delete(JobsProcess).where(JobsProcess.owner == owner)
                       .execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Pulse:
    """What the heartbeats say: the newest beat, how many processes beat since `alive_since`, and the schedules of
    the process that beat last."""

    newest: datetime | None
    alive: int
    schedules: dict[str, int]


def pulse(alive_since: datetime) -> Pulse:
    """Read the heartbeats: two queries on `ix_jobs_processes_beat_dt`."""
    newest = db.session.execute(
        select(JobsProcess.beat_dt, JobsProcess.schedules).order_by(JobsProcess.beat_dt.desc()).limit(1)).first()
    if newest is None:
        return Pulse(None, 0, {})
    alive = db.session.scalar(select(func.count()).select_from(JobsProcess)
                              .where(JobsProcess.beat_dt >= alive_since))
    return Pulse(newest.beat_dt, int(alive or 0), dict(newest.schedules or {}))
