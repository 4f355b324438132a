"""`flask --app wsgi backup create DIR` and `backup restore DIR`: see services.py and docs/operations.md."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

backup_cli = AppGroup("backup", help="Back the database up while it serves, and restore a backup (keys apart).")


def _refused(exc) -> click.ClickException:
    return click.ClickException(f"{exc.code}: {exc}")


@backup_cli.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_create(directory):
    """Copy the database into DIRECTORY (new or empty) with a manifest of row counts and the latest checkpoint."""
    from ..extensions import db
    from .services import BackupError, create

    try:
        manifest = create(db.engine, directory)
    except BackupError as exc:
        raise _refused(exc) from None
    checkpoint = manifest["checkpoint"]
    click.echo(f"backed up {sum(manifest['tables'].values()):,} rows of {len(manifest['tables'])} tables to "
               f"{directory / manifest['file']['name']} ({manifest['file']['bytes']:,} bytes; checkpoint "
               f"{checkpoint['size'] if checkpoint else 'none'}) / 已备份。密钥不在备份中：请用 keys export 另行保管")


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, exists=True, path_type=Path))
def backup_restore(directory):
    """Restore the backup in DIRECTORY into the configured (empty) database, then count, compare and verify it."""
    from ..extensions import db
    from ..keys import keyring
    from .services import BackupError, restore

    try:
        done = restore(db.engine, directory, keyring(), current_app.config["LOG_ORIGIN"])
    except BackupError as exc:
        raise _refused(exc) from None
    for table, (wanted, got) in done.mismatched.items():
        click.echo(f"FAIL: {table}: {wanted} rows in the manifest, {got} restored", err=True)
    if not done.checkpoint_ok:
        click.echo("FAIL: the latest checkpoint differs from the manifest's", err=True)
    for line in done.failures:
        click.echo(f"FAIL: log verify: {line}", err=True)
    if not done.ok:
        click.echo("restore FAILED: the restored database does not match its backup or does not verify / 恢复失败",
                   err=True)
        raise SystemExit(1)
    checkpoint = done.manifest["checkpoint"]
    click.echo(f"restored {sum(done.counts.values()):,} rows of {len(done.counts)} tables; row counts and the "
               f"checkpoint ({checkpoint['size'] if checkpoint else 'none'}) match; log verified / "
               "恢复完成，日志已验证")


def register_cli(app: Flask) -> None:
    """Add the `backup` command group to the app."""
    app.cli.add_command(backup_cli)
