"""notify domain."""


def register(app):
    """Attach routes."""
