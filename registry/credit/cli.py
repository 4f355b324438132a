"""`flask --app wsgi credit …`: rebuild the kept scores, adopt a rules version, show the rules in force.

- `credit rebuild`: compute every company's and worker's score again. The scores are a cache of the logged records
  and the rules (`credit_scores`, unlogged): the rebuild fills it the first time (after migration 0030 the public
  views show `score: null` until it has run), and returns it to what the records give after any doubt. It commits
  after each batch, so a stopped rebuild is simply run again.
- `credit adopt vN --reason …`: the operator's way to adopt a rules version (one `credit_rules:adopt` entry, actor
  "cli"), then compute every score with it here with a progress bar (`--queue`: leave that to the jobs process).
- `credit rules`: the version in force, the versions in the rules folder and the adoptions.
"""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..extensions import db
from . import adoption

credit_cli = AppGroup("credit", help="Credit scores (信用积分): the kept scores of companies and workers.")


@credit_cli.command("rebuild")
@click.option("--batch", type=click.IntRange(1, 10_000), default=2000, show_default=True,
              help="Subjects computed and committed at a time.")
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="Processes computing batches side by side [default: REGISTRY_CREDIT_REBUILD_PROCESSES, else 2 on "
                   "PostgreSQL and 1 on SQLite].")
def credit_rebuild(batch, processes):
    """Compute every company's and worker's score for today again, in committed batches."""
    from .. import clock
    from . import services

    def progress(kind: str, done: int, total: int) -> None:
        click.echo(f"\r{kind}: {done}/{total}", nl=False, err=True)
        if done >= total:
            click.echo(err=True)

    today = clock.today()
    done = services.rebuild(today, batch=batch, progress=progress, processes=processes or services.rebuild_processes())
    click.echo(f"rebuilt the scores of {done.companies} companies and {done.workers} workers for "
               f"{today.isoformat()} (rules {adoption.adopted_version()}) / 已重算 {done.companies} 家企业、"
               f"{done.workers} 名从业人员的信用积分")
    db.session.rollback()


@credit_cli.command("adopt")
@click.argument("version")
@click.option("--reason", required=True, help="Why: the decision it follows (issuer and number). Public, logged.")
@click.option("--queue", is_flag=True, help="Leave the recompute to the jobs process instead of running it here.")
def credit_adopt(version, reason, queue):
    """Adopt rules VERSION (v2, …) for every score, and compute every score again with it (resumable)."""
    from ..cli_util import fail
    from ..errors import ApiError
    from ..keys import keyring
    from ..tasks.progress import run_here

    try:
        adopted = adoption.adopt(keyring(), actor=adoption.CLI_ACTOR, version=version, reason=reason)
    except ApiError as exc:
        db.session.rollback()
        fail(exc)
    previous, seq, task_id = adopted.adoption.previous_version, adopted.recorded.seq, adopted.task_id
    db.session.commit()
    click.echo(f"adopted credit rules {version} (was {previous}), log entry {seq} / 已采用信用积分规则 {version}",
               err=True)
    if queue:
        click.echo(f"the recompute is queued as task {task_id}; follow it with `flask --app wsgi tasks show "
                   f"{task_id}`", err=True)
        return
    view = run_here(current_app._get_current_object(), task_id, f"scores under {version}")
    result = view["result"] or {}
    click.echo(f"recompute {view['state']}: {result.get('companies', 0)} companies and {result.get('workers', 0)} "
               f"workers / 已重算 {result.get('companies', 0)} 家企业、{result.get('workers', 0)} 名从业人员",
               err=True)
    if view["state"] != "done":
        raise SystemExit(1)


@credit_cli.command("rules")
def credit_rules_show():
    """Show the rules version in force, the versions in the rules folder and the adoptions."""
    view = adoption.status_view()
    source = "adopted " + view["in_force"]["adopted_dt"].isoformat() if view["in_force"]["by_adoption"] \
        else "the version in code: none adopted"
    click.echo(f"in force: {view['in_force']['version']} ({source})")
    for v in view["versions"]:
        mark = " (in force)" if v["in_force"] else ""
        click.echo(f"  {v['version']}{mark}" + ("" if v["valid"] else f"  INVALID {v['problem']}"))
    for a in view["adoptions"]:
        click.echo(f"{a['adopted_dt'].isoformat()}\t{a['previous_version']} -> {a['version']}\t{a['reason']}")
    if view["recompute"]:
        r = view["recompute"]
        click.echo(f"recompute: task {r['task_id']} {r['state']} {r['progress']['done']}/{r['progress']['total']}")
    db.session.rollback()


def register_cli(app: Flask) -> None:
    """Add the `credit` command group to the app."""
    app.cli.add_command(credit_cli)
