"""A second application for a test, built by create_app on other settings (another database, other limits)."""
from __future__ import annotations

import contextlib

from registry.extensions import api, db, limiter


@contextlib.contextmanager
def fresh_app(base_config, **overrides):
    """A second application built by create_app, with the extensions' shared state put back afterwards.

    The limiter and the API extension are module-level objects that `init_app`
    reconfigures for the newest app; the session's app gets its own back.
    """
    from registry import create_app

    saved_limiter, saved_api = dict(limiter.__dict__), dict(api.__dict__)
    try:
        app = create_app({**base_config, **overrides})
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
