"""Small helpers shared by the API handlers."""
from flask_smorest import Blueprint

from .extensions import csrf, db
from schemas.common import ErrorSchema


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    bp = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    # The API authenticates by bearer token only, never by cookie: no CSRF.
    csrf.exempt(bp)
    return bp


def commit() -> None:
    """End the request's one transaction."""
    db.session.commit()


ERRORS = ErrorSchema
