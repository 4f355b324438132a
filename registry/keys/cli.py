"""`flask --app wsgi keys …`: create missing keys, rotate one purpose's key, list the keys."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..cli_util import fail
from ..errors import ApiError
from . import PURPOSES, keyring

keys_cli = AppGroup("keys", help="Manage the keys in REGISTRY_KEYS_DIR.")


@keys_cli.command("init")
def keys_init():
    """Create every missing key, then write the blind indexes rows lack (see `keys backfill`)."""
    from sqlalchemy import inspect

    from ..extensions import db

    made = keyring().ensure_all()
    click.echo(f"keys in {current_app.config['KEYS_DIR']}: created {', '.join(made) or 'none'}", err=True)
    if "workers" not in inspect(db.engine).get_table_names():
        click.echo("no database yet: run `flask --app wsgi db upgrade`, then `keys init` again", err=True)
        return
    _backfill(queue=False)


@keys_cli.command("backfill")
@click.option("--queue", is_flag=True, help="Leave the work to the jobs process instead of running it here.")
def keys_backfill(queue):
    """Write the blind indexes rows lack (the names of workers registered before the name index existed)."""
    _backfill(queue)


def _backfill(queue: bool) -> None:
    from ..extensions import db
    from ..log.services import SYSTEM_ACTOR
    from ..tasks.progress import run_here
    from .rotation import start_backfill

    tasks = [(t.id, t.args["purpose"]) for t in start_backfill(keyring(), actor=SYSTEM_ACTOR)]
    db.session.commit()
    if not tasks:
        click.echo("blind indexes: none missing", err=True)
    for task_id, purpose in tasks:
        if queue:
            click.echo(f"{purpose}: backfill queued as task {task_id}; follow it with "
                       f"`flask --app wsgi tasks show {task_id}`", err=True)
            continue
        view = run_here(current_app._get_current_object(), task_id, f"indexing {purpose}")
        result = view["result"] or {}
        click.echo(f"{purpose}: {view['state']}; wrote {result.get('moved', 0)} values", err=True)
        if view["state"] != "done" or result.get("left"):
            raise SystemExit(1)


@keys_cli.command("rotate")
@click.argument("purpose")
@click.option("--queue", is_flag=True, help="Leave the re-encryption to the jobs process instead of running it here.")
def keys_rotate(purpose, queue):
    """Start using a new key for PURPOSE and move every value to it (resumable)."""
    from ..extensions import db
    from ..log.services import SYSTEM_ACTOR
    from ..tasks.progress import run_here
    from .rotation import start_rotation

    try:
        key, task = start_rotation(keyring(), purpose, actor=SYSTEM_ACTOR)
    except ApiError as exc:
        fail(exc)
    task_id = task.id if task else None
    db.session.commit()
    click.echo(f"{purpose}: new current key {key.id}", err=True)
    if task_id is None:
        click.echo(f"{purpose}: earlier keys stay published to verify what they signed", err=True)
        return
    if queue:
        click.echo(f"queued as task {task_id}; follow it with `flask --app wsgi tasks show {task_id}`", err=True)
        return
    view = run_here(current_app._get_current_object(), task_id, f"re-keying {purpose}")
    result = view["result"] or {}
    click.echo(f"{purpose}: {view['state']}; moved {result.get('moved', 0)} values, "
               f"retired {', '.join(result.get('retired', [])) or 'none'}", err=True)
    if view["state"] != "done" or result.get("left"):
        raise SystemExit(1)


@keys_cli.command("list")
def keys_list():
    """List every purpose's keys (ids and states, never the keys)."""
    ring = keyring()
    for purpose in PURPOSES:
        for key in ring.keys(purpose, fresh=True):
            click.echo(f"{purpose}\t{key.id}\t{key.state}\t{key.created}")


def register_cli(app: Flask) -> None:
    """Add the `keys` command group to the app."""
    app.cli.add_command(keys_cli)
