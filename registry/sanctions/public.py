"""What the public sees of a published sanction, from plain values (双公示 fields).

Kept apart from `views_model` (which reads the services) so the card view,
which reads a sanction's values in its one statement without the ORM, builds
exactly the same projection.
"""
from __future__ import annotations

from datetime import date

from . import rules


def labels(table: dict, code: str | None) -> dict | None:
    if code is None:
        return None
    zh, en = table.get(code, (code, code))
    return {"zh": zh, "en": en}


def published_view(*, ref: str, kind: str, severity: str, decision_no: str | None, decision_date: date | None,
                   legal_basis: str, agency: dict, window_end: date | None,
                   objection_pending: bool | None = None) -> dict:
    """Kind, severity, decision number and date, basis, issuing agency and the window's last day; and whether an
    objection of its subject is being handled (`objection_pending`: the card and company views and the search say
    so). None leaves the mark out: a disclosure bulletin is a period's record and does not carry it yet."""
    view = {
        "ref": ref,
        "kind": kind,
        "kind_label": labels(rules.KINDS, kind),
        "severity": severity,
        "severity_label": labels(rules.SEVERITIES, severity),
        "decision_no": decision_no,
        "decision_date": decision_date,
        "legal_basis": legal_basis,
        "agency": agency,
        "window_end": window_end,
    }
    if objection_pending is not None:
        view["objection_pending"] = objection_pending
    return view
