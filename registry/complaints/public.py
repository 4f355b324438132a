"""What the public sees of complaints: substantiated ones only, ever (rules.is_public).

A substantiated complaint shows its category, the day it was concluded and the agency that concluded it —
nothing of the complainant, the text, the service or the reasons. Unfounded, rejected and pending complaints
appear in no public answer. The card view reads its complaints inside its one statement (lookup/services.py);
the company view reads them here.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import exists, select

from ..accounts.models import Agency
from ..extensions import db
from ..sanctions import objection_rules
from . import rules
from .models import Complaint, ComplaintObjection


def public_item(*, category: str, concluded_on: date, agency: dict, objection_pending: bool = False) -> dict:
    """One substantiated complaint as the public sees it (dates as ISO text: the card view writes JSON itself).

    `objection_pending`: its subject's objection (异议) is being handled (complaints/objections.py)."""
    zh, en = rules.CATEGORIES.get(category, (category, category))
    return {"category": category, "category_label": {"zh": zh, "en": en}, "concluded_on": concluded_on.isoformat(),
            "agency": agency, "objection_pending": objection_pending}


def summary(items: list[dict]) -> dict:
    """The public `complaints` field: how many are substantiated, and each, newest conclusion first."""
    items = sorted(items, key=lambda i: i["concluded_on"], reverse=True)
    return {"substantiated": len(items), "list": items}


def for_company(company_id: int) -> dict:
    """The substantiated complaints about a company (subject: the company itself)."""
    rows = db.session.execute(
        select(Complaint.category, Complaint.concluded_on, Agency.code, Agency.name_zh, Agency.name_en,
               pending_objection().label("pending"))
        .join(Agency, Agency.id == Complaint.concluded_agency_id)
        .where(Complaint.subject_kind == "company", Complaint.company_id == company_id,
               Complaint.state == rules.PUBLIC_STATE)
        .order_by(Complaint.concluded_on.desc(), Complaint.id.desc())).all()
    return summary([public_item(category=c, concluded_on=d, agency={"code": code, "name_zh": zh, "name_en": en},
                                objection_pending=bool(p))
                    for c, d, code, zh, en, p in rows])


def pending_objection(states=None):
    """The SQL condition "this complaint has a pending objection" (`states`: literals for the card view's one
    prepared statement, which renders no expanding IN list)."""
    states = list(objection_rules.PENDING_STATES) if states is None else states
    return exists().where(ComplaintObjection.complaint_id == Complaint.id, ComplaintObjection.state.in_(states))
