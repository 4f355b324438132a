"""Alarms for operators: what the checkpoint signer refused or the verifier found.

An alarm's message names entries, checkpoints, refs and public identifiers (a
card number, a USCC) only, never personal data. The same unacknowledged alarm
raised again is counted, not repeated: a signer refusing every minute, or the
hourly verification finding the same edited record, leaves one row, with the
latest details. A verification that no longer finds it marks it resolved; it
stays open until an operator acknowledges it (docs/log.md, "How to verify").
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from .. import clock
from ..extensions import db
from .models import LogAlarm

log = logging.getLogger(__name__)

MAX_PROBLEMS = 100


def raise_alarm(kind: str, message: str, details: dict | None = None) -> LogAlarm:
    """Add (or count again) an alarm in the current transaction, and log it as an ERROR."""
    log.error("log alarm %s: %s", kind, message)
    now = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    existing = db.session.execute(
        select(LogAlarm).where(LogAlarm.kind == kind, LogAlarm.message == message,
                               LogAlarm.acknowledged.is_(False)).order_by(LogAlarm.id.desc()).limit(1)
    ).scalar_one_or_none()
    if existing is not None:
        before = dict(existing.details or {})
        # Found again: no longer resolved, whatever a run in between said.
        before.pop("resolved", None)
        existing.details = {**before, **(details or {}), "repeats": int(before.get("repeats", 1)) + 1,
                            "last_seen": now}
        db.session.flush()
        return existing
    alarm = LogAlarm(kind=kind, message=message, details={**(details or {}), "repeats": 1, "last_seen": now})
    db.session.add(alarm)
    db.session.flush()
    return alarm


def resolve_missing(kinds: tuple[str, ...], found: set[str]) -> list[int]:
    """Mark the open alarms of `kinds` whose message is not in `found` resolved (now); return their ids."""
    now = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    resolved = []
    for alarm in db.session.execute(
            select(LogAlarm).where(LogAlarm.kind.in_(kinds), LogAlarm.acknowledged.is_(False))).scalars():
        if alarm.message in found or (alarm.details or {}).get("resolved"):
            continue
        alarm.details = {**(alarm.details or {}), "resolved": now}
        resolved.append(alarm.id)
    db.session.flush()
    return resolved


def summary(problems: list[str]) -> str:
    """One line for a list of problems: the first, and how many more."""
    if not problems:
        return ""
    more = len(problems) - 1
    return problems[0] + (f" (and {more} more)" if more else "")


def open_alarms(limit: int = 100) -> list[LogAlarm]:
    return list(db.session.execute(
        select(LogAlarm).where(LogAlarm.acknowledged.is_(False)).order_by(LogAlarm.id.desc()).limit(limit)
    ).scalars())


def recent_alarms(limit: int = 100) -> list[LogAlarm]:
    return list(db.session.execute(select(LogAlarm).order_by(LogAlarm.id.desc()).limit(limit)).scalars())


def acknowledge(alarm_id: int) -> bool:
    alarm = db.session.get(LogAlarm, alarm_id)
    if alarm is None:
        return False
    alarm.acknowledged = True
    db.session.flush()
    return True
