"""`python -m jobs`: run the schedules and the task queue until SIGTERM or SIGINT.

Settings: REGISTRY_TASK_LEASE_SECONDS (default 20: a running task's heartbeat
renews it every quarter; a dead process's task is claimed again once it lapses),
REGISTRY_TASK_POLL_SECONDS (default 1), REGISTRY_JOBS_HEARTBEAT_SECONDS (default
10: how often the process records that it is alive, for /readyz and /metrics),
the schedule variables in jobs.schedules, and the application's own REGISTRY_*
variables.
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from registry import create_app
from registry.tasks.heartbeats import DEFAULT_BEAT_SECONDS
from registry.tasks.services import DEFAULT_LEASE_SECONDS

from . import heartbeat
from .runner import run_scheduled, work_tasks
from .schedules import active_schedules

log = logging.getLogger("jobs")


class _Stop(Exception):
    """Raised in the main thread by SIGTERM or SIGINT to leave the scheduler's loop."""


def main() -> int:
    """Run until signalled; return the exit status."""
    app = create_app()  # also imports the task handler modules
    # Every APScheduler run would otherwise log two lines; failures are logged by the runner.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    owner = f"{socket.gethostname()[:64]}:{os.getpid()}:{secrets.token_hex(4)}"
    lease_seconds = float(os.environ.get("REGISTRY_TASK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    poll_seconds = float(os.environ.get("REGISTRY_TASK_POLL_SECONDS", 1))
    beat_seconds = float(os.environ.get("REGISTRY_JOBS_HEARTBEAT_SECONDS", DEFAULT_BEAT_SECONDS))
    schedules = active_schedules()

    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    # Not a Schedule: every process beats for itself, where a schedule runs once per slot across processes.
    # The first beat at once, so a process that just started is seen alive before its first interval.
    scheduler.add_job(heartbeat.beat, IntervalTrigger(seconds=beat_seconds), next_run_time=datetime.now(UTC),
                      args=(app, owner, {s.name: s.seconds for s in schedules}), id="jobs.heartbeat",
                      name="jobs.heartbeat", max_instances=1, coalesce=True)
    for schedule in schedules:
        scheduler.add_job(
            run_scheduled,
            IntervalTrigger(seconds=schedule.seconds),
            args=(app, schedule, owner),
            id=schedule.name,
            name=schedule.name,
            max_instances=1,
            coalesce=True,
        )
    stop = threading.Event()
    # A thread of its own rather than an interval job: a long task would make
    # APScheduler log a skipped tick every second, and a backlog drains without pauses.
    worker = threading.Thread(
        target=work_tasks,
        args=(app, owner, stop),
        kwargs={"lease_seconds": lease_seconds, "poll_seconds": poll_seconds},
        name="task-worker",
    )

    def on_signal(_signum, _frame):
        if not stop.is_set():
            stop.set()
            raise _Stop()

    log.info(
        "jobs process %s starting: %s; task lease %gs, poll %gs",
        owner,
        ", ".join(f"{s.name} every {s.seconds}s" for s in schedules),
        lease_seconds,
        poll_seconds,
    )
    try:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        worker.start()
        scheduler.start()
    except _Stop:
        log.info("jobs process %s stopping", owner)
    finally:
        # A running task stops after its next committed batch and goes back to the queue.
        stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=True)
        if worker.is_alive():
            worker.join()
        heartbeat.stopped(app, owner)
    log.info("jobs process %s stopped", owner)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
