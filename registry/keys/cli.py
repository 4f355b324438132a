"""`flask --app wsgi keys …`: create missing keys, rotate one purpose's key, list the keys, export them under a
passphrase and import them back."""
from __future__ import annotations

import os

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
    """Write the blind indexes rows lack (the names of workers registered before the name index existed, the
    recipients of outbox messages stored before theirs)."""
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


def _passphrase(passphrase_file, *, confirm: bool) -> str:
    """From `--passphrase-file` (its first line), else REGISTRY_KEYS_PASSPHRASE, else asked without echo: never an
    argument, which the shell's history and the process list would show."""
    if passphrase_file is not None:
        return passphrase_file.readline().rstrip("\r\n")
    if os.environ.get("REGISTRY_KEYS_PASSPHRASE"):
        return os.environ["REGISTRY_KEYS_PASSPHRASE"]
    return click.prompt("passphrase / 口令", hide_input=True, confirmation_prompt=confirm, err=True)


@keys_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--passphrase-file", type=click.File("r"), help="Read the passphrase from this file's first line.")
def keys_export(file, passphrase_file):
    """Write every key to FILE, encrypted under a passphrase (scrypt and AES-256-GCM); keep it apart from backups."""
    from .transfer import TransferError, export_keys

    try:
        data = export_keys(keyring(), _passphrase(passphrase_file, confirm=True))
    except TransferError as exc:
        raise click.ClickException(f"{exc.code}: {exc}") from None
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    click.echo(f"exported the keys of {len(PURPOSES)} purposes to {file} / 已导出密钥", err=True)


@keys_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--passphrase-file", type=click.File("r"), help="Read the passphrase from this file's first line.")
@click.option("--replace", is_flag=True, help="Replace key files that hold other keys (kept beside, renamed).")
def keys_import(file, passphrase_file, replace):
    """Read the keys of an export FILE into REGISTRY_KEYS_DIR (nothing is written if anything is wrong)."""
    from .transfer import TransferError, import_keys

    try:
        done = import_keys(keyring(), file.read(), _passphrase(passphrase_file, confirm=False), replace=replace)
    except TransferError as exc:
        raise click.ClickException(f"{exc.code}: {exc}") from None
    click.echo(f"imported {', '.join(done.written) or 'nothing'}; already there: {', '.join(done.unchanged) or 'none'}"
               f" / 已导入密钥", err=True)
    for path in done.replaced:
        click.echo(f"kept the replaced file as {path}", err=True)


def register_cli(app: Flask) -> None:
    """Add the `keys` command group to the app."""
    app.cli.add_command(keys_cli)
