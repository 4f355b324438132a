"""`flask --app wsgi db move --to postgresql+psycopg://…` (and `--abandon`): see services.py and docs/operations.md."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext


def _refused(exc) -> click.ClickException:
    return click.ClickException(f"{exc.code}: {exc}")


def _newest_migration() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_current_head()


@click.command("move")
@click.option("--to", "to", metavar="URL", help="The PostgreSQL database to move into: new and empty, or this "
              "move's own unfinished copy (run again to resume).")
@click.option("--batch-size", default=2000, show_default=True, type=click.IntRange(1, 100_000),
              help="Rows read and committed at once.")
@click.option("--pause", default=0.0, type=click.FloatRange(0, 60), help="Seconds to wait between batches, to "
              "spare a busy machine.")
@click.option("--abandon", is_flag=True, help="Give up an unfinished move: the source takes writes again (the "
              "target's partial copy is left for you to drop).")
@with_appcontext
def db_move(to, batch_size, pause, abandon):
    """Move the registry from its SQLite database into PostgreSQL, resumably, then count and verify the copy.

    While it runs, and after it succeeds, every process on the SQLite file answers writes with 503 registry_moving;
    point REGISTRY_DATABASE_URL at the target and restart them."""
    from ..extensions import db
    from . import marker as move_marker
    from . import services as move

    source = db.engine
    try:
        if abandon:
            if to:
                raise click.UsageError("--abandon takes no --to")
            gone = move.abandon(source)
            click.echo(f"move to {gone} abandoned: the database takes writes again; drop the target's partial copy "
                       "before moving again / 已放弃迁移，源数据库恢复写入" if gone
                       else "no move to abandon / 没有进行中的迁移")
            return
        if not to:
            raise click.UsageError("--to URL is required")
        url = move.target_url(to)
        revision = move.check_source(source, _newest_migration())
        found = move_marker.read(source)
        if found is not None and found.target != move.shown(url):
            raise move.MoveError("move_elsewhere", f"已有一次迁移到 {found.target}：请继续它，或先用 --abandon 放弃",
                                 f"A move to {found.target} stands: resume it, or give it up with --abandon first")
        target = move.target_engine(url)
        try:
            state = move.check_target(target, revision, found.move_id if found else None)
            _run(source, target, url, revision, found, state, batch_size=batch_size, pause=pause)
        finally:
            target.dispose()
    except move.MoveError as exc:
        raise _refused(exc) from None


def _run(source, target, url, revision, found, state, *, batch_size, pause):
    from ..keys import keyring
    from ..log.verify import verify_local
    from . import marker as move_marker
    from . import services as move

    started = time.monotonic()
    if found is None:
        move_id = move.set_marker(source, url)
        click.echo("registry marked as moving: writes now answer 503 registry_moving / 已标记为迁移中，暂停写入")
        # Every process reads the marker again within CHECK_SECONDS: after this, writes are turned away politely
        # rather than left waiting on the lock taken next.
        time.sleep(move_marker.CHECK_SECONDS + 0.5)
    else:
        move_id = found.move_id
        click.echo(f"resuming the move to {found.target} / 继续迁移")
    if state == "empty":
        click.echo(f"migrating the target to {revision} / 目标数据库迁移到 {revision}")
        with move.app_on(current_app.config, url):
            from flask_migrate import upgrade

            upgrade(revision=revision)
    with move.holding_still(source) as conn:
        if state == "resume":
            move.check_unchanged(conn, move.progress(target, move_id))
        else:
            move.begin_copy(conn, target, move_id)
        now = move.progress(target, move_id)
        with click.progressbar(length=now.total, label="copying rows / 复制", show_pos=True, show_percent=True,
                               file=click.get_text_stream("stderr")) as bar:
            bar.update(now.rows_copied)
            move.copy_tables(conn, target, move_id, batch=batch_size, pause=pause,
                             on_batch=lambda _table, rows: bar.update(rows))
        copied = time.monotonic() - started
        sequences = move.set_sequences(target)
        compared = move.compare(conn, target)
        with move.app_on(current_app.config, url):
            from ..extensions import db

            compared.failures = list(verify_local(keyring(), current_app.config["LOG_ORIGIN"]).failures)
            db.session.rollback()
        for table, (wanted, got) in compared.mismatched.items():
            click.echo(f"FAIL: {table}: {wanted} rows in SQLite, {got} in PostgreSQL", err=True)
        if not compared.checkpoint_ok:
            click.echo(f"FAIL: the latest checkpoint differs: SQLite {_checkpoint(compared.source)}, PostgreSQL "
                       f"{_checkpoint(compared.target)}", err=True)
        for line in compared.failures:
            click.echo(f"FAIL: log verify: {line}", err=True)
        if not compared.ok:
            click.echo("move FAILED: the copy does not match its source or does not verify; the registry stays "
                       "read-only, the target is left for you to look into / 迁移失败", err=True)
            raise SystemExit(1)
        move.finish(conn)
    counts = {t: n for t, n in compared.target["tables"].items() if t not in move.NOT_COPIED}
    click.echo(f"moved {sum(counts.values()):,} rows of {len(counts)} tables in {copied:.1f} s "
               f"({sequences} sequences set); row counts and the checkpoint ({_checkpoint(compared.target)}) match; "
               f"log verified / 迁移完成，日志已验证")
    click.echo(f"now set REGISTRY_DATABASE_URL={move.shown(url)} and restart the web and jobs processes; this SQLite "
               "file takes no more writes / 请把 REGISTRY_DATABASE_URL 指向新数据库并重启")


def _checkpoint(found: dict) -> str:
    checkpoint = found["checkpoint"]
    return f"size {checkpoint['size']}, root {checkpoint['root'][:16]}…" if checkpoint else "none"


def register_cli(app: Flask) -> None:
    """Add `move` to Flask-Migrate's `db` group, beside `db upgrade`."""
    app.cli.commands["db"].add_command(db_move)
