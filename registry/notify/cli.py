"""`flask --app wsgi outbox list`: read the development outbox of the notification interface."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..keys import keyring
from .services import read_outbox

outbox_cli = AppGroup("outbox", help="The development outbox of the notification interface.")


@outbox_cli.command("list")
@click.option("--limit", default=20, show_default=True)
def outbox_list(limit):
    """Print the newest messages."""
    for m in read_outbox(keyring(), limit):
        click.echo(f"{m['created_dt']:%Y-%m-%d %H:%M:%S}\t{m['kind']}\t{m['recipient']}\t{m['text']}")


def register_cli(app: Flask) -> None:
    """Add the `outbox` command group to the app."""
    app.cli.add_command(outbox_cli)
