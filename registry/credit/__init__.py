"""Credit (信用): scores (信用积分) and what counts for a company beyond its sanctions and complaints.

- The score rules as data (`rules.py`, `versions/`) and the pure scoring (`scoring.py`): see docs/rules.md,
  "Credit scores (信用积分)".
- Commendations (表彰, 守信激励) are their own aggregate (`commendation`): recorded by a regulator of a sector the
  company is in (or market supervision), revoked only by the recording agency, public while in force. Rules and
  sources: docs/rules.md, "Commendations (表彰)".
"""
from . import models  # noqa: F401  (the tables)


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import commendations_api, commendations_views

    api.register_blueprint(commendations_api.blp)
    app.register_blueprint(commendations_views.bp)
