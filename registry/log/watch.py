"""The scheduled verification: replay everything in a snapshot of its own, and turn what it finds into alarms.

`verify_and_alarm` is what the jobs process runs hourly (jobs/verification.py); `flask log verify` records its
local report the same way with `record_outcome`. Neither commits.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..database import is_sqlite, read_only_transactions, reset_transactions
from ..extensions import db
from ..keys import KeyRing
from . import alarms, findings
from .verify import Report, verify_local


@dataclass(frozen=True)
class Outcome:
    report: Report
    raised: list[int]  # alarm ids raised or counted again, one per finding
    resolved: list[int]  # open alarms this verification no longer finds


def verify_and_alarm(ring: KeyRing, origin: str) -> Outcome:
    """Verify the whole log and replay every record in one snapshot; raise, count and resolve alarms."""
    return record_outcome(verify_in_snapshot(ring, origin))


def verify_in_snapshot(ring: KeyRing, origin: str) -> Report:
    """`verify_local` in a read-only transaction of its own, so a change committed meanwhile is no false alarm.

    The entries and the records are read at one moment: REPEATABLE READ on PostgreSQL, a DEFERRED
    transaction (a WAL snapshot from its first read) on SQLite. Its own application context gives it its
    own session, apart from the caller's transaction.
    """
    with current_app.app_context():
        token = read_only_transactions()
        try:
            if not is_sqlite(db.engine):
                db.session.connection(execution_options={"isolation_level": "REPEATABLE READ",
                                                         "postgresql_readonly": True})
            return verify_local(ring, origin)
        finally:
            db.session.rollback()
            reset_transactions(token)


def record_outcome(report: Report) -> Outcome:
    """Raise (or count again) one alarm per finding, and resolve the open ones no longer found."""
    found = findings.findings(report.failures, report.about, public_names(set(report.about.values())))
    raised = []
    for f in found:
        details = {"zh": f.zh, "en": f.en, "todo_zh": f.todo_zh, "todo_en": f.todo_en,
                   "subject": f.subject, "problems": f.problems[:alarms.MAX_PROBLEMS]}
        raised.append(alarms.raise_alarm(f.kind, f.en, details).id)
    resolved = alarms.resolve_missing(findings.KINDS, {f.en for f in found})
    return Outcome(report, raised, resolved)


def public_names(keys: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(kind, log_ref) → the name operators know the record by: card number, USCC, agency code, report ref, the
    calendar's year, a bulletin's period and version ("2026-11 v2")."""
    from ..accounts.models import Agency
    from ..bulletins.models import Bulletin
    from ..calendar.models import CalendarYear
    from ..companies.models import Company
    from ..reports.models import CardReport
    from ..workers.models import Worker

    columns = {"worker": Worker.card_no, "company": Company.uscc, "agency": Agency.code, "report": CardReport.ref,
               "calendar": CalendarYear.year}
    names: dict[tuple[str, str], str] = {}
    for kind, column in columns.items():
        refs = sorted(ref for k, ref in keys if k == kind)
        model = column.class_
        for start in range(0, len(refs), 500):
            rows = db.session.execute(
                select(model.log_ref, column).where(model.log_ref.in_(refs[start:start + 500])))
            names.update({(kind, ref): str(name) for ref, name in rows})
    refs = sorted(ref for k, ref in keys if k == "bulletin")
    for start in range(0, len(refs), 500):
        rows = db.session.execute(select(Bulletin.log_ref, Bulletin.period_key, Bulletin.version)
                                  .where(Bulletin.log_ref.in_(refs[start:start + 500])))
        names.update({("bulletin", ref): f"{key} v{version}" for ref, key, version in rows})
    return names
