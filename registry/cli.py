"""The app's command line: the `demo` command, and the one place where every domain's commands are added.

`demo` lives here rather than in a domain because the demo data spans them all (agencies, accounts,
companies); each domain keeps its own commands in its `cli` module.
"""
from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from .keys import keyring


@click.command("demo")
@click.option("--json", "as_json", is_flag=True,
              help="Print the demo accounts and companies; each account gets a fresh token, "
                   "its earlier demo tokens revoked.")
@click.option("--if-empty", is_flag=True, help="Seed only when the database holds no agency or company yet.")
@click.option("--logins", is_flag=True, help="Print the demo accounts as JSON, without issuing tokens.")
@with_appcontext
def demo(as_json, if_empty, logins):
    """Make sure the demo data exists (and print it with --json)."""
    from .demo import database_is_empty, demo_json, ensure_demo

    ring = keyring()
    ring.ensure_all()
    if if_empty and not database_is_empty():
        click.echo("database not empty: demo data not seeded", err=True)
    else:
        made = ensure_demo(ring)
        click.echo("demo data " + ("created" if made else "already present"), err=True)
    if as_json or logins:
        sys.stdout.write(json.dumps(demo_json(ring, with_tokens=as_json), ensure_ascii=False) + "\n")


def register(app: Flask) -> None:
    """Add every command: `demo` and each domain's groups (called once, by the app factory)."""
    # Imported here: the domains' command modules load their models, which the factory has set up by now.
    from .accounts.cli import register_cli as accounts
    from .backup.cli import register_cli as backup
    from .bulletins.cli import register_cli as bulletins
    from .calendar.cli import register_cli as calendar
    from .credit.cli import register_cli as credit
    from .imports.cli import register_cli as staff_import
    from .keys.cli import register_cli as keys
    from .log.cli import register_cli as log
    from .move.cli import register_cli as move
    from .notify.cli import register_cli as outbox
    from .tasks.cli import register_cli as tasks

    app.cli.add_command(demo)
    for register_domain_cli in (accounts, keys, tasks, staff_import, outbox, log, calendar, bulletins,
                                credit, backup, move):
        register_domain_cli(app)
