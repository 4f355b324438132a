"""A serious-dishonesty listing from first record to the end of its window, in a real browser (issue #12):
a regulator records it against a company and notifies it; the company reads the notice in its portal; the
objection window passes; the regulator decides; the proposer cannot approve, a second regulator of the same
agency does and publishes; the public search finds the company by two characters of its name with the legal
representative masked; the company cannot register staff; a listed worker's card reads red; and after the
window's end the search no longer finds it. Time moves with the `clock` fixture (the live server follows it).
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.support.browserutil import PHONE, Journey
from tests.support.browserutil import TotpAgent as Regulator

pytestmark = pytest.mark.browser

# A Monday: the five working days of the objection window run across the National Day holidays.
START = date(2026, 9, 28)
COMPANY_NAME = "成都洁净家政服务有限公司"
FRAGMENT = "洁净"
LEGAL_REP = "张伟明"
REASONS = "贵单位在 2026 年内三次拖欠家政服务员工资，经查属实，拟列入严重失信主体名单。"
FACTS = "经查，投诉人王建国（13912345678）反映的欠薪事实属实，涉及三名服务员。"
DECISION_NO = "成商务信〔2026〕17号"




def test_a_serious_listing_from_record_to_the_end_of_its_window(app, factory, clock, live_server, browser,
                                                                  tmp_path):
    from playwright.sync_api import expect

    from registry import clock as registry_clock
    from registry.clock import add_months
    from registry.extensions import db
    from registry.masking import mask_name
    from registry.notify.services import read_outbox
    from tests.support import sanctionutil
    from tests.support.cardworld import green_worker

    # A worker listed a fortnight earlier, through the services (it is not what this journey is about).
    clock.freeze(START - timedelta(days=14))
    listed = green_worker(factory, name="欧阳明华")
    worker_proposer, worker_approver = sanctionutil.regulators(factory, "housekeeping", "worker-agency")
    sanctionutil.list_serious(factory, worker_proposer, worker_approver, clock, worker=listed.worker,
                              start=START - timedelta(days=14))

    clock.freeze(START)
    agency = factory.agency("housekeeping", code="cd-commerce")
    first = Regulator(factory.agency_user(agency))
    second = Regulator(factory.agency_user(agency))
    company, admin = factory.company(name=COMPANY_NAME)
    admin_login, admin_password = admin.account.login, admin.password

    journey = Journey(browser, tmp_path, "sanction-journey")
    open_page, shot, csp_errors = journey.open_page, journey.shot, journey.csp_errors

    def sign_in(login: str, password: str, regulator: Regulator | None = None):
        page = open_page()
        page.goto(f"{live_server}/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("form[action^='/login'] button[type=submit]")
        if regulator is not None:
            page.wait_for_url(f"{live_server}/login/totp")
            page.fill("#code", regulator.code())
            page.click("form[action='/login/totp'] button[type=submit]")
            # Regulators land on their worklist.
            page.wait_for_url(f"{live_server}/regulator")
        else:
            page.wait_for_url(f"{live_server}/company")
        return page

    def search(page, q: str) -> None:
        """The public search page, through its form (the contract of /listings)."""
        response = page.goto(f"{live_server}/listings")
        assert response is not None and response.ok, f"/listings answered {response and response.status}"
        box = page.locator("form input[name='q']")
        box.fill(q)
        with page.expect_navigation():
            box.press("Enter")

    # 1. The first regulator records a proposed serious listing against the company, by its USCC.
    page = sign_in(first.login, first.password, first)
    expect(page.locator("#ready-to-decide")).to_contain_text("没有异议期已满的告知")
    page.click("#record-sanction")
    page.wait_for_url(f"{live_server}/admin/sanctions/new")
    page.check("#subject_kind-company")
    page.fill("#uscc", company.uscc)
    page.select_option("#kind", "serious_list")
    # A listing is decided after its notice: the form hides the decision's fields.
    expect(page.locator("#decision-fields")).to_be_hidden()
    page.check("#severity-serious")
    page.fill("#legal_basis", sanctionutil.BASIS)
    page.fill("#facts", FACTS)
    page.fill("#measures", "限制新增登记、导入和挂靠从业人员")
    page.fill("#publish_months", "12")
    page.select_option("#person1_role", "legal_representative")
    page.fill("#person1_name", LEGAL_REP)
    shot(page, "1-record")
    page.click("#sanction-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/sanctions/[0-9A-Za-z_-]+$"))
    ref = page.url.rsplit("/", 1)[1]
    expect(page.locator(".flash")).to_contain_text("已登记拟列入严重失信主体名单")
    expect(page.locator(".state")).to_have_attribute("data-state", "proposed")
    expect(page.locator("#persons")).to_contain_text(mask_name(LEGAL_REP))
    expect(page.locator("#is-public")).to_have_text("未公示")

    # 2. It notifies the company: the factory's contact phone is a mobile, so by text message.
    expect(page.locator("#landline")).to_have_count(0)
    expect(page.locator("#notify-delivery_method-sms")).to_be_checked()
    page.fill("#notify-reasons", REASONS)
    expect(page.locator("#notify-objection_days")).to_have_value("5")
    page.click("#notify-submit")
    page.wait_for_url(f"{live_server}/admin/sanctions/{ref}")
    expect(page.locator(".flash")).to_contain_text("已告知当事人")
    expect(page.locator(".state")).to_have_attribute("data-state", "notified")
    until = date.fromisoformat(page.locator("#objection-until time").get_attribute("datetime"))
    expect(page.locator("#objection-open")).to_contain_text(until.isoformat())
    expect(page.locator("#decide-submit")).to_have_count(0)
    shot(page, "2-notified")
    db.session.rollback()  # a fresh read: the server wrote since this session last read
    texts = [m["text"] for m in read_outbox(factory.ring, limit=20)
             if m["kind"] == "notice" and m["recipient"] == "+8613800138000"]
    assert len(texts) == 1 and until.isoformat() in texts[0], texts

    # 3. The company's admin reads the notice in its portal: the reasons and the window's last day.
    page = sign_in(admin_login, admin_password)
    expect(page.locator("#notices .count")).to_have_text("1")
    page.click("#notices-link")
    page.wait_for_url(f"{live_server}/company/notices")
    notice = page.locator(f"#notice-{ref}")
    expect(notice.locator(".notice-reasons")).to_have_text(REASONS)
    expect(notice.locator(".objection-until time")).to_have_attribute("datetime", until.isoformat())
    expect(notice.locator(".notice-rights")).to_contain_text("异议")
    # The case's facts, and whoever they name, stay with the regulators.
    expect(page.locator("body")).not_to_contain_text("王建国")
    expect(page.locator("body")).not_to_contain_text(LEGAL_REP)
    shot(page, "3-notice")
    # Five working days from Monday 28 September, on the official 2026 calendar: 29 and 30 September, then the
    # National Day holidays (1–7 October), then 8, 9 and the make-up working Saturday 10 October.
    assert until == date(2026, 10, 10), until

    # 4. The window passes.
    decided_on = until + timedelta(days=1)
    clock.freeze(decided_on)

    # 5. The first regulator decides; as the proposer it cannot approve, and the page says why.
    page = sign_in(first.login, first.password, first)
    ready = page.locator(f"#ready-{ref}")
    expect(ready).to_contain_text(COMPANY_NAME)
    ready.locator("a").click()
    page.wait_for_url(f"{live_server}/admin/sanctions/{ref}")
    page.fill("#decide-decision_no", DECISION_NO)
    page.click("#decide-submit")
    page.wait_for_url(f"{live_server}/admin/sanctions/{ref}")
    expect(page.locator(".flash")).to_contain_text("须由另一名监管人员复核")
    expect(page.locator(".state")).to_have_attribute("data-state", "decided")
    expect(page.locator("#decision")).to_contain_text(f"{DECISION_NO} · {decided_on.isoformat()}")
    expect(page.locator("#approve-submit")).to_have_count(0)
    expect(page.locator("#four-eyes")).to_contain_text("您提出了该列入")
    expect(page.locator("#four-eyes")).to_contain_text("不能自行复核")
    shot(page, "5-four-eyes")

    # The second regulator of the same agency finds it on the worklist, approves it and publishes it.
    page = sign_in(second.login, second.password, second)
    awaiting = page.locator(f"#approval-{ref}")
    expect(awaiting.locator(".may-approve")).to_be_visible()
    expect(awaiting.locator(".cannot-approve")).to_contain_text(first.login)
    awaiting.locator("a").click()
    page.wait_for_url(f"{live_server}/admin/sanctions/{ref}")
    page.click("#approve-submit")
    page.wait_for_url(f"{live_server}/admin/sanctions/{ref}")
    expect(page.locator(".flash")).to_contain_text("已复核")
    expect(page.locator(".state")).to_have_attribute("data-state", "approved")
    expect(page.locator("#in-effect")).to_be_visible()
    page.click("#publish-submit")
    page.wait_for_url(f"{live_server}/admin/sanctions/{ref}")
    expect(page.locator(".flash")).to_contain_text("已公示")
    expect(page.locator(".state")).to_have_attribute("data-state", "published")
    expect(page.locator("#is-public")).to_have_text("正在公示")
    window_end = add_months(decided_on, 12)
    expect(page.locator("#window")).to_contain_text(window_end.isoformat())
    shot(page, "5-published")

    # 6. The public search finds the company by two characters of its name; the legal representative is masked.
    page = open_page()
    search(page, FRAGMENT)
    hit = page.locator(f"#listing-results li.listing[data-ref='{ref}']")
    expect(hit).to_be_visible()
    expect(hit).to_contain_text(COMPANY_NAME)
    expect(hit).to_contain_text(mask_name(LEGAL_REP))
    expect(page.locator("body")).not_to_contain_text(LEGAL_REP)
    expect(page.locator("#no-listings")).to_have_count(0)
    shot(page, "6-search")

    # 7. The company cannot register staff while the listing binds it.
    page = sign_in(admin_login, admin_password)
    page.click("#staff-link")
    page.wait_for_url(f"{live_server}/company/workers")
    page.click("#register-worker")
    page.wait_for_url(f"{live_server}/company/workers/new")
    refusal = page.locator("#company-listed")
    expect(refusal).to_have_attribute("data-code", "company_listed")
    expect(refusal).to_contain_text("严重失信主体名单")
    expect(page.locator("#register-form")).to_have_count(0)
    shot(page, "7-refused")

    # 8. A listed worker's card reads red, with the listing as the reason, and shows the published listing.
    page = open_page()
    page.goto(f"{live_server}/c/{listed.card_no}")
    status = page.locator("#status")
    expect(status).to_have_attribute("data-colour", "red")
    expect(status.locator("#reasons li[data-code='serious_listing']")).to_have_text("被列入严重失信主体名单")
    expect(page.locator("#sanction-list li[data-kind='serious_list']")).to_have_count(1)
    card = shot(page, "8-card")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # 9. After the window's last day the search no longer shows the listing.
    clock.freeze(window_end + timedelta(days=1))
    assert registry_clock.today() == window_end + timedelta(days=1)
    page = open_page()
    search(page, FRAGMENT)
    expect(page.locator("#no-listings")).to_be_visible()
    expect(page.locator(f"li.listing[data-ref='{ref}']")).to_have_count(0)
    shot(page, "9-expired")

    assert card.stat().st_size > 10_000
    assert not csp_errors, csp_errors
    journey.close()
