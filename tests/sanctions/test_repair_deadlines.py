"""A credit repair application's deadline: the issuing agency answers within SANCTION_REPAIR_ANSWER_WORKING_DAYS (the
registry's default, 10) working days of the application, counted on the calendar; the worklist shows it due and
overdue like an objection's, the subject reads it, and it goes once answered."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from registry.clock import SHANGHAI
from registry.extensions import db
from registry.sanctions import repair, repair_rules, worklist
from registry.sanctions.models import SanctionRepair
from tests.support.factory import bearer
from tests.support.sanctionutil import record
from tests.support.webutil import login, text

START = date(2027, 3, 1)  # a Monday, no holiday in the weeks after it
STATEMENT = "已全额缴纳罚款并完成整改。"


@pytest.fixture
def w(app, factory, clock):
    clock.freeze(START)
    agency = factory.agency("housekeeping")
    reg = factory.agency_user(agency)
    other = factory.agency_user(factory.agency("property"))
    company, admin = factory.company()
    s = record(factory, reg.account, company=company, kind="warning", severity="minor", months=3, today=START)

    class W:
        pass

    x = W()
    x.reg, x.other, x.company, x.s, x.admin_login = reg, other, company, s, admin.account.login
    x.t_admin, x.t_reg = factory.token(admin.account), factory.token(reg.account)
    return x


def apply(client, w):
    resp = client.post(f"/api/v1/companies/{w.company.uscc}/sanctions/{w.s.ref}/repairs",
                       data={"statement": STATEMENT, "pledge": "true", "documents": []},
                       content_type="multipart/form-data", headers=bearer(w.t_admin))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["ref"]


def test_the_default_is_ten_working_days_and_the_worklist_marks_due_soon_and_overdue(client, w):
    ref = apply(client, w)
    row = db.session.query(SanctionRepair).filter_by(ref=ref).one()
    assert repair_rules.DEFAULT_ANSWER_WORKING_DAYS == 10
    assert repair.answer_deadline(row).day == date(2027, 3, 15)  # two weeks of working days
    for day, soon, overdue in ((START, False, False), (date(2027, 3, 12), True, False),
                               (date(2027, 3, 15), True, False), (date(2027, 3, 16), False, True)):
        [item] = worklist.worklist(w.reg.account, day).repairs_pending
        assert (item.repair.ref, item.deadline.day, item.due_soon, item.overdue) == (
            ref, date(2027, 3, 15), soon, overdue)
    assert worklist.worklist(w.reg.account, date(2027, 3, 16)).repairs_overdue == 1
    assert worklist.worklist(w.other.account, date(2027, 3, 16)).repairs_pending == []
    # The subject reads the day it will be answered by.
    [own] = client.get(f"/api/v1/companies/{w.company.uscc}/sanctions", headers=bearer(w.t_admin)).get_json()
    assert own["repairs"][0]["answer_by"]["day"] == "2027-03-15"
    # Answered: no deadline, off the worklist.
    resp = client.post(f"/api/v1/sanctions/{w.s.ref}/repairs/{ref}/decide", json={"decision": "approve"},
                       headers=bearer(w.t_reg))
    assert resp.status_code == 200, resp.get_json()
    [own] = client.get(f"/api/v1/companies/{w.company.uscc}/sanctions", headers=bearer(w.t_admin)).get_json()
    assert own["repairs"][0]["answer_by"] is None
    assert worklist.worklist(w.reg.account, date(2027, 3, 16)).repairs_pending == []


def test_the_days_are_configurable_and_skip_weekends_and_holidays(app, client, w, monkeypatch):
    monkeypatch.setitem(app.config, "SANCTION_REPAIR_ANSWER_WORKING_DAYS", 3)
    ref = apply(client, w)
    row = db.session.query(SanctionRepair).filter_by(ref=ref).one()
    assert repair.answer_deadline(row).day == date(2027, 3, 4)
    # Applied on a Friday evening (Asia/Shanghai): counted from that Friday, over the weekend.
    row.applied_dt = datetime(2027, 3, 5, 23, 30, tzinfo=SHANGHAI)
    assert repair.answer_deadline(row).day == date(2027, 3, 10)
    # Across the National Day holiday (1-7 October): the working days resume on the 8th.
    row.applied_dt = datetime(2027, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert repair.answer_deadline(row).day > date(2027, 10, 7)
    db.session.rollback()


def test_the_worklist_page_shows_the_deadline(app, client, w, clock):
    apply(client, w)
    clock.freeze(START + timedelta(days=15))
    db.session.rollback()
    w.reg.account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    assert login(c, w.reg.account.login, w.reg.password, w.reg.totp_secret).status_code == 302
    page = text(c.get("/regulator"))
    assert "2027-03-15" in page and "is-overdue" in page.split('id="repairs-pending"')[1].split("</section>")[0]
    # The issuing agency's sanction page says it too, beside the application it answers.
    repairs = text(c.get(f"/admin/sanctions/{w.s.ref}")).split('id="repairs"')[1].split("</section>")[0]
    due = repairs.split('class="answer-by"')[1].split("</p>")[0]
    assert 'datetime="2027-03-15"' in due and "overdue" in due



def test_the_subject_reads_the_deadline_on_its_page(app, client, w):
    apply(client, w)
    c = app.test_client()
    login(c, w.admin_login, "correct horse battery")
    page = text(c.get("/company/sanctions"))
    assert 'class="answer-by"' in page and '<time datetime="2027-03-15">' in page
