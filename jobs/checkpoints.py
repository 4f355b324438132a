"""Scheduled signing of the transparency log's checkpoints."""
from __future__ import annotations

import logging

from flask import current_app

from registry.keys import keyring
from registry.log.checkpoints import sign_if_grown
from registry.tasks.models import JobRun

log = logging.getLogger(__name__)


def sign_checkpoint(_run: JobRun) -> None:
    """Sign a checkpoint if the log has grown; a refusal is an alarm, committed with the run."""
    outcome = sign_if_grown(keyring(), current_app.config["LOG_ORIGIN"])
    if outcome.status == "refused":
        log.error("checkpoint of size %d refused (alarm %s): %s", outcome.size, outcome.alarm_id,
                  outcome.problems[0] if outcome.problems else "")
