"""`flask --app wsgi credit rebuild`: compute every company's and worker's credit score again.

The scores are a cache of the logged records and the rules (`credit_scores`, unlogged): the rebuild fills it the
first time (after migration 0030 the public views show `score: null` until it has run), and returns it to what
the records give after any doubt. It commits after each batch, so a stopped rebuild is simply run again.
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

credit_cli = AppGroup("credit", help="Credit scores (信用积分): the kept scores of companies and workers.")


@credit_cli.command("rebuild")
@click.option("--batch", type=click.IntRange(1, 10_000), default=500, show_default=True,
              help="Subjects computed and committed at a time.")
def credit_rebuild(batch):
    """Compute every company's and worker's score for today again, in committed batches."""
    from .. import clock
    from . import rules, services

    def progress(kind: str, done: int, total: int) -> None:
        click.echo(f"\r{kind}: {done}/{total}", nl=False, err=True)
        if done >= total:
            click.echo(err=True)

    today = clock.today()
    done = services.rebuild(today, batch=batch, progress=progress)
    click.echo(f"rebuilt the scores of {done.companies} companies and {done.workers} workers for "
               f"{today.isoformat()} (rules {rules.CURRENT_VERSION}) / 已重算 {done.companies} 家企业、"
               f"{done.workers} 名从业人员的信用积分")


def register_cli(app: Flask) -> None:
    """Add the `credit` command group to the app."""
    app.cli.add_command(credit_cli)
