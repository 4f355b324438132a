"""What the registry's state says at scrape time: the task queue, the log's checkpoints and alarms, the scheduled
jobs, the jobs processes' heartbeat, and whether a database move holds the registry read-only.

`read` asks the database a dozen small questions, each answered from an index (a scrape comes every 15 s or so,
from every Prometheus that watches); `families` turns the answers into metric families (pure). Labels are states,
alarm kinds, outcomes and schedule names: values the code defines, never a person's or a company's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import false, func, literal, select, union_all

from ..extensions import db
from ..log.checkpoints import REFUSED_KIND
from ..log.findings import KINDS as FINDING_KINDS
from ..log.models import LogAlarm, LogCheckpoint, LogHead
from ..move.models import DbMove
from ..tasks.heartbeats import pulse
from ..tasks.models import JobRun, Task

# Done tasks are history, not load: their count only grows, and counting them would read the whole table.
TASK_STATES = ("queued", "running", "failed")
ALARM_KINDS = (REFUSED_KIND, *FINDING_KINDS)
OUTCOMES = ("ok", "failed", "unfinished")
RUNS_WINDOW = timedelta(hours=1)
# A jobs process that beat this recently counts as alive when /readyz does not check them.
DEFAULT_ALIVE_SECONDS = 60


@dataclass(frozen=True)
class Snapshot:
    """The answers, as numbers; an age is None when the thing never happened."""

    tasks: dict[str, int]
    oldest_queued_age: float
    log_size: int
    checkpoint_size: int
    checkpoint_age: float | None
    alarms: dict[str, int]
    runs: dict[tuple[str, str], int]
    # schedule name → (interval in seconds, seconds since its last run started or None)
    schedules: dict[str, tuple[int, float | None]]
    heartbeat_age: float | None
    processes: int
    # A `db move` marker stands: every write answers 503 `registry_moving` (reads go on).
    read_only: bool


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


def read(now: datetime, alive_seconds: float) -> Snapshot:
    """Read the state the gauges show at `now`; a jobs process counts as alive if it beat within `alive_seconds`."""
    s = db.session
    tasks = dict.fromkeys(TASK_STATES, 0)
    # ix_tasks_state_id: a range per state.
    tasks.update(s.execute(select(Task.state, func.count()).where(Task.state.in_(TASK_STATES))
                           .group_by(Task.state)).all())
    oldest = s.scalar(select(Task.created_dt).where(Task.state == "queued").order_by(Task.id).limit(1))
    log_size = s.scalar(select(LogHead.size).where(LogHead.id == 1)) or 0
    checkpoint = s.execute(select(LogCheckpoint.size, LogCheckpoint.created_dt)
                           .order_by(LogCheckpoint.size.desc()).limit(1)).first()
    alarms = dict.fromkeys(ALARM_KINDS, 0)
    for kind, count in s.execute(select(LogAlarm.kind, func.count()).where(LogAlarm.acknowledged.is_(false()))
                                 .group_by(LogAlarm.kind)):
        key = kind if kind in alarms else "other"
        alarms[key] = alarms.get(key, 0) + count
    beats = pulse(now - timedelta(seconds=alive_seconds))
    runs = _recent_runs(now - RUNS_WINDOW)
    last = _last_runs(list(beats.schedules))
    # Any row of the marker's table, by its primary key (registry/move/marker.py).
    moving = s.scalar(select(DbMove.id).limit(1)) is not None
    return Snapshot(
        tasks=tasks,
        oldest_queued_age=_age(now, oldest) or 0.0,
        log_size=int(log_size),
        checkpoint_size=int(checkpoint.size) if checkpoint else 0,
        checkpoint_age=_age(now, checkpoint.created_dt) if checkpoint else None,
        alarms=alarms,
        runs=runs,
        schedules={name: (int(seconds), _age(now, last.get(name))) for name, seconds in beats.schedules.items()},
        heartbeat_age=_age(now, beats.newest),
        processes=beats.alive,
        read_only=moving,
    )


def _recent_runs(since: datetime) -> dict[tuple[str, str], int]:
    """Runs started since `since` by schedule and outcome (ix_job_runs_started_dt)."""
    rows = db.session.execute(
        select(JobRun.name, JobRun.ok, JobRun.finished_dt.is_(None), func.count())
        .where(JobRun.started_dt >= since).group_by(JobRun.name, JobRun.ok, JobRun.finished_dt.is_(None)))
    out: dict[tuple[str, str], int] = {}
    for name, ok, unfinished, count in rows:
        outcome = "unfinished" if unfinished else "ok" if ok else "failed"
        out[(name, outcome)] = out.get((name, outcome), 0) + count
    return out


def _last_runs(names: list[str]) -> dict[str, datetime]:
    """When each schedule's latest run started: one statement, a backward step of UNIQUE(name, slot) per name."""
    if not names:
        return {}
    parts = [select(literal(name).label("name"), JobRun.started_dt).where(JobRun.name == name)
             .order_by(JobRun.slot.desc()).limit(1).subquery() for name in sorted(names)]
    stmt = union_all(*(select(p.c.name, p.c.started_dt) for p in parts))
    return {name: started for name, started in db.session.execute(stmt)}


def _seconds(age: float | None) -> float:
    # Never: +Inf, so "older than N seconds" alerts fire without a separate absent() rule.
    return math.inf if age is None else age


def families(snapshot: Snapshot | None) -> list:
    """The gauges of `snapshot`; None (the database did not answer) gives `jiaxin_database_up 0` alone."""
    up = GaugeMetricFamily("jiaxin_database_up", "Whether the database answered this scrape's questions (1) or not.")
    up.add_metric([], 0 if snapshot is None else 1)
    if snapshot is None:
        return [up]
    tasks = GaugeMetricFamily("jiaxin_tasks", "Queued tasks by state (done ones are not counted).", labels=["state"])
    for state, count in snapshot.tasks.items():
        tasks.add_metric([state], count)
    oldest = GaugeMetricFamily("jiaxin_task_oldest_queued_age_seconds",
                               "How long the oldest queued task has waited (0: none waits).")
    oldest.add_metric([], snapshot.oldest_queued_age)
    entries = GaugeMetricFamily("jiaxin_log_entries", "Entries in the transparency log.")
    entries.add_metric([], snapshot.log_size)
    signed = GaugeMetricFamily("jiaxin_log_checkpoint_size", "Entries the latest signed checkpoint covers.")
    signed.add_metric([], snapshot.checkpoint_size)
    unsigned = GaugeMetricFamily("jiaxin_log_unsigned_entries",
                                 "Log entries no signed checkpoint covers yet.")
    unsigned.add_metric([], max(0, snapshot.log_size - snapshot.checkpoint_size))
    checkpoint_age = GaugeMetricFamily("jiaxin_log_checkpoint_age_seconds",
                                       "Seconds since the latest checkpoint was signed (+Inf: none ever was).")
    checkpoint_age.add_metric([], _seconds(snapshot.checkpoint_age))
    alarms = GaugeMetricFamily("jiaxin_log_alarms_open", "Log alarms no operator has acknowledged, by kind.",
                               labels=["kind"])
    for kind, count in snapshot.alarms.items():
        alarms.add_metric([kind], count)
    runs = GaugeMetricFamily("jiaxin_job_runs_last_hour",
                             "Scheduled job runs started in the last hour, by job and outcome.",
                             labels=["name", "outcome"])
    for name in sorted({n for n, _ in snapshot.runs} | set(snapshot.schedules)):
        for outcome in OUTCOMES:
            runs.add_metric([name, outcome], snapshot.runs.get((name, outcome), 0))
    last = GaugeMetricFamily("jiaxin_job_last_run_age_seconds",
                             "Seconds since each scheduled job's latest run started (+Inf: never).", labels=["name"])
    interval = GaugeMetricFamily("jiaxin_job_interval_seconds", "Each scheduled job's interval, as the jobs "
                                 "process that beat last runs it.", labels=["name"])
    for name, (seconds, age) in sorted(snapshot.schedules.items()):
        last.add_metric([name], _seconds(age))
        interval.add_metric([name], seconds)
    heartbeat = GaugeMetricFamily("jiaxin_jobs_heartbeat_age_seconds",
                                  "Seconds since a jobs process last recorded its heartbeat (+Inf: none ever did).")
    heartbeat.add_metric([], _seconds(snapshot.heartbeat_age))
    processes = GaugeMetricFamily("jiaxin_jobs_processes", "Jobs processes whose heartbeat is recent.")
    processes.add_metric([], snapshot.processes)
    read_only = GaugeMetricFamily("jiaxin_registry_read_only",
                                  "1 while a database move's marker stands and writes answer 503 registry_moving.")
    read_only.add_metric([], 1 if snapshot.read_only else 0)
    return [up, tasks, oldest, entries, signed, unsigned, checkpoint_age, alarms, runs, last, interval, heartbeat,
            processes, read_only]
