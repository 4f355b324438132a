"""`flask --app wsgi bulletins …`: the public disclosure bulletins' commands.

`bulletins generate --period 2026-11` (or `2026-W48`) makes an ended period's next version here and now, with a
progress bar, as the hourly schedule's task would (`--queue` leaves it to the jobs process instead).

`bulletins verify FILE…` tells, for each file, whether it is a file Jiaxin published: its SHA-256 must be a stored
bulletin file's, and that bulletin's stored manifest must open under one of the key ring's `bulletin` keys and list
the file with that SHA-256. A file of a withdrawn version is genuine (it was published; the archive keeps it) and
is said to be withdrawn. Exit status 0 when every file is genuine, 1 otherwise.

For checking without the database (anyone, with the published keys), see scripts/check_bulletin.py.
"""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..keys import keyring
from . import archive
from .models import WITHDRAWN

bulletins_cli = AppGroup("bulletins", help="Public disclosure bulletins (公示公告).")

# A file is hashed in chunks, never held: any size is fine, this only bounds a mistaken argument (a disk image).
MAX_FILE_BYTES = 2**40


def _describe(match: archive.Match) -> str:
    b = match.bulletin
    text = f"{match.file.name}, bulletin {b.period_key} v{b.version} ({b.ref})"
    if b.state == WITHDRAWN:
        return f"{text}, WITHDRAWN / 已撤回: {b.withdrawn_reason}"
    return f"{text}, current / 现行"


@bulletins_cli.command("verify")
@click.argument("paths", metavar="FILE…", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True))
def bulletins_verify(paths):
    """Say whether each FILE is a file Jiaxin published (by SHA-256 and the signed manifest); exit 1 if any is not."""
    ring, origin = keyring(), current_app.config["LOG_ORIGIN"]
    all_genuine = True
    for path in paths:
        with open(path, "rb") as fh:
            hashed = archive.sha256_of(fh, MAX_FILE_BYTES)
        if hashed is None:
            all_genuine = False
            click.echo(f"NOT genuine / 不是真实文件: {path}: larger than any bulletin file")
            continue
        digest = hashed[0]
        matches = archive.find(ring, origin, digest)
        signed = [m for m in matches if m.signed]
        if signed:
            for m in signed:
                click.echo(f"genuine / 真实: {path}: {_describe(m)}")
        elif matches:
            all_genuine = False
            for m in matches:
                click.echo(f"NOT genuine / 不是真实文件: {path}: stored as {_describe(m)}, but that bulletin's "
                           "manifest does not verify with the bulletin keys (run `flask log verify`)")
        else:
            all_genuine = False
            click.echo(f"NOT genuine / 不是真实文件: {path}: not a file Jiaxin published / 不是家信发布的文件 "
                       f"(SHA-256 {digest})")
    sys.exit(0 if all_genuine else 1)


@bulletins_cli.command("generate")
@click.option("--period", required=True, help="An ended month (2026-11) or ISO week (2026-W48).")
@click.option("--queue", is_flag=True, help="Leave the generation to the jobs process instead of running it here.")
def bulletins_generate(period, queue):
    """Make and publish PERIOD's bulletin (its next version, if its current one was withdrawn)."""
    from ..cli_util import fail
    from ..errors import ApiError
    from ..extensions import db
    from ..log.services import SYSTEM_ACTOR
    from ..tasks.progress import run_here
    from . import generate

    try:
        task = generate.queue(generate.period_of(period), actor_ref=SYSTEM_ACTOR)
    except ApiError as exc:
        fail(exc)
    db.session.commit()
    if queue:
        click.echo(f"{period}: queued as task {task.id}; follow it with `flask --app wsgi tasks show {task.id}`",
                   err=True)
        return
    view = run_here(current_app._get_current_object(), task.id, f"bulletin {period}")
    published = (view["result"] or {}).get("published")
    if view["state"] != "done":
        click.echo(f"{period}: {view['state']}: {view.get('error')}", err=True)
        raise SystemExit(1)
    if published is None:
        click.echo(f"{period}: another process published it first; nothing was published twice", err=True)
        return
    click.echo(f"{period}: published version {published['version']} ({published['ref']}), log entry "
               f"{published['log_index']}")


def register_cli(app: Flask) -> None:
    """Add the `bulletins` command group to the app."""
    app.cli.add_command(bulletins_cli)
