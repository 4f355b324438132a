"""`flask --app wsgi log …`: verify the log (locally or a remote registry), sign a checkpoint now, list alarms.

Exit codes: 0 everything verified, 1 failures found (each named on stderr).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

log_cli = AppGroup("log", help="The transparency log: verify it, sign a checkpoint, list alarms.")


def _ring():
    from ..keys import keyring

    return keyring()


def _print_report(report, quiet: bool = False) -> None:
    if not quiet:
        for line in report.checked:
            click.echo(f"ok: {line}", err=True)
    for line in report.failures:
        click.echo(f"FAIL: {line}", err=True)


@log_cli.command("verify")
@click.option("--remote", metavar="URL", help="Verify another registry over its public endpoints only.")
@click.option("--state", "--state-file", "state", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("jiaxin-log-state.json"), show_default=True,
              help="With --remote: the file that keeps the checkpoints seen (written atomically).")
@click.option("--all", "all_entries", is_flag=True,
              help="With --remote: every entry and every listed checkpoint, not a sample.")
@click.option("--sample", default=16, show_default=True, help="With --remote: how many random entries.")
@click.option("--record", "record_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --remote: a downloaded states file (GET /api/v1/companies/{uscc}/states) to check.")
@click.option("--key", "keys", multiple=True, metavar="VKEY",
              help="With --remote: trust these verifier keys instead of the ones the server publishes.")
def verify(remote, state, all_entries, sample, record_file, keys):
    """Check signatures, consistency, every leaf and root, and replay the live tables (exit 1 on failure)."""
    from .verify import records_from, verify_local, verify_remote

    if remote:
        records = None
        if record_file:
            try:
                records = records_from(json.loads(record_file.read_text()))
            except ValueError as exc:
                raise click.ClickException(f"{record_file}: {exc}") from None
        report = verify_remote(remote, state, all_entries=all_entries, sample=sample, records=records,
                               pinned_keys=list(keys) or None)
        _print_report(report)
        if report.alarm:
            click.echo(f"ALARM: {remote} served a log inconsistent with what {state} has seen. "
                       f"Keep {state} as evidence and report it.", err=True)
    else:
        if record_file or keys:
            raise click.UsageError("--record and --key need --remote")
        from ..extensions import db
        from .watch import record_outcome

        report = verify_local(_ring(), current_app.config["LOG_ORIGIN"])
        _print_report(report)
        # The same alarms as the scheduled verification: one per record named, resolved when found no more.
        record_outcome(report)
        db.session.commit()
    if report.ok:
        click.echo("log verified: no problems found")
        sys.exit(0)
    click.echo(f"log verification FAILED: {len(report.failures)} problems", err=True)
    sys.exit(1)


@log_cli.command("checkpoint")
def checkpoint():
    """Sign a checkpoint now if the log has grown (re-hashing and checking what is new first)."""
    from sqlalchemy.exc import IntegrityError

    from ..extensions import db
    from .checkpoints import sign_if_grown

    try:
        outcome = sign_if_grown(_ring(), current_app.config["LOG_ORIGIN"])
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException("another signer signed this size at the same moment; run again") from None
    if outcome.status == "signed":
        click.echo(outcome.checkpoint.note, nl=False)
    elif outcome.status == "unchanged":
        click.echo(f"log unchanged since the last checkpoint (size {outcome.size}): nothing signed", err=True)
    else:
        for p in outcome.problems:
            click.echo(f"FAIL: {p}", err=True)
        raise click.ClickException(f"checkpoint of size {outcome.size} refused; alarm {outcome.alarm_id} raised")


@log_cli.command("export-tiles")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_tiles(directory):
    """Write the log, as of its latest checkpoint, into DIRECTORY as C2SP tlog-tiles static files for a mirror."""
    from .mirror import export

    try:
        done = export(directory, _ring(), current_app.config["LOG_ORIGIN"])
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tiles of the checkpoint of size {done.size} in {directory}: {done.written} files written, "
               f"{done.kept} full ones already there", err=True)


@log_cli.command("alarms")
@click.option("--all", "show_all", is_flag=True, help="Acknowledged ones too.")
@click.option("--ack", "ack", type=int, multiple=True, metavar="ID", help="Acknowledge an alarm.")
def alarms_cmd(show_all, ack):
    """List the log's alarms (unacknowledged ones unless --all); exit 1 if any is open."""
    from ..extensions import db
    from . import alarms

    for alarm_id in ack:
        if not alarms.acknowledge(alarm_id):
            raise click.ClickException(f"no alarm {alarm_id}")
    if ack:
        db.session.commit()
    rows = alarms.recent_alarms(1000) if show_all else alarms.open_alarms(1000)
    for a in rows:
        state = "acknowledged" if a.acknowledged else "OPEN"
        repeats = (a.details or {}).get("repeats", 1)
        details = a.details or {}
        if details.get("resolved"):
            state += f" (resolved {details['resolved']})"
        click.echo(f"{a.id}\t{a.created_dt:%Y-%m-%d %H:%M:%S}Z\t{state}\t{a.kind}\t×{repeats}\t{a.message}")
        # Bilingual alarms (the scheduled verification's) say it in Chinese too, and what to do.
        for line in (details.get("zh"), details.get("todo_zh"), details.get("todo_en")):
            if line:
                click.echo(f"\t{line}")
    if not rows:
        click.echo("no alarms" if not show_all else "no alarms at all", err=True)
    sys.exit(1 if any(not a.acknowledged for a in rows) else 0)


def register_cli(app: Flask) -> None:
    """Add the `log` command group to the app."""
    app.cli.add_command(log_cli)
