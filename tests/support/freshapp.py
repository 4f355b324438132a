"""A second application for a test, built by create_app on other settings (another database, other limits)."""
from __future__ import annotations

import contextlib

from registry.apps import another_app


@contextlib.contextmanager
def fresh_app(base_config, **overrides):
    """A second application built by create_app, with the extensions' shared state put back afterwards."""
    with another_app({**base_config, **overrides}) as app:
        yield app


@contextlib.contextmanager
def empty_database(base_url: str, folder):
    """The URL of a new, empty database of `base_url`'s engine: a SQLite file in `folder`, or a PostgreSQL database
    on the same server (dropped afterwards)."""
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(base_url)
    if base.get_backend_name() == "sqlite":
        yield f"sqlite:///{folder / f'empty-{secrets.token_hex(4)}.sqlite3'}"
        return
    name = f"{base.database}_empty_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
