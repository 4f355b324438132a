"""tasks domain: the queue of long tasks that the jobs process runs."""
from . import models  # noqa: F401  (the tables)


def register(app):
    """Load the handler modules: the web enqueues only kinds it knows."""
    from .handlers import load_handler_modules

    load_handler_modules()
