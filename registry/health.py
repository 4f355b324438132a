"""GET /healthz: the app answers and so does its database (one SELECT 1)."""
import swagger_ui_bundle
from flask import Blueprint, jsonify, send_from_directory
from sqlalchemy import text

from .errors import ApiError
from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 — any failure means "not healthy"
        db.session.rollback()
        raise ApiError(503, "database_unavailable", "数据库无响应。", "The database does not answer.") from None
    return jsonify({"status": "ok"})


@bp.get("/api/docs-assets/<path:filename>")
def docs_assets(filename):
    """Swagger UI's files for /api/docs, from the installed bundle."""
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)
