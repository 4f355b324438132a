"""Traceability (追溯): service records, the household reference, review codes and reviews.

A company records each service one of its workers performs: who, what, where
(the district), when, and for which household. The customer's phone is used
once, to derive the household reference and to send the review code, and is
then dropped (docs/privacy.md, "Customers"). Reviews hang on a service and sit
in its aggregate (`service`).
"""
from . import import_models, models  # noqa: F401  (the tables)


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod
    from . import (  # noqa: F401
        import_api,
        import_views,
        review_objections_api,
        review_objections_views,
        reviews_api,
        reviews_views,
        views,
    )

    api.register_blueprint(api_mod.blp)
    app.register_blueprint(views.bp)
    # Reviews: the customer's review with the code, the company's reply, the company's list.
    api.register_blueprint(reviews_api.blp)
    app.register_blueprint(reviews_views.bp)
    # Objections (异议) to a review by its company or worker, answered by a regulator (pages on reviews_views.bp).
    api.register_blueprint(review_objections_api.blp)
    # Service files: upload, progress, report (a queued task, `trace/imports.py`).
    api.register_blueprint(import_api.blp)
    app.register_blueprint(import_views.bp)
