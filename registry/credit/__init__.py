"""Credit scores (信用积分): the versioned rules (`rules.py`, `versions/`), the pure scoring (`scoring.py`), the facts
read from the database (`inputs.py`) and the kept scores (`score_models.py`, `services.py`); `flask credit rebuild`
(`cli.py`).

See docs/rules.md, "Credit scores (信用积分)".
"""
from . import score_models  # noqa: F401  (the table, for the metadata)


def register(app):
    """Nothing to attach yet: no routes (the scores' table is in the metadata by this package's import)."""
