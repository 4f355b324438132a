"""Fixtures: one migrated database per run, or per pytest-xdist worker (SQLite file, or PostgreSQL when
REGISTRY_TEST_DATABASE_URL says so: a database of its own beside it per worker), one key folder, and clean tables
per test."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.factory import Factory

TEST_DB_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DB_URL.startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Deselect `postgres` tests on SQLite and `sqlite` ones on PostgreSQL; on PostgreSQL, insist some ran."""
    pg_items = [i for i in items if i.get_closest_marker("postgres")]
    other_engine = "sqlite" if ON_POSTGRES else "postgres"
    deselect = [i for i in items if i.get_closest_marker(other_engine)]
    if deselect:
        config.hook.pytest_deselected(items=deselect)
        items[:] = [i for i in items if not i.get_closest_marker(other_engine)]
    if ON_POSTGRES and os.environ.get("REGISTRY_REQUIRE_POSTGRES_TESTS") == "1" and not pg_items:
        raise pytest.UsageError("the PostgreSQL run selected no test marked postgres")


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="jiaxin-test-") as d:
        yield Path(d)


@contextmanager
def _worker_database(url: str):
    """Under pytest-xdist each worker gets its own PostgreSQL database beside the one named, dropped at the end."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        yield url
        return
    base = make_url(url)
    mine = base.set(database=f"{base.database}_{worker}")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")

    def drop_and(create: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{mine.database}" WITH (FORCE)'))
            if create:
                conn.execute(text(f'CREATE DATABASE "{mine.database}"'))

    drop_and(create=True)
    try:
        yield mine.render_as_string(hide_password=False)
    finally:
        drop_and(create=False)
        admin.dispose()


@pytest.fixture(scope="session")
def _database_url(workdir):
    if not ON_POSTGRES:
        yield f"sqlite:///{workdir / 'registry.sqlite3'}"
        return
    with _worker_database(TEST_DB_URL) as url:
        yield url


@pytest.fixture(scope="session")
def base_config(workdir, _database_url):
    url = _database_url
    return {
        "TESTING": True,
        "ENV_NAME": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "KEYS_DIR": str(workdir / "keys"),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "ARGON2_CHEAP": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        # The contract tests send many bad sign-ups; the limit itself is tested apart.
        "SIGNUP_LIMIT": "1000 per hour",
        "PUBLIC_URL": "http://registry.test",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _session_app(base_config, workdir):
    os.environ.setdefault("REGISTRY_INSTANCE_PATH", str(workdir / "instance"))
    from registry import create_app
    from registry.extensions import db
    from registry.keys import keyring

    app = create_app(dict(base_config))
    with app.app_context():
        keyring().ensure_all()
        if ON_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        if os.environ.get("JIAXIN_TEST_CREATE_ALL") == "1":
            # Developer shortcut while a model has no migration yet; CI never sets it.
            db.create_all()
        else:
            from flask_migrate import upgrade

            upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


_PG_CLEAN: list[str] = []


def _pg_clean_script(conn, tables) -> str:
    """DELETE every table's rows (children first) and restart every serial key at 1, as TRUNCATE … RESTART
    IDENTITY would; the sequences are looked up once a run."""
    if not _PG_CLEAN:
        sequences = [conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": c.name}).scalar()
                     for t in tables for c in t.primary_key.columns]
        _PG_CLEAN.append("; ".join([f'DELETE FROM "{t.name}"' for t in tables]
                                   + [f"SELECT setval('{s}', 1, false)" for s in sequences if s]))
    return _PG_CLEAN[0]


def _clean_tables(app):
    from registry.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if ON_POSTGRES:
                # One script of DELETEs and sequence restarts: TRUNCATE of every table costs ~0.4 s a test here
                # (it makes new files for each), DELETE of a test's few rows ~8 ms.
                conn.exec_driver_sql(_pg_clean_script(conn, tables))
            else:
                for t in tables:
                    conn.execute(t.delete())
        from registry.log.services import ensure_head

        ensure_head()
        db.session.commit()


@pytest.fixture
def app(_session_app):
    """The application with empty tables and fresh rate-limit counters."""
    from registry.extensions import limiter

    _clean_tables(_session_app)
    limiter.reset()
    from registry.database import read_only_transactions, reset_transactions

    ctx = _session_app.app_context()
    ctx.push()
    # The test's own queries share the session with the requests it makes:
    # begin them DEFERRED so they never hold SQLite's write lock in between.
    token = read_only_transactions()
    yield _session_app
    from registry.extensions import db

    reset_transactions(token)
    db.session.remove()
    ctx.pop()


@pytest.fixture
def live_server(app):
    """The test app served for real on a free loopback port, in a background thread."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class MovableClock:
    """Moves the registry's clock (registry.clock) for this process and for server processes the test starts.

    It writes the clock file registry.clock follows; REGISTRY_TEST_CLOCK names it for child processes
    (honoured there only in test mode).
    """

    def __init__(self, path: Path):
        self.path = path
        self._stamp = 0

    def _write(self, data: dict) -> None:
        import json
        import time

        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        # A fresh modification time every write, so a reader never mistakes a change for the last one.
        self._stamp = max(self._stamp + 1, time.time_ns())
        os.utime(tmp, ns=(self._stamp, self._stamp))
        os.replace(tmp, self.path)

    def freeze(self, moment) -> None:
        """Stop the clock at `moment` (an aware datetime, or a date: noon in Shanghai that day)."""
        from datetime import date, datetime
        from datetime import time as dtime

        from registry.clock import SHANGHAI

        if isinstance(moment, date) and not isinstance(moment, datetime):
            moment = datetime.combine(moment, dtime(12), SHANGHAI)
        if moment.tzinfo is None:
            raise ValueError("give an aware datetime")
        self._write({"frozen": moment.isoformat()})

    def shift(self, delta) -> None:
        """Let real time run, `delta` (a timedelta) away from now."""
        self._write({"offset_seconds": delta.total_seconds()})

    def real(self) -> None:
        self._write({})

    def state(self) -> dict:
        """Where the clock is now (frozen, shifted, or {}: real), for `set_state` to put it back."""
        import json

        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def set_state(self, data: dict) -> None:
        self._write(data)


@pytest.fixture
def clock(tmp_path, monkeypatch):
    """The registry's clock, movable: `clock.freeze(date(2027, 3, 1))`, `clock.shift(timedelta(days=90))`."""
    from registry import clock as clock_mod

    moved = MovableClock(tmp_path / "registry-clock.json")
    monkeypatch.setenv("REGISTRY_TEST_CLOCK", str(moved.path))
    clock_mod.follow(moved.path)
    yield moved
    clock_mod.follow(None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def factory(app):
    return Factory(app)
