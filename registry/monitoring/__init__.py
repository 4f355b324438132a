"""What an operator watches: request latency and the registry's state for Prometheus (/metrics), readiness
(/readyz, in health.py beside /healthz) and the log lines' format (text or JSON)."""
from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The request timer and request id (before every other hook), and /metrics."""
    from ..extensions import csrf
    from .metrics import instrument
    from .views import bp

    instrument(app)
    app.register_blueprint(bp)
    csrf.exempt(bp)
