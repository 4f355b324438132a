"""The companies domain."""


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod, models, views  # noqa: F401

    api.register_blueprint(api_mod.blp)
    app.register_blueprint(views.bp)
