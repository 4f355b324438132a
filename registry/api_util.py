"""Small helpers shared by the API handlers."""
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from schemas.common import ErrorSchema

from .extensions import csrf, db


class Parser(FlaskParser):
    """webargs' parser plus the location `multipart`: a multipart/form-data body's text fields and files together.

    With `files` and `form` as two separate arguments, the OpenAPI document described the file the Swagger 2
    way (a `formData` parameter) beside a urlencoded body, and no generated client could upload; one schema
    over both parts documents one multipart request body.
    """

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "multipart": "multipart/form-data"}


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    bp = ApiBlueprint(name, import_name, url_prefix="/api/v1", description=description)
    # The API authenticates by bearer token only, never by cookie: no CSRF.
    csrf.exempt(bp)
    return bp


BEARER = "bearerAuth"
"""The OpenAPI security scheme of account and worker-session tokens (`Authorization: Bearer <token>`)."""


def documents_security(view, *, optional: bool = False):
    """Say in the OpenAPI document that `view` takes a bearer token (required, or `optional`).

    Called by the decorators that decide it (`require`, `worker_required`, `token_optional`), so the document
    and the code cannot disagree about who needs a token.
    """
    requirement = [{}, {BEARER: []}] if optional else [{BEARER: []}]
    return Blueprint.doc(security=requirement)(view)


def commit() -> None:
    """End the request's one transaction."""
    db.session.commit()


ERRORS = ErrorSchema
