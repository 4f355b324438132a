"""The one list of scheduled jobs, with interval overrides from the environment.

A job is `fn(run: JobRun) -> None`: thin, it calls one service and leaves the
commit to the runner (a `long` one commits its own writes). `REGISTRY_SCHEDULE_<NAME>_SECONDS` overrides an interval
(`tasks.reclaim` → `REGISTRY_SCHEDULE_TASKS_RECLAIM_SECONDS`);
`REGISTRY_EXTRA_SCHEDULES="name=module:function@seconds,…"` adds jobs. A few
schedules also have a setting in minutes of their own (MINUTE_VARIABLES):
`REGISTRY_LOG_VERIFY_MINUTES` (default 60) for the full log verification; the
`…_SECONDS` variable, when set too, wins.
"""
from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

NAME_MAX = 64  # JobRun.name and JobLease.name


@dataclass(frozen=True)
class Schedule:
    """Run `func` ("module:function" or the function itself) every `seconds`."""

    name: str
    func: str | Callable
    seconds: int
    # A long job that only reads (and then writes a little by itself): the runner commits its JobRun first and
    # holds no lock while it runs, so on SQLite it never keeps the write lock from the registry's writers.
    long: bool = False

    def resolve(self) -> Callable:
        """Return the job function, importing it if named by a string."""
        if callable(self.func):
            return self.func
        module, _, attr = self.func.partition(":")
        return getattr(importlib.import_module(module), attr)


SCHEDULES: tuple[Schedule, ...] = (
    Schedule("tasks.reclaim", "jobs.housekeeping:reclaim", 30),
    Schedule("job_runs.prune", "jobs.housekeeping:prune_runs", 3600),
    Schedule("log.checkpoint", "jobs.checkpoints:sign_checkpoint", 60),
    Schedule("selfservice.prune", "jobs.housekeeping:prune_spent_codes", 3600),
    Schedule("workers.lapse_attachments", "jobs.housekeeping:lapse_attachments", 3600),
    # Whether a sanction is public is computed when read; this records each window's end in the log.
    Schedule("sanctions.expire", "jobs.housekeeping:expire_sanctions", 3600),
    # Each ended month and ISO week gets its disclosure bulletin, made by a queued task (bulletins.generate); a
    # current one that carries a record changed since is withdrawn first, and so made again (bulletins/follow.py).
    Schedule("bulletins.queue", "jobs.housekeeping:queue_bulletins", 3600),
    # A kept credit score whose component's window ended (or whose dated fact began) is computed again; changes to
    # records move their scores in their own transaction (registry/credit/keeping.py).
    Schedule("credit.refresh_due", "jobs.housekeeping:refresh_credit_scores", 3600),
    # Messages to customers (review codes) leave the outbox after CUSTOMER_MESSAGE_DAYS (docs/privacy.md).
    Schedule("notify.prune_customer_messages", "jobs.housekeeping:prune_customer_messages", 86400),
    # Retention (PIPL art. 19, 47): erasures of workers long without employment (logged), deletions of old staff
    # files, access records and household query records (registry/retention/services.py). Commits its own batches.
    Schedule("retention.apply", "jobs.housekeeping:apply_retention", 86400, long=True),
    # A full replay at least hourly, so a direct edit of the database raises an alarm within the hour.
    Schedule("log.verify", "jobs.verification:verify_log", 3600, long=True),
)

# Operators' settings in minutes: schedule name → environment variable.
MINUTE_VARIABLES = {"log.verify": "REGISTRY_LOG_VERIFY_MINUTES"}


def interval_variable(name: str) -> str:
    """Name the environment variable that overrides the interval of schedule `name`."""
    return f"REGISTRY_SCHEDULE_{re.sub(r'[^A-Z0-9]+', '_', name.upper())}_SECONDS"


def active_schedules(environ: Mapping[str, str] = os.environ) -> list[Schedule]:
    """Return SCHEDULES plus the extra ones, with overridden intervals applied."""
    schedules = [*SCHEDULES, *_extra(environ.get("REGISTRY_EXTRA_SCHEDULES", ""))]
    names = [s.name for s in schedules]
    if len(set(names)) != len(names):
        raise ValueError(f"schedule names repeat: {names}")
    out = []
    for s in schedules:
        raw = environ.get(interval_variable(s.name))
        minutes = environ.get(MINUTE_VARIABLES.get(s.name, ""), "")
        seconds = int(raw) if raw else int(minutes) * 60 if minutes else s.seconds
        out.append(_checked(replace(s, seconds=seconds)))
    return out


def _extra(spec: str) -> list[Schedule]:
    extra = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        match = re.fullmatch(r"([\w.-]+)=([\w.]+:\w+)@(\d+)", item)
        if not match:
            raise ValueError(f"REGISTRY_EXTRA_SCHEDULES: expected name=module:function@seconds, got {item!r}")
        extra.append(Schedule(match[1], match[2], int(match[3])))
    return extra


def _checked(schedule: Schedule) -> Schedule:
    if schedule.seconds < 1:
        raise ValueError(f"schedule {schedule.name}: interval must be at least 1 second")
    if len(schedule.name) > NAME_MAX:
        raise ValueError(f"schedule {schedule.name}: name longer than {NAME_MAX}")
    return schedule
