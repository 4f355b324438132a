"""The public lookup: a card at the door, a company's public view."""
import importlib.util


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api

    if importlib.util.find_spec(f"{__name__}.api"):
        from . import api as api_mod

        api.register_blueprint(api_mod.blp)
    if importlib.util.find_spec(f"{__name__}.views"):
        from . import views

        app.register_blueprint(views.bp)
