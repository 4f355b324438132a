"""`flask tasks …`: list, show and retry queued long tasks."""
from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from ..errors import ApiError
from ..extensions import db
from . import services
from .models import TASK_STATES

tasks_cli = AppGroup("tasks", help="List, show and retry the queued long tasks.")


@tasks_cli.command("list")
@click.option("--state", type=click.Choice(TASK_STATES), help="Only tasks in this state.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
def list_command(state, limit):
    """List the newest tasks: id, kind, state, progress, created."""
    found = services.list_tasks(state=state, limit=limit)
    if not found:
        # Said on stderr: an empty queue should not look like a command that did nothing.
        what = f"no {state} tasks / 没有状态为 {state} 的任务" if state else "no tasks / 没有任务"
        click.echo(what, err=True)
    for task in found:
        view = services.progress_view(task)
        total = "?" if view["progress"]["total"] is None else view["progress"]["total"]
        click.echo(f"{task.id}\t{task.kind}\t{task.state}\t{task.progress_done}/{total}\t{view['created_dt']}")


@tasks_cli.command("show")
@click.argument("task_id", type=int)
def show_command(task_id):
    """Print one task's progress, result and error as JSON."""
    task = services.get(task_id)
    if task is None:
        raise click.ClickException(f"no task {task_id}")
    view = services.progress_view(task) | {"attempts": task.attempts}
    click.echo(json.dumps(view, ensure_ascii=False, indent=2))


@tasks_cli.command("retry")
@click.argument("task_id", type=int)
def retry_command(task_id):
    """Put a failed task back in the queue."""
    try:
        services.retry(task_id)
    except ApiError as exc:
        raise click.ClickException(exc.en) from None
    db.session.commit()
    click.echo(f"task {task_id} queued again", err=True)


def register_cli(app: Flask) -> None:
    """Add the `tasks` command group to the app."""
    app.cli.add_command(tasks_cli)
