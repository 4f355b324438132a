"""tasks domain: the queue of long tasks that the jobs process runs."""
from . import models  # noqa: F401  (the tables)


def register(app):
    """Attach the API and load the handler modules: the web enqueues only kinds it knows."""
    from ..extensions import api
    from .api import blp
    from .handlers import load_handler_modules

    api.register_blueprint(blp)
    load_handler_modules()
