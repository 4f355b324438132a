"""The public lookup: a card at the door, a company's public view, reports to regulators."""


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod, models, views  # noqa: F401

    api.register_blueprint(api_mod.blp)
    app.register_blueprint(views.bp)
    # Reports about a card (API and pages).
    from . import reports_api, reports_views

    api.register_blueprint(reports_api.blp)
    app.register_blueprint(reports_views.bp)
