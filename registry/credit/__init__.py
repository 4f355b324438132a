"""Credit (信用): scores (信用积分) and what counts for a company beyond its sanctions and complaints.

- Scores: the versioned rules (`rules.py`, `versions/`), the pure scoring (`scoring.py`), the facts read from the
  database (`inputs.py`), the kept scores (`score_models.py`, `services.py`) and how they follow every change
  (`feeds.py`, `keeping.py`); `flask credit rebuild` (`cli.py`). See docs/rules.md, "Credit scores (信用积分)".
- Commendations (表彰, 守信激励) are their own aggregate (`commendation`): recorded by a regulator of a sector the
  company is in (or market supervision), revoked only by the recording agency, public while in force. Rules and
  sources: docs/rules.md, "Commendations (表彰)".
- The red list (守信激励, `red_list.py`): verified firms graded AAA and firms commended, never a firm a serious
  listing binds; GET /api/v1/red-list and the page /red-list. Rules: docs/rules.md, "The red list (红名单)".
- Adopting a rules version (`adoption.py`, the `credit_rules` aggregate): the version in force is the latest
  adoption's, else the one in code; adopting queues the recompute of every score (`tasks.py`); `flask credit
  adopt`, GET /api/v1/credit/rules, POST /api/v1/credit/rules/adoptions and the operators' page /admin/credit/rules.
"""
from . import models, score_models  # noqa: F401  (the tables)


def register(app):
    """Attach this domain's API and pages, and keep the scores current with every commit that logged a change (a
    session listener)."""
    from ..extensions import api
    from . import (
        commendations_api,
        commendations_views,
        keeping,  # noqa: F401  (registers the listener)
        red_list_api,
        red_list_views,  # noqa: F401  (its page is on commendations_views.bp)
        rules_api,
        rules_views,
    )

    api.register_blueprint(commendations_api.blp)
    api.register_blueprint(red_list_api.blp)
    api.register_blueprint(rules_api.blp)
    app.register_blueprint(commendations_views.bp)
    app.register_blueprint(rules_views.bp)
