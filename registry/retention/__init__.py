"""Retention (PIPL art. 19, 47): periods, what is due, erasure of workers, deletion of old records.

- `rules.py`: the periods (from config) and what is due on a day; pure.
- `erasure.py`: erasing one worker's personal data, one `worker:erase` entry.
- `services.py`: the daily job's work in committed batches (jobs/housekeeping.py `apply_retention`).
- `requests.py`, `api.py`, `views.py`: a regulator's or operator's erasure on a lawful request.
"""


def register(app):
    """Attach the lawful-request API and page."""
    from ..extensions import api
    from . import api as retention_api
    from . import views

    api.register_blueprint(retention_api.blp)
    app.register_blueprint(views.bp)
