"""log domain."""


def register(app):
    """Attach routes."""
