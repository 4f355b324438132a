"""The worker's own page says what is kept and until when, computed from the retention rules and the config."""
from __future__ import annotations

from datetime import date

import pytest

from registry.extensions import db
from registry.retention import rules
from tests.support.selfutil import PIN, employ, send_code
from tests.support.webutil import post_form, text

START = date(2027, 3, 1)


def test_rules_say_employed_or_the_last_day(app):
    p = rules.Periods()
    assert rules.own_retention([None], START, p)["employed"] is True
    assert rules.own_retention([None], START, p)["personal_until"] is None
    told = rules.own_retention([START, date(2026, 1, 1)], START, p)
    assert (told["employed"], told["personal_until"]) == (False, date(2032, 2, 29))
    assert told["access_record_years"] == 3


@pytest.mark.parametrize("years, until", [(5, "2032-02-29"), (2, "2029-02-28")])
def test_the_own_page_says_what_is_kept_and_until_when(app, factory, clock, monkeypatch, years, until):
    from registry.workers import services as workers

    monkeypatch.setitem(app.config, "RETENTION_WORKER_YEARS", years)
    clock.freeze(START)
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    c = app.test_client()
    resp = post_form(c, "/me/activate", {"card_no": worker.card_no, "code": send_code(factory, admin.account, worker),
                                         "pin": PIN, "pin2": PIN})
    assert resp.status_code == 302
    page = text(c.get("/me"))
    assert 'id="retention"' in page and "在职期间保存" in page and 'id="personal-until"' not in page
    assert f"最后一份用工结束满 {years} 年后删除" in page
    workers.end_employment(factory.ring, account=admin.account, company=company, worker=worker, end_date=START,
                           today=START)
    db.session.commit()
    page = text(c.get("/me"))
    assert f"保存至 {until}" in page and f"kept until {until}" not in page  # the page speaks one language
    assert "每条保存 3 年后删除" in page
