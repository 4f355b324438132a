"""Bulk imports: companies upload files of staff; a task checks and registers them."""
import importlib.util


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod, models  # noqa: F401

    api.register_blueprint(api_mod.blp)
    if importlib.util.find_spec(f"{__name__}.views"):
        from . import views

        app.register_blueprint(views.bp)
