"""The public lookup: a card at the door, a company's public view."""


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod
    from . import views

    api.register_blueprint(api_mod.blp)
    app.register_blueprint(views.bp)
