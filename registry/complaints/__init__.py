"""Complaints (投诉) with due process: filed by a customer or anyone at the door, handled by regulators.

A complaint is its own aggregate (`complaint`): filed anonymously (with a
service's review code, from a card page, or by the phone a service was
recorded for), accepted or rejected, investigated, and concluded as
substantiated or unfounded, each step by a regulator who handles it, with a
reason; the subject may respond before a decision; the complainant follows it
with a tracking code. Only substantiated complaints are ever public. Rules and
sources: docs/rules.md, "Complaints (投诉)"; what is kept: docs/privacy.md.
"""
from . import models  # noqa: F401  (the tables)


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod
    from . import objections_api, objections_views, views  # noqa: F401  (objections_views: routes on views.bp)

    api.register_blueprint(api_mod.blp)
    api.register_blueprint(objections_api.blp)
    app.register_blueprint(views.bp)
