"""Run one queued task in this process with a progress bar (for commands)."""
from __future__ import annotations

import os
import socket
import sys
import threading

import click
from flask import Flask

from ..database import read_only_transactions
from ..extensions import db
from . import services
from .models import Task


def run_here(app: Flask, task_id: int, label: str) -> dict:
    """Claim task `task_id`, run it here while a bar follows its committed progress; return its view."""
    owner = f"{socket.gethostname()}:{os.getpid()}:cli"
    task = services.claim(task_id, owner, services.DEFAULT_LEASE_SECONDS)
    if task is None:
        raise click.ClickException(f"task {task_id} is not waiting to run (another process may hold it)")
    finished = threading.Event()

    def follow(bar) -> None:
        # Its own app context and session: the task commits in the main thread. It only reads, so its
        # transactions begin DEFERRED: an IMMEDIATE one would take SQLite's write lock every 0.3 s, and a task
        # whose own transaction had read first could not then write (SQLite answers it "locked" at once).
        shown = 0
        read_only_transactions()
        with app.app_context():
            while not finished.wait(0.3):
                t = db.session.get(Task, task_id)
                db.session.rollback()
                if t is None:
                    continue
                if t.progress_total and bar.length != t.progress_total:
                    bar.length = t.progress_total
                if t.progress_done > shown:
                    bar.update(t.progress_done - shown)
                    shown = t.progress_done
            db.session.remove()

    with click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True) as bar:
        watcher = threading.Thread(target=follow, args=(bar,), daemon=True)
        watcher.start()
        try:
            services.run_task(task, owner)
        finally:
            finished.set()
            watcher.join(5)
    db.session.rollback()
    return services.progress_view(db.session.get(Task, task_id))
