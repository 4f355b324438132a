"""The jobs process's own heartbeat (registry/tasks/heartbeats.py): a row rewritten every few seconds."""
from __future__ import annotations

import logging

from flask import Flask

from registry import clock
from registry.extensions import db
from registry.move.marker import moving
from registry.tasks import heartbeats

log = logging.getLogger(__name__)


def beat(app: Flask, owner: str, schedules: dict[str, int]) -> bool:
    """Record that this process is alive; whether the beat was stored (a database outage only skips a beat)."""
    with app.app_context():
        if moving():
            return False  # the database takes no writes while it is moved; /readyz says the jobs are idle
        try:
            heartbeats.beat(owner, clock.now(), schedules)
            db.session.commit()
            return True
        except Exception as exc:  # noqa: BLE001 — a missed beat is retried at the next; the type says why
            db.session.rollback()
            log.warning("heartbeat not stored (%s)", type(exc).__name__)
            return False


def stopped(app: Flask, owner: str) -> None:
    """Remove this process's heartbeat as it stops, so it is not taken for one that died."""
    with app.app_context():
        try:
            heartbeats.stopped(owner)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 — the row then lapses like a dead process's
            db.session.rollback()
            log.warning("heartbeat not removed (%s)", type(exc).__name__)
