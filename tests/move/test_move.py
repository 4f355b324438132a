"""`flask db move` (registry/move): a real SQLite file made through the services, moved into a new PostgreSQL
database by a real `flask db move` process — killed once with SIGKILL after some batches committed, resumed, and
verified with the same checkpoint root, the same row counts and no row copied twice; writes answer 503
`registry_moving` meanwhile while reads answer; every refusal changes nothing; a copy that does not verify is
reported as failed. Runs in both CI runs: the source is always a SQLite file made here, the target always a new
PostgreSQL database (named jx_mv_…) on the test server, or on 127.0.0.1:5432 in the SQLite run."""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from registry.accounts import services as accounts
from registry.backup.services import inventory
from registry.extensions import db
from registry.move import marker
from registry.move import services as move
from tests.conftest import ON_POSTGRES, TEST_DB_URL
from tests.support.factory import Factory
from tests.support.freshapp import fresh_app
from tests.support.logutil import sign, small_world

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = make_url(TEST_DB_URL).set(database="postgres") if ON_POSTGRES else \
    make_url("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module")
def pg_admin():
    """The PostgreSQL server targets are made on (AUTOCOMMIT, for CREATE and DROP DATABASE)."""
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — no server: say so
        engine.dispose()
        if os.environ.get("REGISTRY_REQUIRE_POSTGRES_TESTS") == "1":
            pytest.fail(f"no PostgreSQL at {ADMIN_URL}: {type(exc).__name__}")
        pytest.skip(f"no PostgreSQL server at {ADMIN_URL.render_as_string()}")
    yield engine
    engine.dispose()


@pytest.fixture
def new_target(pg_admin):
    """Make new, empty PostgreSQL databases (jx_mv_…); each is dropped afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"jx_mv_{secrets.token_hex(4)}"
        with pg_admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return ADMIN_URL.set(database=name).render_as_string(hide_password=False)

    yield make
    with pg_admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def source_template(_session_app, base_config, tmp_path_factory):
    """A SQLite registry made once through the services: companies, workers, a few hundred log entries (API
    tokens issued) and two signed checkpoints."""
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("move") / "template.sqlite3"
    with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}") as app:
        upgrade()
        factory = Factory(app)
        admin = small_world(factory)["admin"]
        sign(factory.ring)
        # Entries with records behind them (the verification replays each): one per token issued.
        for i in range(300):
            accounts.issue_token(factory.ring, account=admin, name=f"t{i}")
            if i % 50 == 49:
                db.session.commit()
        db.session.commit()
        sign(factory.ring)
    return path


@pytest.fixture
def source(source_template, tmp_path) -> str:
    path = tmp_path / "source.sqlite3"
    shutil.copyfile(source_template, path)
    return f"sqlite:///{path}"


def _env(base_config, source_url: str, tmp_path) -> dict:
    return {**os.environ, "REGISTRY_DATABASE_URL": source_url, "REGISTRY_KEYS_DIR": base_config["KEYS_DIR"],
            "REGISTRY_INSTANCE_PATH": str(tmp_path / "instance"), "REGISTRY_ENV": "test",
            "REGISTRY_SECRET_KEY": base_config["SECRET_KEY"],
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _move_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", "db", "move", *args]


def _copied(url: str) -> int:
    """Rows the move has committed into `url` so far (0 before its progress table exists)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT coalesce(sum(copied), 0) FROM db_move_progress")).scalar_one()
    except Exception:  # noqa: BLE001 — not migrated yet
        return 0
    finally:
        engine.dispose()


def _marker_state(source_url: str) -> str | None:
    with sqlite3.connect(make_url(source_url).database) as conn:
        row = conn.execute("SELECT state FROM db_moves").fetchone()
    return row[0] if row else None


def _counts(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = inventory(conn)
    finally:
        engine.dispose()
    found["tables"] = {t: n for t, n in found["tables"].items() if t not in move.NOT_COPIED}
    return found


def test_a_move_killed_once_and_resumed_verifies_with_the_same_root_and_writes_wait_meanwhile(
        base_config, source, new_target, tmp_path):
    target = new_target()
    env = _env(base_config, source, tmp_path)
    before = _counts(source)
    assert before["checkpoint"]["size"] > 300 and before["tables"]["log_entries"] > 300
    with open(tmp_path / "first.log", "wb") as out:
        first = subprocess.Popen(_move_argv("--to", target, "--batch-size", "10", "--pause", "0.03"), cwd=ROOT,
                                 env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while _copied(target) < 200:
            assert first.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < deadline, "the move committed no batches"
            time.sleep(0.05)

        # While it runs, every process on the SQLite file refuses writes clearly and answers reads.
        with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=source) as web:
            marker.forget()
            client = web.test_client()
            refused = client.post("/api/v1/tokens", json={"name": "x"})
            assert refused.status_code == 503, refused.data
            assert refused.json["error"]["code"] == "registry_moving"
            assert "迁移" in refused.json["error"]["message"]["zh"]
            assert refused.headers["Retry-After"] == str(marker.RETRY_SECONDS)
            assert client.get("/api/v1/log/checkpoint").status_code == 200
            assert client.get("/healthz").status_code == 200
            # The jobs process does no scheduled work and claims no task.
            from jobs.runner import run_scheduled, task_worker_tick
            from jobs.schedules import SCHEDULES

            assert run_scheduled(web, SCHEDULES[0], "test-owner") == "moving"
            assert task_worker_tick(web, "test-owner") is False
            db.session.remove()
        # And a writer that never asks about the marker waits on the lock the move holds: the source holds still.
        with sqlite3.connect(make_url(source).database, timeout=0.2) as raw, pytest.raises(sqlite3.OperationalError):
            raw.execute("BEGIN IMMEDIATE")

        first.send_signal(signal.SIGKILL)
        first.wait(15)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(15)
    at_kill = _copied(target)
    total = sum(before["tables"].values())
    assert 0 < at_kill < total
    assert _marker_state(source) == "moving"  # a killed move stays marked: the registry stays read-only

    started = time.monotonic()
    second = subprocess.run(_move_argv("--to", target, "--batch-size", "50"), cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    resumed_in = time.monotonic() - started
    assert second.returncode == 0, second.stdout + second.stderr
    assert "resuming" in second.stdout and "log verified" in second.stdout
    after = _counts(target)
    assert after["tables"] == before["tables"]
    assert after["checkpoint"] == before["checkpoint"]  # size, root and signed note
    assert _counts(source)["tables"] == before["tables"]
    # No row copied twice: each table's progress counted exactly its rows, across the kill.
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            progress = dict(conn.execute(text("SELECT table_name, copied FROM db_move_progress")).all())
            assert progress == before["tables"]
            assert conn.execute(text("SELECT count(DISTINCT seq) FROM log_entries")).scalar_one() == \
                before["tables"]["log_entries"]
            # The sequences were set past the copied keys: the next account gets a new id.
            largest = conn.execute(text("SELECT max(id) FROM accounts")).scalar_one()
            assert conn.execute(text("SELECT nextval(pg_get_serial_sequence('accounts', 'id'))")).scalar_one() \
                > largest
    finally:
        engine.dispose()
    assert _marker_state(source) == "moved"  # kept after a successful move
    print(f"\nmove of {total} rows: killed after {at_kill}, resumed and verified in {resumed_in:.1f} s")


def test_a_copy_that_does_not_verify_is_reported_as_failed(base_config, source, new_target, tmp_path):
    """A source someone changed behind the log: the copy is faithful, counts and checkpoint match, the log does
    not verify on the target, and the move says so and stays unfinished."""
    with sqlite3.connect(make_url(source).database) as raw:
        raw.execute("UPDATE companies SET name = '改过的名字有限公司' WHERE id = (SELECT min(id) FROM companies)")
    target = new_target()
    done = subprocess.run(_move_argv("--to", target), cwd=ROOT, env=_env(base_config, source, tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "move FAILED" in done.stderr and "FAIL: log verify" in done.stderr
    assert "rows in SQLite" not in done.stderr  # the counts matched: only the log found it
    assert _marker_state(source) == "moving"

    # A target changed after the copy (a row lost) fails the counts.
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM log_checkpoints WHERE size = (SELECT max(size) FROM log_checkpoints)"))
        src = create_engine(source)
        try:
            with src.connect() as conn:
                compared = move.compare(conn, engine)
        finally:
            src.dispose()
    finally:
        engine.dispose()
    assert not compared.ok and "log_checkpoints" in compared.mismatched and not compared.checkpoint_ok


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=["db", "move", *args])


def test_refusals_change_nothing(base_config, source, new_target, tmp_path):
    from flask_migrate import upgrade

    target = new_target()
    with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=source) as app:
        result = _invoke(app, "--to", f"sqlite:///{tmp_path / 'other.sqlite3'}")
        assert result.exit_code == 1 and "target_not_postgresql" in result.output and "PostgreSQL 数据库" in \
            result.output
        assert _invoke(app).exit_code == 2  # no --to
        # The source is not at the newest migration.
        with sqlite3.connect(make_url(source).database) as raw:
            (newest,) = raw.execute("SELECT version_num FROM alembic_version").fetchone()
            raw.execute("UPDATE alembic_version SET version_num = '0036'")
        result = _invoke(app, "--to", target)
        assert result.exit_code == 1 and "schema_not_current" in result.output, result.output
        with sqlite3.connect(make_url(source).database) as raw:
            # Back to the newest, whichever that is (a test pinned to one number breaks with the next migration).
            raw.execute("UPDATE alembic_version SET version_num = ?", (newest,))
        db.session.remove()
    assert _marker_state(source) is None

    # A target at another migration, then one holding another registry's data.
    other = new_target()
    with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=other) as pg:
        upgrade(revision="0036")
        with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=source) as app:
            result = _invoke(app, "--to", other)
            assert result.exit_code == 1 and "schema_mismatch" in result.output, result.output
            db.session.remove()
        upgrade()
        db.session.execute(text("INSERT INTO job_leases (name, owner, until_dt) VALUES ('x', 'y', now())"))
        db.session.commit()
        with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=source) as app:
            result = _invoke(app, "--to", other)
            assert result.exit_code == 1 and "target_not_empty" in result.output and "job_leases" in result.output
            db.session.remove()
        # The source is not SQLite (a PostgreSQL registry moves nowhere).
        result = _invoke(pg, "--to", target)
        assert result.exit_code == 1 and "source_not_sqlite" in result.output, result.output
        assert db.session.execute(text("SELECT count(*) FROM job_leases")).scalar_one() == 1
        db.session.remove()
    assert _marker_state(source) is None
    engine = create_engine(target)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one() == 0
    finally:
        engine.dispose()

    # A move that stands refuses another target; --abandon lifts it and writes are taken again.
    with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=source) as app:
        move.set_marker(db.engine, make_url(target))
        result = _invoke(app, "--to", other)
        assert result.exit_code == 1 and "move_elsewhere" in result.output
        marker.forget()
        assert app.test_client().post("/api/v1/tokens", json={}).status_code == 503
        result = _invoke(app, "--abandon")
        assert result.exit_code == 0 and "abandoned" in result.output, result.output
        marker.forget()
        assert app.test_client().post("/api/v1/tokens", json={}).status_code == 401
        assert "no move to abandon" in _invoke(app, "--abandon").output
        db.session.remove()
    assert _marker_state(source) is None
