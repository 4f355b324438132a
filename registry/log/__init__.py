"""The change record and the transparency log: stored hashes, checkpoints, proofs, verification."""


def register(app):
    """Load the models; attach the public log API and the pages (registry/cli.py adds the `log` commands)."""
    from ..extensions import api
    from . import api as api_mod
    from . import (
        models,  # noqa: F401  (the tables)
        tiles_views,
        views,
    )

    api.register_blueprint(api_mod.blp)
    api.register_blueprint(api_mod.states_blp)
    app.register_blueprint(views.bp)
    app.register_blueprint(tiles_views.bp)
