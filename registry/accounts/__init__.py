"""The accounts domain."""


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod
    from . import (
        models,  # noqa: F401  (the tables)
        views,
    )

    api.register_blueprint(api_mod.blp)
    app.register_blueprint(views.bp)
