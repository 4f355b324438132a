"""Sanctions for tests: regulators of an agency and sanctions recorded through the services."""
from __future__ import annotations

from datetime import date

from registry.extensions import db
from registry.sanctions import services as sanctions

BASIS = "《家政服务合同》示范文本；《商务部家政服务业信用体系建设办法》第十二条"
FACTS = "经查，当事人在服务中多次违约，投诉人王建国（13912345678）提供了证据。"
MEASURES = "限制从事家政上门服务"
NOTICE_REASONS = "拟列入严重失信主体名单：多次违约经查属实。"


def regulators(factory, sector: str = "housekeeping", code: str | None = None):
    """Two regulators of one agency (a proposer and an approver), as accounts."""
    agency = factory.agency(sector=sector, code=code)
    first = factory.agency_user(agency).account
    second = factory.agency_user(agency).account
    db.session.commit()
    return first, second


def record(factory, regulator, *, worker=None, company=None, kind: str = "fine", severity: str = "general",
           months: int | None = None, decision_date: date | None = None, decision_no: str | None = "商务罚〔2026〕1号",
           today: date, bars_home_service: bool = False, persons=None, **extra):
    """Record a sanction (a listing: proposed; anything else: decided on `decision_date`, default today) and commit."""
    listing = kind == "serious_list"
    changed = sanctions.record_sanction(
        factory.ring, regulator=regulator, today=today, subject_kind="worker" if worker is not None else "company",
        card_no=worker.card_no if worker is not None else None, uscc=company.uscc if company is not None else None,
        kind=kind, severity=severity, legal_basis=BASIS, facts=FACTS, measures=MEASURES,
        bars_home_service=bars_home_service, publish_months=months,
        decision_no=None if listing else decision_no, decision_date=None if listing else (decision_date or today),
        persons=persons, **extra)
    db.session.commit()
    return changed.sanction


def list_serious(factory, proposer, approver, clock, *, worker=None, company=None, start: date,
                 bars_home_service: bool = True, months: int = 12, publish: bool = True):
    """A serious listing taken through notice, the objection window, decision, approval (and publication)."""
    from registry import clock as clock_mod

    clock.freeze(start)
    s = record(factory, proposer, worker=worker, company=company, kind="serious_list", severity="serious",
               months=months, today=start, bars_home_service=bars_home_service)
    delivery = {} if worker is not None else {"delivery_method": "post", "delivered_on": start}
    sanctions.notify_sanction(factory.ring, regulator=proposer, sanction=s, today=start,
                              reasons=NOTICE_REASONS, **delivery)
    db.session.commit()
    until = sanctions.objection_until(s).day
    from datetime import timedelta
    clock.freeze(until + timedelta(days=1))
    today = clock_mod.today()
    sanctions.decide_sanction(factory.ring, regulator=proposer, sanction=s, today=today,
                              decision_no="商务信〔2026〕9号")
    db.session.commit()
    sanctions.approve_sanction(factory.ring, regulator=approver, sanction=s, today=today)
    db.session.commit()
    if publish:
        sanctions.publish_sanction(factory.ring, regulator=proposer, sanction=s, today=today)
        db.session.commit()
    return s
