"""Reports about a card ("report this card" at the door) and the regulators' queue that handles them."""
from . import models  # noqa: F401  (the tables)


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod
    from . import views

    api.register_blueprint(api_mod.blp)
    app.register_blueprint(views.bp)
