"""Credit scores (信用积分): the versioned rules (`rules.py`, `versions/`), the pure scoring (`scoring.py`), the facts
read from the database (`inputs.py`), the kept scores (`score_models.py`, `services.py`) and how they follow every
change (`feeds.py`, `keeping.py`); `flask credit rebuild` (`cli.py`).

See docs/rules.md, "Credit scores (信用积分)".
"""
from . import score_models  # noqa: F401  (the table, for the metadata)


def register(app):
    """Keep the scores current with every commit that logged a change (a session listener; no routes yet)."""
    from . import keeping  # noqa: F401  (registers the listener)
