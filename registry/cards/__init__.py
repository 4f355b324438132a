"""Home-service cards (居家上门服务证): issue, print, signed QR codes."""
import importlib.util


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import models  # noqa: F401

    if importlib.util.find_spec(f"{__name__}.api"):
        from . import api as api_mod

        api.register_blueprint(api_mod.blp)
    if importlib.util.find_spec(f"{__name__}.views"):
        from . import views

        app.register_blueprint(views.bp)
