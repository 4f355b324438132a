"""Fixtures: one migrated database per run (SQLite file, or PostgreSQL when
REGISTRY_TEST_DATABASE_URL says so), one key folder, and clean tables per test."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

TEST_DB_URL = os.environ.get("REGISTRY_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DB_URL.startswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """Deselect `postgres` tests on SQLite; on PostgreSQL, insist some ran."""
    pg_items = [i for i in items if i.get_closest_marker("postgres")]
    if not ON_POSTGRES and pg_items:
        config.hook.pytest_deselected(items=pg_items)
        items[:] = [i for i in items if not i.get_closest_marker("postgres")]
    if ON_POSTGRES and os.environ.get("REGISTRY_REQUIRE_POSTGRES_TESTS") == "1" and not pg_items:
        raise pytest.UsageError("the PostgreSQL run selected no test marked postgres")


@pytest.fixture(scope="session")
def workdir():
    with tempfile.TemporaryDirectory(prefix="jiaxin-test-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def base_config(workdir):
    url = TEST_DB_URL or f"sqlite:///{workdir / 'registry.sqlite3'}"
    return {
        "TESTING": True,
        "ENV_NAME": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "KEYS_DIR": str(workdir / "keys"),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "ARGON2_CHEAP": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_URL": "http://registry.test",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _session_app(base_config, workdir):
    os.environ.setdefault("REGISTRY_INSTANCE_PATH", str(workdir / "instance"))
    from registry import create_app, keyring
    from registry.extensions import db

    app = create_app(dict(base_config))
    with app.app_context():
        keyring().ensure_all()
        if ON_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _clean_tables(app):
    from registry.extensions import db

    with app.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if ON_POSTGRES:
                names = ", ".join(f'"{t.name}"' for t in tables)
                if names:
                    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for t in tables:
                    conn.execute(t.delete())
        after_clean = app.extensions.get("jiaxin_after_clean")
        if after_clean:
            after_clean()


@pytest.fixture
def app(_session_app):
    """The application with empty tables and fresh rate-limit counters."""
    from registry.extensions import limiter

    _clean_tables(_session_app)
    limiter.reset()
    ctx = _session_app.app_context()
    ctx.push()
    yield _session_app
    from registry.extensions import db

    db.session.remove()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
