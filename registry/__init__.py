"""Jiaxin 家信: the credit registry for domestic-service workers and firms."""
from __future__ import annotations

import inspect
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, request

from . import clock
from . import config as config_mod
from .api_util import BEARER
from .database import (
    configure_engine,
    end_request_transaction,
    read_only_transactions,
    reset_transactions,
    write_transactions,
)
from .extensions import api, babel, csrf, db, limiter, login_manager, migrate
from .keys import KeyRing
from .monitoring import logs as monitoring_logs

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


class Registry(Flask):
    """Flask, remembering which functions are coroutines.

    Flask asks `inspect.iscoroutinefunction` about every hook and view on every
    request (about twenty a request here); the answer never changes, and on the
    public card look-up that inspection alone cost more than the database. The
    cache is keyed by the underlying function, so per-request bound methods
    (MethodView) do not grow it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._is_async: dict = {}

    def ensure_sync(self, func):
        key = getattr(func, "__func__", func)
        try:
            is_async = self._is_async[key]
        except KeyError:
            is_async = self._is_async[key] = inspect.iscoroutinefunction(func)
        except TypeError:  # unhashable: ask every time
            is_async = inspect.iscoroutinefunction(func)
        return self.async_to_sync(func) if is_async else func

    def process_response(self, response):
        # After every after_request hook, whatever their order (Flask-Limiter's adds the headers in one).
        from .ratelimits import retry_after_only_when_refused

        return retry_after_only_when_refused(super().process_response(response))


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides the environment."""
    app = Registry(__name__, instance_path=os.environ.get("REGISTRY_INSTANCE_PATH") or str(config_mod.DEFAULT_INSTANCE),
                template_folder=str(Path(__file__).resolve().parent.parent / "templates"))
    app.config.update(config_mod.DEFAULTS)
    app.config.update(config_mod.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    # The signed cookie itself is refused once older than an account session may live (Flask's default is
    # 31 days); the server-side session row is what ends a session (registry/accounts/sessions.py).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(app.config["SESSION_MAX_HOURS"]))
    app.config["REMEMBER_COOKIE_DURATION"] = app.config["PERMANENT_SESSION_LIFETIME"]
    config_mod.prepare_instance(Path(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_mod.load_secret_key(Path(app.instance_path))
    config_mod.check_safe(app.config)
    if app.config.get("TESTING") or app.config["ENV_NAME"] == "test":
        # Test mode only: a server process a test starts takes its time from the test's clock file.
        clock.follow(os.environ.get("REGISTRY_TEST_CLOCK") or None)
    if not app.config.get("TESTING") and app.config["ENV_NAME"] not in {"development", "test"}:
        app.config["SESSION_COOKIE_SECURE"] = True

    monitoring_logs.configure(app.config["LOG_FORMAT"])

    app.extensions["jiaxin_keys"] = KeyRing(app.config["KEYS_DIR"])

    db.init_app(app)
    with app.app_context():
        # Before the first connection, which would create the database world-readable.
        config_mod.prepare_sqlite_file(db.engine.url)
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: "Asia/Shanghai")
    api.init_app(app)
    # Before any route: the API's path parameters and their documented patterns.
    from . import converters

    converters.register(app, api)
    api.spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer", "description": (
        "An account's API token, or a worker's self-service session token on /api/v1/self/*.")})

    from . import errors, monitoring, security, web

    # First: its timer must run before any hook that may refuse the request.
    monitoring.register(app)
    errors.register(app)
    from .move import marker as move_marker

    # Before any handler reads a token or a session: a write refused now changes nothing.
    move_marker.register(app)
    security.register(app)
    web.register(app)
    _register_domains(app)

    @app.before_request
    def _begin_request():
        # A request starts and ends its own transaction: reads begin DEFERRED
        # (readers never queue on SQLite), writes IMMEDIATE.
        db.session.rollback()
        mode = read_only_transactions() if request.method in ("GET", "HEAD", "OPTIONS") else write_transactions()
        request.environ["jiaxin.txn"] = mode

    @app.teardown_request
    def _end_request(_exc):
        try:
            end_request_transaction(db.session)
        finally:
            token = request.environ.pop("jiaxin.txn", None)
            if token is not None:
                reset_transactions(token)

    from .cli import register as register_cli

    register_cli(app)
    return app


def _select_locale():
    from flask import session

    lang = request.args.get("lang")
    if lang in ("zh", "en"):
        session["lang"] = lang
        return lang
    return session.get("lang") or "zh"


def _register_domains(app: Flask) -> None:
    from .health import bp as health_bp

    app.register_blueprint(health_bp)
    csrf.exempt(health_bp)
    from . import (
        accounts,
        bulletins,
        cards,
        companies,
        complaints,
        credit,
        imports,
        log,
        lookup,
        notify,
        reports,
        retention,
        sanctions,
        selfservice,
        tasks,
        trace,
        workers,
    )

    for module in (accounts, companies, workers, cards, lookup, reports, sanctions, bulletins, selfservice, imports,
                   trace, complaints, credit, notify, tasks, log, retention):
        module.register(app)
