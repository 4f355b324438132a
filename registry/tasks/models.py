"""The queue of long tasks, and the bookkeeping of the jobs process."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import UTCDateTime

TASK_STATES = ("queued", "running", "done", "failed")

# SQL NULL rather than JSON null, so "no cursor yet" is `IS NULL` on every engine.
_JSON = JSON(none_as_null=True)


class Task(db.Model):
    """One long task: what to do, how far it got, and who is running it."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint(f"state IN {TASK_STATES!r}", name="state"),
        # claim_next looks for the oldest task in a state.
        Index("ix_tasks_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    progress_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    # The handler's resume point, committed together with each batch's work.
    cursor: Mapped[Any] = mapped_column(_JSON, nullable=True)
    result: Mapped[Any] = mapped_column(_JSON, nullable=True)
    # {"code": str, "message": {"zh": str, "en": str}}: never an exception's text.
    error: Mapped[dict[str, Any] | None] = mapped_column(_JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # The company or agency allowed to see the task; None means operators only.
    owner_ref: Mapped[str | None] = mapped_column(String(32), index=True)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    started_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now, onupdate=clock.now)


class JobLease(db.Model):
    """The lock a scheduled job holds on SQLite, which has no advisory locks."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128), nullable=False)
    until_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class JobRun(db.Model):
    """One run of a scheduled job; UNIQUE(name, slot) makes each slot run once."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("name", "slot"),
        # The metrics count the last hour's runs, and pruning deletes the old ones, by when they started.
        Index("ix_job_runs_started_dt", "started_dt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    # floor(epoch seconds / interval): the same for every process firing in that interval.
    slot: Mapped[int] = mapped_column(BigInteger, nullable=False)
    owner: Mapped[str] = mapped_column(String(128), nullable=False)
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ok: Mapped[bool | None] = mapped_column()


class JobsProcess(db.Model):
    """A jobs process's heartbeat: each one rewrites its row every few seconds, so /readyz and /metrics can tell
    whether some jobs process is alive (the task leases and job runs say so only while there is work). The
    schedules it runs, with their intervals, let the web processes judge each job's last run without importing
    the jobs package."""

    __tablename__ = "jobs_processes"

    # hostname:pid:random, as the process's task leases and job runs name it.
    owner: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    beat_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)
    # {schedule name: interval in seconds}
    schedules: Mapped[dict[str, int]] = mapped_column(JSON, nullable=False, default=dict)
