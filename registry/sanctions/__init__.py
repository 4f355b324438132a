"""Sanctions and the shared blacklist (失信惩戒共鉴): recording, notice, decision, approval, publication, expiry,
credit repair and withdrawal,
the public search of published listings, and the regulators' worklist."""
from .. import attachments  # noqa: F401  (the objections' documents' table)
from . import listing_index, models  # noqa: F401  (the tables; the search index follows every flush)


def register(app):
    """Attach this domain's API and pages."""
    from ..extensions import api
    from . import api as api_mod
    from . import (  # noqa: F401  (the *_views modules add their pages to views.bp)
        listings_api,
        listings_views,
        objections_api,
        objections_views,
        repair_api,
        repair_views,
        subject_notices_api,
        views,
    )

    api.register_blueprint(api_mod.blp)
    api.register_blueprint(objections_api.blp)
    api.register_blueprint(listings_api.blp)
    api.register_blueprint(repair_api.blp)
    api.register_blueprint(subject_notices_api.blp)
    app.register_blueprint(views.bp)
