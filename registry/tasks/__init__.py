"""tasks domain."""


def register(app):
    """Attach routes."""
