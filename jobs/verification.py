"""Scheduled full verification of the transparency log (a replay of every record)."""
from __future__ import annotations

import logging

from flask import current_app

from registry.extensions import db
from registry.keys import keyring
from registry.log.watch import verify_and_alarm
from registry.tasks.models import JobRun

log = logging.getLogger(__name__)


def verify_log(_run: JobRun) -> None:
    """Verify everything and replay every record; what fails becomes alarms, committed here (a long job: the
    runner holds no lock while the replay reads)."""
    outcome = verify_and_alarm(keyring(), current_app.config["LOG_ORIGIN"])
    db.session.commit()
    if outcome.raised or outcome.resolved:
        log.warning("log verification: %d problems, alarms %s raised or counted, %s resolved",
                    len(outcome.report.failures), outcome.raised, outcome.resolved)
    else:
        log.info("log verification: no problems")
