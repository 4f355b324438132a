"""One sanction, a projection per audience, by composition: public → notice (its subject) → regulator.

The public sees what 双公示 publishes — kind, severity, decision number and
date, basis, issuing agency, the window's end — with persons masked; the
subject sees its notice (reasons, basis, rights, objection window); regulators
see everything, the facts opened. Names are only ever the masked form here.
"""
from __future__ import annotations

from datetime import date

from ..calendar.services import Schedule
from ..complaints.services import reference_of as complaint_reference
from ..keys import KeyRing
from ..reports.services import reference_of
from . import repair, rules
from . import services as sanctions
from .models import Sanction
from .objections import is_pending
from .public import published_view


def _labels(table: dict, code: str | None) -> dict | None:
    if code is None:
        return None
    zh, en = table.get(code, (code, code))
    return {"zh": zh, "en": en}


def agency_view(sanction: Sanction) -> dict:
    a = sanction.agency
    return {"code": a.code, "name_zh": a.name_zh, "name_en": a.name_en, "sector": a.sector}


def subject_view(sanction: Sanction) -> dict:
    """The subject as the public sees it: a worker by card number and masked name, a company by code and name."""
    if sanction.subject_kind == "worker":
        w = sanction.worker
        return {"kind": "worker", "card_no": w.card_no, "name_masked": w.name_masked}
    c = sanction.company
    return {"kind": "company", "uscc": c.uscc, "name": c.name}


def public_view(sanction: Sanction) -> dict:
    """What the public sees of a published sanction (the card and company views, the search)."""
    return published_view(ref=sanction.ref, kind=sanction.kind, severity=sanction.severity,
                          decision_no=sanction.decision.decision_no if sanction.decision else None,
                          decision_date=sanction.decision_date, legal_basis=sanction.legal_basis,
                          agency=agency_view(sanction), window_end=sanction.window_end,
                          objection_pending=is_pending(sanction))


def listing_view(sanction: Sanction) -> dict:
    """A search result: the public view with its subject and any named persons, masked."""
    return {**public_view(sanction), "subject": subject_view(sanction),
            "persons": [{"role": p.role, "role_label": _labels(rules.PERSON_ROLES, p.role),
                         "name_masked": p.name_masked,
                         "card_no": p.worker.card_no if p.worker is not None else None}
                        for p in sanction.persons]}


def _deadline(d) -> dict | None:
    return None if d is None else {"day": d.day, "provisional": d.provisional}


def notice_view(ring: KeyRing, sanction: Sanction, *, using: Schedule | None = None) -> dict:
    """What the subject sees of a listing noticed to it: reasons, basis, rights and the objection window.

    `using`: one calendar schedule for a list of views (see `services.objection_until`).
    """
    notice = sanction.notice
    until = sanctions.objection_until(sanction, using=using)
    return {
        **public_view(sanction),
        "subject": subject_view(sanction),
        "state": sanction.state,
        "state_label": _labels(rules.STATES, sanction.state),
        "reasons": sanctions.notice_reasons(ring, sanction),
        "measures": sanction.measures,
        "rights": {"zh": RIGHTS_ZH, "en": RIGHTS_EN},
        "delivery_method": notice.delivery_method if notice else None,
        "delivered_on": notice.delivered_on if notice else None,
        "objection_days": notice.objection_days if notice else None,
        "objection_until": _deadline(until),
    }


RIGHTS_ZH = ("您有权在异议期内对拟列入严重失信主体名单的事由和依据提出异议，并提交证据；"
             "监管部门将在规定时间内核实并答复。"
             "列入决定将写明理由、依据、惩戒措施、移出条件和救济途径；您也可依法申请行政复议或提起行政诉讼。")
RIGHTS_EN = ("You may object to the reasons and basis for the proposed serious-dishonesty listing within the objection "
             "window and submit evidence; the regulator checks and answers within the set time. A listing decision "
             "states its reasons, basis, measures, the conditions for removal and the remedies; you may also apply "
             "for administrative review or bring an administrative lawsuit.")


def regulator_view(ring: KeyRing, sanction: Sanction, today: date, *, using: Schedule | None = None) -> dict:
    """Everything a regulator sees: the notice view plus facts, persons, states, deadlines and history."""
    decision = sanction.decision
    return {
        **notice_view(ring, sanction, using=using),
        "subject": subject_view(sanction),
        "facts": sanctions.facts_of(ring, sanction),
        "bars_home_service": sanction.bars_home_service,
        "publish_months": sanction.publish_months,
        "persons": listing_view(sanction)["persons"],
        "origin_report": None if sanction.origin_report is None else reference_of(sanction.origin_report),
        "origin_complaint": None if sanction.origin_complaint is None else complaint_reference(
            sanction.origin_complaint),
        "proposed_by": sanction.proposed_by,
        "decided_by": decision.decided_by if decision else None,
        "approved_by": [a.approved_by for a in sanction.approvals],
        "published_dt": sanction.published_dt,
        "expired_dt": sanction.expired_dt,
        "public": sanction.is_public(today),
        "in_effect": sanction.is_in_effect(today),
        "publication_deadline": _deadline(sanctions.publication_deadline(sanction, using=using)),
        "corrections": [{"fields": c.fields.split(","), "reason": c.reason, "corrected_by": c.corrected_by,
                         "corrected_dt": c.corrected_dt} for c in sanction.corrections],
        "repairs": [repair.repair_view(ring, r) for r in sanction.repairs],
        "withdrawal": repair.withdrawal_view(sanction.withdrawal),
        "created_dt": sanction.created_dt,
    }
