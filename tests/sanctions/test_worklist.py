"""The regulator's worklist (/regulator): each bucket as time passes, its scope, and landing there after sign-in."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from registry.clock import today as shanghai_today
from registry.errors import ApiError
from registry.extensions import db
from registry.log.services import ANONYMOUS_ACTOR
from registry.reports.services import file_report, reference_of
from registry.sanctions import services as sanctions
from registry.sanctions.worklist import worklist
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import NOTICE_REASONS, record
from tests.support.webutil import login, post_form, text

WED = date(2026, 6, 3)  # a Wednesday; 7 working days later is Friday 12 June (no holiday in between)


class Regs:
    def __init__(self, factory):
        agency = factory.agency("housekeeping")
        self.a = factory.agency_user(agency)
        self.b = factory.agency_user(agency)
        self.other = factory.agency_user(factory.agency("property"))


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(WED)
    return green_worker(factory), Regs(factory)


def refs(items) -> list[str]:
    return [i.sanction.ref for i in items]


def reload(account):
    db.session.rollback()
    return db.session.merge(account)


def signed_in(app, reg):
    """A browser of `reg`, signed in now (after the clock moved, the earlier session has lapsed; a TOTP code
    counts once per 30-second step, so the step last used is forgotten, as waiting would)."""
    reg.account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    resp = login(c, reg.account.login, reg.password, reg.totp_secret)
    assert resp.status_code == 302, resp.status_code
    return c


def test_a_decision_is_due_until_its_seventh_working_day_and_overdue_after(world, factory, clock):
    w, regs = world
    fine = record(factory, regs.a.account, worker=w.worker, kind="fine", severity="general", months=3,
                  decision_date=WED, today=WED)
    deadline = sanctions.publication_deadline(fine)
    # Seven working days: the weekend of 6-7 June does not count.
    assert deadline.day == date(2026, 6, 12)
    for day, overdue in ((WED, False), (date(2026, 6, 10), False), (date(2026, 6, 12), False),
                         (date(2026, 6, 13), True), (date(2026, 6, 15), True)):
        work = worklist(regs.a.account, day)
        (item,) = work.publication
        assert (item.sanction.ref, item.deadline, item.overdue) == (fine.ref, deadline, overdue), day
        assert work.overdue == int(overdue)
    # Another agency's regulator reads the sanction but has nothing to do about it.
    assert worklist(regs.other.account, WED).publication == []
    # Published: done.
    sanctions.publish_sanction(factory.ring, regulator=regs.a.account, sanction=fine, today=WED)
    db.session.commit()
    assert worklist(regs.a.account, WED).publication == []


def test_the_page_marks_overdue_and_provisional_deadlines(world, factory, clock, app):
    w, regs = world
    fine = record(factory, regs.a.account, worker=w.worker, kind="fine", severity="general", months=3,
                  decision_date=WED, today=WED)
    clock.freeze(date(2026, 6, 13))  # a Saturday: the Friday deadline has passed
    page = text(signed_in(app, regs.a).get("/regulator"))
    row = page.split(f'id="due-{fine.ref}"')[1].split("</tr>")[0]
    assert 'datetime="2026-06-12"' in row and "已逾期" in row
    assert ('class="badge badge-pending provisional"' in row) == sanctions.publication_deadline(fine).provisional
    assert 'id="overdue-count"' in page


def test_a_deadline_in_a_year_without_the_official_calendar_is_provisional(world, factory, clock, app):
    w, regs = world
    day = date(2027, 3, 10)  # a Wednesday in a year whose holiday schedule is not published
    clock.freeze(day)
    fine = record(factory, regs.a.account, worker=w.worker, kind="fine", severity="general", months=3,
                  decision_date=day, today=day)
    (item,) = worklist(regs.a.account, day).publication
    assert item.deadline.provisional and item.deadline.day == date(2027, 3, 19)
    assert not item.overdue
    page = text(signed_in(app, regs.a).get("/regulator?lang=en"))
    row = page.split(f'id="due-{fine.ref}"')[1].split("</tr>")[0]
    assert "provisional" in row and "overdue" not in row


def test_a_minor_sanction_without_a_window_is_not_to_publish(world, factory):
    w, regs = world
    record(factory, regs.a.account, worker=w.worker, kind="warning", severity="minor", today=WED)
    assert worklist(regs.a.account, WED).publication == []


def test_a_notice_is_ready_to_decide_the_day_after_its_objection_window(world, factory, clock):
    w, regs = world
    s = record(factory, regs.a.account, worker=w.worker, kind="serious_list", severity="serious", months=12,
               today=WED)
    assert worklist(regs.a.account, WED).ready_to_decide == []
    sanctions.notify_sanction(factory.ring, regulator=regs.a.account, sanction=s, today=WED, reasons=NOTICE_REASONS)
    db.session.commit()
    until = sanctions.objection_until(s)
    assert worklist(regs.a.account, until.day).ready_to_decide == []
    (item,) = worklist(regs.a.account, until.day + timedelta(days=1)).ready_to_decide
    assert item.sanction.ref == s.ref and item.objection_until == until
    assert worklist(regs.other.account, until.day + timedelta(days=1)).ready_to_decide == []


def test_a_decided_listing_awaits_a_second_regulator_and_says_who_cannot_approve(world, factory, clock, app):
    w, regs = world
    s = record(factory, regs.a.account, worker=w.worker, kind="serious_list", severity="serious", months=12,
               today=WED)
    sanctions.notify_sanction(factory.ring, regulator=regs.a.account, sanction=s, today=WED, reasons=NOTICE_REASONS)
    db.session.commit()
    day = sanctions.objection_until(s).day + timedelta(days=1)
    clock.freeze(day)
    sanctions.decide_sanction(factory.ring, regulator=regs.a.account, sanction=s, today=day,
                              decision_no="商务信〔2026〕5号")
    db.session.commit()
    (mine,) = worklist(regs.a.account, day).awaiting_approval
    assert mine.sanction.ref == s.ref and mine.cannot_approve == (regs.a.account.ref,) and not mine.may_approve
    (theirs,) = worklist(regs.b.account, day).awaiting_approval
    assert theirs.may_approve
    # A decided listing is not yet to publish: it binds only once approved.
    assert worklist(regs.a.account, day).publication == []
    page = text(signed_in(app, regs.a).get("/regulator"))
    item = page.split(f'id="approval-{s.ref}"')[1].split("</li>")[0]
    assert regs.a.account.login in item and "您不能复核" in item
    page = text(signed_in(app, regs.b).get("/regulator"))
    assert "您可以复核" in page.split(f'id="approval-{s.ref}"')[1].split("</li>")[0]
    # Approved, it is due for publication, its 7 working days counted from the decision.
    sanctions.approve_sanction(factory.ring, regulator=regs.b.account, sanction=s, today=day)
    db.session.commit()
    work = worklist(regs.a.account, day)
    assert work.awaiting_approval == [] and refs(work.publication) == [s.ref]
    assert work.publication[0].deadline == sanctions.publication_deadline(s)


def test_open_card_reports_are_listed_as_the_queue_scopes_them(world, factory, app):
    w, regs = world
    report = file_report(factory.ring, actor=ANONYMOUS_ACTOR, worker=w.worker, reason="fake", text=None).report
    db.session.commit()
    assert [r.ref for r in worklist(regs.a.account, WED).open_reports] == [report.ref]
    # The worker's employer is a housekeeping company: not the property regulators' report.
    assert worklist(regs.other.account, WED).open_reports == []
    page = text(signed_in(app, regs.a).get("/regulator"))
    assert f'id="worklist-report-{report.ref}"' in page and reference_of(report) in page


def test_only_regulators_have_a_worklist(world, factory, client):
    w, _regs = world
    with pytest.raises(ApiError) as e:
        worklist(w.admin, WED)
    assert e.value.status == 403
    login(client, w.admin.login, "correct horse battery")
    assert client.get("/regulator").status_code == 403


def test_regulators_land_on_the_worklist_after_sign_in_and_next_still_wins(app, factory, clock):
    clock.freeze(shanghai_today())
    agency = factory.agency("market")
    for role in ("regulator", "regulator_admin"):
        reg = factory.agency_user(agency, role=role)
        c = app.test_client()
        resp = login(c, reg.account.login, reg.password, reg.totp_secret)
        assert resp.status_code == 302 and resp.headers["Location"] == "/regulator", role
        page = text(c.get("/regulator"))
        assert 'id="nav-worklist"' in page and re.search(r'<h1>工作台</h1>', page)
    reg = factory.agency_user(agency)
    c = app.test_client()
    assert c.get("/admin/reports").headers["Location"] == "/login?next=/admin/reports"
    login(c, reg.account.login, reg.password, query_string={"next": "/admin/reports"})
    resp = post_form(c, "/login/totp", {"code": factory.totp_now(reg.totp_secret)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/reports"
