"""companies domain."""


def register(app):
    """Attach routes."""
