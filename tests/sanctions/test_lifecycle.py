"""A sanction's lifecycle through the services, with time moved by the clock seam: each change one entry."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.notify.models import OutboxMessage
from registry.sanctions import access
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import NOTICE_REASONS, list_serious, record, regulators

START = date(2026, 5, 29)  # a Friday


def entries(subject: str | None = None) -> list[LogEntry]:
    db.session.rollback()
    q = select(LogEntry).order_by(LogEntry.seq)
    if subject:
        q = q.where(LogEntry.subject == subject)
    return db.session.execute(q).scalars().all()


def log_size() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(START)
    w = green_worker(factory)
    proposer, approver = regulators(factory, "housekeeping", code="hk2")
    return w, proposer, approver


def test_a_general_fine_is_public_from_its_decision_to_its_windows_last_day(world, factory, clock):
    w, reg, _ = world
    clock.freeze(date(2026, 6, 1))
    s = record(factory, reg, worker=w.worker, severity="general", months=3, decision_date=date(2026, 5, 31),
               today=date(2026, 6, 1))
    assert s.state == "decided" and s.window_end == date(2026, 8, 31)
    assert not s.is_public(date(2026, 6, 1))
    sanctions.publish_sanction(factory.ring, regulator=reg, sanction=s, today=date(2026, 6, 1))
    db.session.commit()
    assert [e.action for e in entries(s.log_ref)] == ["sanction:record", "sanction:publish"]
    for day, public in ((date(2026, 8, 31), True), (date(2026, 9, 1), False)):
        assert [x.ref for x in sanctions.published_for(worker_id=w.worker.id, today=day)] == ([s.ref] if public else [])
    clock.freeze(date(2026, 8, 31))
    assert sanctions.expire_due(factory.ring, shanghai_today()) == 0
    clock.freeze(date(2026, 9, 1))
    assert sanctions.expire_due(factory.ring, shanghai_today()) == 1
    db.session.commit()
    size = log_size()
    assert sanctions.expire_due(factory.ring, shanghai_today()) == 0
    db.session.commit()
    assert log_size() == size
    assert db.session.get(Sanction, s.id).state == "expired"
    assert [e.action for e in entries(s.log_ref)][-1] == "sanction:expire"


def test_a_minor_warning_is_not_published_unless_a_window_is_set(world, factory, clock):
    w, reg, _ = world
    s = record(factory, reg, worker=w.worker, kind="warning", severity="minor", today=START)
    assert s.publish_months is None and s.window_end is None
    with pytest.raises(ApiError) as e:
        sanctions.publish_sanction(factory.ring, regulator=reg, sanction=s, today=START)
    assert e.value.code == "not_published"
    db.session.rollback()
    sanctions.correct_sanction(factory.ring, regulator=reg, sanction=s, today=START, changes={"publish_months": 3},
                               reason="当事人拒不改正，决定公示")
    db.session.commit()
    sanctions.publish_sanction(factory.ring, regulator=reg, sanction=s, today=START)
    db.session.commit()
    assert s.window_end == date(2026, 8, 29)
    assert s.is_public(date(2026, 8, 29)) and not s.is_public(date(2026, 8, 30))
    with pytest.raises(ApiError) as e:
        sanctions.correct_sanction(factory.ring, regulator=reg, sanction=s, today=START,
                                   changes={"publish_months": 4}, reason="延长")
    assert e.value.fields == {"publish_months": {"en": "A minor sanction is published for 1 to 3 months.",
                                                 "zh": "轻微失信信息的公示期为 1 至 3 个月。"}}


def test_a_serious_listing_goes_through_notice_decision_approval_and_publication(world, factory, clock):
    w, proposer, approver = world
    before = log_size()
    s = list_serious(factory, proposer, approver, clock, worker=w.worker, start=START, months=12)
    assert [e.action for e in entries(s.log_ref)] == [
        "sanction:record", "sanction:notify", "sanction:decide", "sanction:approve", "sanction:publish"]
    assert log_size() == before + 5
    # The text message went to the worker's phone on record, sealed in the outbox.
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.kind == "notice")).scalar_one() == 1
    decided = s.decision_date
    assert s.window_end == date(decided.year + 1, decided.month, decided.day)
    assert access.serious_listed(w.worker.id, decided)
    assert not access.serious_listed(w.worker.id, s.window_end + timedelta(days=1))


def test_decision_refused_while_the_objection_window_runs(world, factory, clock):
    w, proposer, _ = world
    s = record(factory, proposer, worker=w.worker, kind="serious_list", severity="serious", today=START)
    with pytest.raises(ApiError) as e:
        sanctions.decide_sanction(factory.ring, regulator=proposer, sanction=s, today=START, decision_no="x")
    assert e.value.code == "wrong_state"
    db.session.rollback()
    sanctions.notify_sanction(factory.ring, regulator=proposer, sanction=s, today=START, reasons=NOTICE_REASONS)
    db.session.commit()
    until = sanctions.objection_until(s).day
    assert until > START
    for day in (START, until):
        with pytest.raises(ApiError) as e:
            sanctions.decide_sanction(factory.ring, regulator=proposer, sanction=s, today=day, decision_no="x")
        assert e.value.code == "objection_window_open"
        db.session.rollback()
    day = until + timedelta(days=1)
    with pytest.raises(ApiError) as e:
        sanctions.decide_sanction(factory.ring, regulator=proposer, sanction=s, today=day, decision_no="x",
                                  decision_date=until)
    assert e.value.fields.keys() == {"decision_date"}
    db.session.rollback()
    sanctions.decide_sanction(factory.ring, regulator=proposer, sanction=s, today=day, decision_no="商务信〔2026〕3号")
    db.session.commit()
    assert s.state == "decided" and s.decision_date == day


def test_four_eyes_the_approver_is_not_the_proposer(world, factory, clock):
    w, proposer, approver = world
    s = list_serious(factory, proposer, approver, clock, worker=w.worker, start=START, publish=False)
    assert s.state == "approved"
    s2 = record(factory, proposer, worker=w.worker, kind="serious_list", severity="serious", today=shanghai_today())
    sanctions.notify_sanction(factory.ring, regulator=proposer, sanction=s2, today=shanghai_today(),
                              reasons=NOTICE_REASONS)
    db.session.commit()
    clock.freeze(sanctions.objection_until(s2).day + timedelta(days=1))
    sanctions.decide_sanction(factory.ring, regulator=approver, sanction=s2, today=shanghai_today(), decision_no="n")
    db.session.commit()
    for who in (proposer, approver):
        with pytest.raises(ApiError) as e:
            sanctions.approve_sanction(factory.ring, regulator=who, sanction=s2, today=shanghai_today())
        assert e.value.code == "four_eyes" and e.value.status == 403
        db.session.rollback()


def test_only_the_issuing_agency_changes_a_sanction(world, factory, clock):
    w, reg, _ = world
    other, _ = regulators(factory, "property", code="prop2")
    s = record(factory, reg, worker=w.worker, today=START)
    with pytest.raises(ApiError) as e:
        sanctions.publish_sanction(factory.ring, regulator=other, sanction=s, today=START)
    assert e.value.code == "not_issuing_agency"
    # But any regulator reads it.
    assert sanctions.get_sanction(s.ref).ref == s.ref


def test_a_company_landline_needs_the_delivery_recorded(world, factory, clock):
    _, reg, _ = world
    company, _admin = factory.company(contact_phone="028-85123456")
    db.session.commit()
    s = record(factory, reg, company=company, kind="serious_list", severity="serious", today=START,
               persons=[{"role": "legal_representative", "name": "李建国"}])
    with pytest.raises(ApiError) as e:
        sanctions.notify_sanction(factory.ring, regulator=reg, sanction=s, today=START, reasons=NOTICE_REASONS)
    assert e.value.fields.keys() == {"delivery_method"}
    db.session.rollback()
    sanctions.notify_sanction(factory.ring, regulator=reg, sanction=s, today=START,
                              reasons=NOTICE_REASONS, delivery_method="post",
                              delivered_on=START - timedelta(days=0))
    db.session.commit()
    assert s.notice.delivery_method == "post"
    state = canonical.state_of(factory.ring, s)
    assert state["persons"][0]["name_masked"] == "李*国" or state["persons"][0]["name_masked"].startswith("李")
    assert "李建国" not in str(state)


def test_bad_input_reports_every_field_and_stores_nothing(world, factory, clock):
    _, reg, _ = world
    size = log_size()
    with pytest.raises(ApiError) as e:
        sanctions.record_sanction(factory.ring, regulator=reg, today=START, subject_kind="worker", card_no=None,
                                  kind="fine", severity="serious", legal_basis=" ", facts="", measures="x",
                                  publish_months=40, decision_no=None, decision_date=None)
    assert e.value.status == 422
    assert set(e.value.fields) == {"decision_no", "decision_date", "publish_months", "legal_basis", "facts", "card_no"}
    db.session.rollback()
    assert log_size() == size
    assert db.session.execute(select(func.count()).select_from(Sanction)).scalar_one() == 0


def test_the_hourly_expiry_schedule_records_each_end_once(world, factory, clock, app):
    from dataclasses import replace

    from jobs.runner import run_scheduled
    from jobs.schedules import active_schedules

    w, reg, _ = world
    company, _admin = factory.company()
    db.session.commit()
    ended = [record(factory, reg, worker=w.worker, months=3, today=START),
             record(factory, reg, company=company, severity="serious", months=12, today=START)]
    for s in ended:
        sanctions.publish_sanction(factory.ring, regulator=reg, sanction=s, today=START)
        db.session.commit()
    unpublished = record(factory, reg, worker=w.worker, kind="warning", severity="minor", today=START)
    (schedule,) = [s for s in active_schedules({}) if s.name == "sanctions.expire"]
    assert schedule.seconds == 3600
    clock.freeze(date(2027, 5, 30))  # the second's window (to 2027-05-29) has ended too
    size = log_size()
    assert run_scheduled(app, schedule, "p1") == "ran"
    assert log_size() == size + 2
    assert {db.session.get(Sanction, s.id).state for s in ended} == {"expired"}
    assert db.session.get(Sanction, unpublished.id).state == "decided"
    # A second run (another slot) changes nothing.
    assert run_scheduled(app, replace(schedule, name="sanctions.expire.again"), "p1") == "ran"
    assert log_size() == size + 2
