"""Task handlers and a scheduled job for the jobs tests.

The tests import it, and the `python -m jobs` subprocesses load it through
REGISTRY_TASK_MODULES=tests.support.jiaxin_sample_tasks (with the repository on PYTHONPATH).
"""
from __future__ import annotations

import os
import time

from registry.tasks.services import TaskContext, task_handler

# Stands in for personal data that an exception's text might quote.
SECRET = "张三 110101199003078888"


@task_handler("sample.count")
def count(ctx: TaskContext) -> None:
    """Process items 0..n-1 in batches, listing every processed item in the result."""
    n, size, pause = ctx.args["n"], ctx.args.get("batch", 1), ctx.args.get("sleep", 0)
    items = list((ctx.task.result or {}).get("items", []))
    for first in range(ctx.cursor or 0, n, size):
        time.sleep(pause)
        end = min(first + size, n)
        items.extend(range(first, end))
        ctx.commit_batch(end, n, end, result={"items": items})


@task_handler("sample.boom")
def boom(ctx: TaskContext) -> None:
    """Fail with a message that must never be stored or logged."""
    raise RuntimeError(f"could not process {SECRET}")


def record_slot(run) -> None:
    """Append this run's slot and owner to the file named by JIAXIN_TEST_MARKER_FILE."""
    fd = os.open(os.environ["JIAXIN_TEST_MARKER_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{run.slot} {run.owner}\n".encode())
    finally:
        os.close(fd)
    # Long enough that the other process often fires while this run holds the lock.
    time.sleep(0.3)
