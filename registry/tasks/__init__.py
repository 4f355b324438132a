"""The queue of long tasks run by the jobs process."""
import importlib.util


def register(app):
    """Load the models."""
    if importlib.util.find_spec(f"{__name__}.models"):
        from . import models  # noqa: F401
