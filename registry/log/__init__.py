"""The change record (and, in a later issue, the transparency log)."""


def register(app):
    """Load the models."""
    from . import models  # noqa: F401
