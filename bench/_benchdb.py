"""What every benchmark shares: a fresh database of the chosen engine, and an app on it.

Not a benchmark itself (`make bench` runs the files not starting with `_`). The benchmarks run as modules from
the repository root (`python -m bench.log`), so `registry` and `tests.support` import like any package.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = "host=127.0.0.1 user=postgres dbname=test"
SECRET_KEY = "bench-secret-key-0123456789-0123456789"


def database_url(engine: str, work: Path, name: str) -> str:
    """A fresh, empty database `name`: a file in `work` (SQLite) or a database recreated on the server."""
    if engine == "sqlite":
        return f"sqlite:///{work / (name + '.sqlite3')}"
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(engine: str, name: str) -> None:
    if engine != "postgresql":
        return
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def make_app(url: str, work: Path, **config):
    """The registry on `url`, its keys and instance folder in `work`."""
    os.environ["REGISTRY_INSTANCE_PATH"] = str(work / "instance")
    from registry import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "KEYS_DIR": str(work / "keys"), "ENV_NAME": "development",
                       "SECRET_KEY": SECRET_KEY, **config})


@contextlib.contextmanager
def migrated(url: str, work: Path, **config):
    """The registry on `url` with its schema, keys and log head made, inside its app context."""
    from flask_migrate import upgrade

    from registry.extensions import db
    from registry.keys import keyring
    from registry.log.services import ensure_head

    app = make_app(url, work, **config)
    with app.app_context():
        keyring().ensure_all()
        upgrade()
        ensure_head()
        db.session.commit()
        yield app
