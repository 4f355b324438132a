"""Public disclosure bulletins (公示公告): the monthly and weekly signed PDFs and open data of the blacklist."""


def register(app):
    """Attach this domain's API."""
    from ..extensions import api
    from . import api as api_mod

    api.register_blueprint(api_mod.blp)
