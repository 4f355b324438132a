"""accounts domain."""


def register(app):
    """Attach routes."""
