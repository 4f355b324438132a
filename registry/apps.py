"""A second application in one process, built by create_app on other settings (another database)."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def another_app(config: dict) -> Iterator:
    """An application built by `create_app(config)`, in its own app context, and the extensions' shared state put
    back afterwards: the limiter and the API extension are module-level objects that `init_app` reconfigures for the
    newest app, so the first app gets its own back. What uses it: `flask db move` (the target's migrations and `log
    verify`), and tests that need the registry on another database or other limits."""
    from . import create_app
    from .extensions import api, db, limiter

    saved_limiter, saved_api = dict(limiter.__dict__), dict(api.__dict__)
    try:
        app = create_app(config)
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        limiter.__dict__.clear()
        limiter.__dict__.update(saved_limiter)
        api.__dict__.clear()
        api.__dict__.update(saved_api)
