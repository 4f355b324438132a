"""A database that cannot be reached, or cannot take work for now, is an outage and not a bug: every endpoint and
page answers 503 `database_unavailable` with Retry-After (in Chinese and English, nothing stored), so clients and
monitors can tell it from a 500; a statement that is wrong stays a 500 (`database.unavailable`).

The outages are real: a server that refuses connections, a file that cannot be opened, a statement cancelled by
its timeout, a SQLite file another writer holds."""
from __future__ import annotations

import random
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from registry.database import unavailable
from registry.errors import DATABASE_RETRY_SECONDS
from registry.workers.cardno import new_card_no
from tests.conftest import ON_POSTGRES
from tests.support.freshapp import fresh_app

# Nothing listens on port 1; no folder of that name exists.
UNREACHABLE = ("postgresql+psycopg://postgres@127.0.0.1:1/jiaxin?connect_timeout=2" if ON_POSTGRES
               else "sqlite:////nonexistent-jiaxin-folder/registry.sqlite3")


def the_error(url: str, *statements: str, **options) -> DBAPIError:
    """The error a real driver raises running `statements` on `url`."""
    engine = create_engine(url, **options)
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    except DBAPIError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/v1/red-list", None),
    ("GET", f"/api/v1/cards/{new_card_no(random.Random(17))}", None),
    ("POST", "/api/v1/tokens", {"name": "监控"}),
    ("GET", "/red-list", None),
    # The load balancer's probe answers the same outage the same way (registry/health.py).
    ("GET", "/healthz", None),
])
def test_an_unreachable_database_answers_503_with_retry_after(base_config, method, path, body):
    with fresh_app(base_config, SQLALCHEMY_DATABASE_URI=UNREACHABLE) as app:
        resp = app.test_client().open(path, method=method, json=body,
                                      headers={"Authorization": "Bearer jx_" + "a" * 40})
    assert resp.status_code == 503, resp.data[:300]
    assert resp.headers["Retry-After"] == str(DATABASE_RETRY_SECONDS)
    if path.startswith("/api/") or path == "/healthz":
        error = resp.get_json()["error"]
        assert error["code"] == "database_unavailable"
        assert "数据库" in error["message"]["zh"] and "database" in error["message"]["en"]
    else:
        assert "数据库暂时无法访问" in resp.get_data(as_text=True)


def test_what_is_an_outage_and_what_is_a_bug(base_config):
    url = base_config["SQLALCHEMY_DATABASE_URI"]
    assert unavailable(the_error(UNREACHABLE, "SELECT 1"))
    # A statement that is wrong is a bug, whatever the engine calls it.
    assert not unavailable(the_error(url, "SELECT * FROM no_such_table_anywhere"))
    assert not unavailable(ValueError("not a database error"))
    if ON_POSTGRES:
        # Cancelled by its timeout (57014): the server is too busy for it now.
        assert unavailable(the_error(url, "SET statement_timeout = 50", "SELECT pg_sleep(2)"))
        # A constraint broken: the caller's fault.
        assert not unavailable(the_error(url, "SELECT 1/0"))
    else:
        # Another writer holds the file past the busy timeout.
        path = url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert unavailable(the_error(url, "BEGIN IMMEDIATE", connect_args={"timeout": 0.05}))
        finally:
            holder.execute("ROLLBACK")
            holder.close()


def the_driver_error(url: str):
    """The driver's own error (not SQLAlchemy's wrapping) for an outage met on the driver's cursor, as the hot read
    paths meet it (`database.Prepared`): a connection the server ended (PostgreSQL), a file another writer holds
    (SQLite)."""
    if ON_POSTGRES:
        import psycopg

        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as victim, psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))
            try:
                victim.execute("SELECT 1")
            except psycopg.Error as error:
                return error
    else:
        path = url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        other = sqlite3.connect(path, isolation_level=None, timeout=0.05)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            return error
        finally:
            other.close()
            holder.execute("ROLLBACK")
            holder.close()
    raise AssertionError("no error")


def test_an_outage_raised_by_the_driver_itself_is_an_outage(base_config):
    error = the_driver_error(base_config["SQLALCHEMY_DATABASE_URI"])
    assert not isinstance(error, DBAPIError)
    assert unavailable(error)


@pytest.mark.usefixtures("app")  # the tables
def test_a_card_look_up_on_a_connection_the_server_ended_answers_503(base_config):
    """A restart of PostgreSQL ends the pooled connections; the card view reads on the driver's cursor, whose error
    once made a 500 (a soak, issue #17). SQLite has no server to end a connection: its outage on the same path is
    the test above."""
    if not ON_POSTGRES:
        assert unavailable(the_driver_error(base_config["SQLALCHEMY_DATABASE_URI"]))
        return
    options = {"pool_pre_ping": False, "connect_args": {"application_name": "jx-outage-test"}}
    card = new_card_no(random.Random(18))
    with fresh_app(base_config, SQLALCHEMY_ENGINE_OPTIONS=options) as app:
        client = app.test_client()
        assert client.get(f"/api/v1/cards/{card}").status_code == 404  # the pool holds a live connection now
        import psycopg

        dsn = base_config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as admin:
            ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE application_name = 'jx-outage-test'").fetchone()[0]
        assert ended >= 1
        resp = client.get(f"/api/v1/cards/{card}")
        assert resp.status_code == 503, resp.data[:300]
        assert resp.get_json()["error"]["code"] == "database_unavailable"
        assert resp.headers["Retry-After"] == str(DATABASE_RETRY_SECONDS)
        # The dead connection was dropped: the next look-up answers as before.
        assert client.get(f"/api/v1/cards/{card}").status_code == 404


@pytest.mark.usefixtures("app")  # the tables
def test_a_request_whose_connection_the_server_ends_before_its_end_keeps_its_answer(base_config):
    """A restart of PostgreSQL that ends the connection after the view answered but before the request's end rolls
    back failed that rollback, and the request answered 500 instead of its answer (a soak, issue #17). SQLite has
    no server to end a connection: there the same request simply answers."""
    from flask import jsonify

    from registry.extensions import db

    options = {"pool_pre_ping": False, "connect_args": {"application_name": "jx-teardown-test"}} if ON_POSTGRES else {}
    with fresh_app(base_config, SQLALCHEMY_ENGINE_OPTIONS=options) as app:
        @app.get("/test-only/read-then-lose-the-connection")
        def read_then_lose_the_connection():
            workers = db.session.execute(text("SELECT count(*) FROM workers")).scalar()  # a transaction is open
            if ON_POSTGRES:
                import psycopg

                dsn = base_config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
                with psycopg.connect(dsn, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = 'jx-teardown-test'")
            return jsonify(workers=workers)

        client = app.test_client()
        resp = client.get("/test-only/read-then-lose-the-connection")
        assert resp.status_code == 200, resp.data[:300]
        assert resp.get_json() == {"workers": 0}
        # The dead connection was let go: the next request answers as before.
        assert client.get("/test-only/read-then-lose-the-connection").status_code == 200
