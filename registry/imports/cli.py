"""`flask workers import USCC FILE`: import a staff file from the command line.

The file is stored and queued exactly as an upload is (`services.start_import`),
and the task is claimed in the same commit, so no jobs process can take it:
this command runs it here, with a bar following the committed batches, then
prints what was stored. Rows with errors are written to `<FILE>.report.csv`.

Exit status: 0 every row of the file stored; 1 the import ended here with
rows not stored — rows had errors (the report says which; with --keep-good the
good rows are stored), the file as a whole was refused, or the task failed —
and always when nothing was stored; 2 nothing was queued, or the task did not
finish here (it is then left to the jobs process).
"""
from __future__ import annotations

import csv
import io
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..accounts.models import Account
from ..accounts.roles import Role
from ..database import read_only_transactions, reset_transactions
from ..errors import ApiError
from ..extensions import db
from ..tasks import services as tasks
from ..tasks.models import Task
from .models import ImportFile
from .services import MAX_BYTES, start_import

# Users type `flask workers import`, as the README documents; the Python name says what the group does.
staff_import_cli = AppGroup("workers", help="Company staff: bulk imports.")

# Validation of a large file runs before the first commit renews the lease.
LEASE_SECONDS = 600
POLL_SECONDS = 0.3


class NotDone(click.ClickException):
    exit_code = 2


def _refused(exc: ApiError) -> NotDone:
    fields = "; ".join(f"{k}: {v['en']}" for k, v in exc.fields.items())
    return NotDone(f"{exc.en} {fields}".strip() + f" [{exc.code}]")


def _importer(company, login: str | None) -> Account:
    """The named account, or the company's first company admin."""
    if login:
        user = db.session.execute(select(Account).where(Account.login == login)).scalar_one_or_none()
        if user is None:
            raise NotDone(f"no account {login!r}")
        if user.disabled:
            raise NotDone(f"the account {login!r} is disabled")
        return user
    user = db.session.execute(
        select(Account).where(Account.company_id == company.id, Account.role == Role.COMPANY_ADMIN,
                              Account.disabled.is_(False)).order_by(Account.id).limit(1)).scalar_one_or_none()
    if user is None:
        raise NotDone("the company has no active company admin; name a user with --as")
    return user


@staff_import_cli.command("import")
@click.argument("uscc")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--keep-good", is_flag=True,
              help="Store the valid rows of a file with errors (default: a file with any error stores nothing).")
@click.option("--as", "login", metavar="LOGIN", help="The company user importing (default: the first company admin).")
def import_command(uscc, path: Path, keep_good, login):
    """Import the staff in FILE (CSV or .xlsx) for the company USCC, here and now."""
    from ..companies.services import get_company
    from ..keys import keyring

    ring = keyring()
    try:
        company = get_company(uscc)
        user = _importer(company, login)
        with path.open("rb") as fh:
            content = fh.read(MAX_BYTES + 1)
        owner = f"{socket.gethostname()[:64]}:{os.getpid()}:cli-import"
        task = start_import(ring, account=user, company=company, filename=path.name, content=content,
                            keep_good=keep_good)
        task_id = task.id
        # Claimed before the first commit: the queued task is never visible to a jobs process.
        task = tasks.claim(task_id, owner, LEASE_SECONDS)
    except ApiError as exc:
        db.session.rollback()
        raise _refused(exc) from None
    if task is None:  # pragma: no cover - the row was inserted by this very transaction
        db.session.rollback()
        raise NotDone("the import could not be claimed")
    click.echo(f"{path.name}: {len(content)} bytes stored as import task {task_id}; checking every row…", err=True)

    state = _run_with_bar(current_app._get_current_object(), task, owner)
    db.session.rollback()
    task = db.session.get(Task, task_id)
    f = db.session.execute(select(ImportFile).where(ImportFile.task_id == task_id)).scalar_one()
    view = tasks.progress_view(task)
    if state != "done":
        error = view["error"] or {}
        follow = f"follow it with `flask --app wsgi tasks show {task_id}`"
        if state == "lost":
            raise NotDone(f"another process took import task {task_id} over; {follow}.")
        reason = f" ({error['code']}: {error['message']['en']})" if error else ""
        if state == "queued":
            where = f" after {task.progress_done} of {task.progress_total} rows" if task.progress_total else ""
            raise NotDone(f"import task {task_id} stopped{where}{reason} and is queued again: "
                          f"the jobs process finishes it; {follow}.")
        # Failed for good: it ended here, so it is a finished import that did not store the file (exit 1).
        stored = (view["result"] or {}).get("stored", 0)
        kept = f"the {stored} rows its committed batches stored stay stored" if stored else "nothing was stored"
        click.echo(f"import task {task_id} failed{reason}; {kept}.", err=True)
        sys.exit(1)
    result = view["result"] or {}
    rows, stored, errors = result.get("rows", 0), result.get("stored", 0), result.get("errors", 0)
    pending = result.get("pending", 0)
    click.echo(f"rows: {rows}, stored: {stored}, errors: {errors}"
               + (f", awaiting the worker's confirmation: {pending}" if pending else ""))
    if errors or pending:
        report = path.with_name(path.name + ".report.csv")
        report.write_bytes(f.report_csv or b"")
    if rows and stored == rows:
        if pending:
            click.echo(f"report (rows awaiting the worker's confirmation): {report}")
        return
    # Anything less than the whole file exits 1, with the reason: a script must not take it for success.
    if not rows:
        problems = _file_problems(f.report_csv) or ["it holds no staff rows"]
        click.echo("nothing stored: the file as a whole was refused: " + "; ".join(problems), err=True)
    elif stored:
        click.echo(f"{stored} of {rows} rows stored; the rows with errors were not.", err=True)
    elif keep_good:
        click.echo(f"nothing stored: none of the {rows} rows is valid.", err=True)
    else:
        click.echo(f"nothing stored: a file with any error stores nothing, and {errors} problems were found; "
                   "correct them and import the file again, or store the valid rows with --keep-good.", err=True)
    if errors:
        click.echo(f"report: {report}", err=True)
    sys.exit(1)


def _file_problems(report: bytes | None) -> list[str]:
    """The English reasons of the problems with the file as a whole (report lines naming no row)."""
    if not report:
        return []
    lines = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    return [line[3] for line in lines[1:] if len(line) == 4 and not line[0]]


def _run_with_bar(app: Flask, task: Task, owner: str) -> str:
    """Run the claimed task here while a bar follows its committed progress; return its end state.

    A first Ctrl-C stops after the next committed batch and gives the task back to the queue.
    """
    task_id = task.id
    finished = threading.Event()
    stop = threading.Event()

    def follow(bar) -> None:
        # Its own app context, session and (on SQLite) read-only transactions: the task commits in the main thread.
        shown = 0
        with app.app_context():
            token = read_only_transactions()
            try:
                while True:
                    last = finished.wait(POLL_SECONDS)  # one more look once the task has ended
                    row = db.session.execute(select(Task.progress_done, Task.progress_total)
                                             .where(Task.id == task_id)).one_or_none()
                    db.session.rollback()
                    if row is not None and row.progress_total:
                        if bar.length != row.progress_total:
                            bar.length = row.progress_total
                            bar.label = "storing"
                        if row.progress_done > shown:
                            bar.update(row.progress_done - shown)
                            shown = row.progress_done
                    if last:
                        break
            finally:
                reset_transactions(token)
                db.session.remove()

    def on_sigint(_signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        click.echo("\nstopping after the current batch (Ctrl-C again to abort at once)…", err=True)

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
    # The task's own log lines would break the bar; this command reports its end itself.
    task_log = logging.getLogger(tasks.__name__)
    level = task_log.level
    task_log.setLevel(logging.WARNING)
    try:
        with click.progressbar(length=1, label="checking", file=sys.stderr, show_pos=True, show_percent=True) as bar:
            watcher = threading.Thread(target=follow, args=(bar,), daemon=True, name="import-progress")
            watcher.start()
            try:
                return tasks.run_task(task, owner, lease_seconds=LEASE_SECONDS, stop_requested=stop.is_set)
            finally:
                finished.set()
                watcher.join(5)
    finally:
        task_log.setLevel(level)
        if in_main:
            signal.signal(signal.SIGINT, previous)


def register_cli(app: Flask) -> None:
    """Add the staff import group (`flask workers import`) to the app."""
    app.cli.add_command(staff_import_cli)
