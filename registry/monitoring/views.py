"""GET /metrics: Prometheus's text format (thin: who may read, what the database says, the exposition)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST

from .. import clock
from ..database import unavailable
from ..extensions import db
from . import gauges
from .access import scrape_refusal
from .metrics import exposition

bp = Blueprint("monitoring", __name__)


@bp.get("/metrics")
def metrics():
    cfg = current_app.config
    refusal = scrape_refusal(cfg["METRICS_TOKEN"], request.headers.get("Authorization"), request.remote_addr,
                             production=cfg["ENV_NAME"] not in {"development", "test"} and not cfg.get("TESTING"))
    if refusal is not None:
        raise refusal
    try:
        snapshot = gauges.read(clock.now(), cfg["READY_JOBS_SECONDS"] or gauges.DEFAULT_ALIVE_SECONDS)
    except Exception as exc:
        if not unavailable(exc):
            raise
        # The request metrics still answer, and `jiaxin_database_up 0` says why the rest is missing.
        db.session.rollback()
        snapshot = None
    resp = Response(exposition(gauges.families(snapshot)), mimetype=CONTENT_TYPE_LATEST)
    resp.headers["Cache-Control"] = "no-store"
    return resp
