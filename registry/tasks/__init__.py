"""tasks domain: the queue of long tasks that the jobs process runs."""
from . import models  # noqa: F401  (the tables)


def register(app):
    """Attach the API and the operators' page, and load the handler modules: the web enqueues only kinds it knows."""
    from ..extensions import api
    from . import views
    from .api import blp
    from .handlers import load_handler_modules

    api.register_blueprint(blp)
    app.register_blueprint(views.bp)
    load_handler_modules()
