"""Public disclosure bulletins (公示公告): the monthly and weekly signed PDFs and open data of the blacklist."""


def register(app):
    """Attach this domain's API, its pages (public and the regulators'), its downloads and feed (registry/cli.py
    adds `flask bulletins`)."""
    from ..extensions import api
    from . import api as api_mod
    from . import (
        models,  # noqa: F401 — the aggregate's tables, for the metadata and the log's replay
        regulator_views,
        views,
    )

    api.register_blueprint(api_mod.blp)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.files_bp)
    app.register_blueprint(regulator_views.bp)
