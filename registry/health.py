"""GET /healthz: the app answers and so does its database (one SELECT 1), cheap enough to ask every second.
GET /readyz: the deployment can do its work — the database answers, the keys can be read, a jobs process beats
(registry/monitoring/readiness.py)."""
import swagger_ui_bundle
from flask import Blueprint, current_app, jsonify, send_from_directory
from sqlalchemy import text

from . import clock
from .errors import database_unavailable
from .extensions import db
from .keys import keyring
from .monitoring import readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — any failure means "not healthy"
        # The outage handler's answer, Retry-After included: the same outage reads the same everywhere.
        return database_unavailable(exc)
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    checks = readiness.check_all(keyring(), clock.now(), current_app.config["READY_JOBS_SECONDS"])
    status, body = readiness.answer(checks)
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/api/docs-assets/<path:filename>")
def docs_assets(filename):
    """Swagger UI's files for /api/docs, from the installed bundle."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)
