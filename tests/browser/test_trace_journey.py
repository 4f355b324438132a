"""A service from its record to a public, substantiated complaint, in a real browser (issue #14): the company
records a service with the customer's phone; the customer's review code lands in the development outbox with the
phone masked; the customer reviews the service and then complains with the same code; the worker responds in
self-service; a regulator accepts, investigates and substantiates the complaint; the card page shows it and the
review summary, while an unfounded complaint about the same worker appears nowhere; and the customer follows the
complaint to its end with the tracking code. Every step goes through the pages; only the world is set up through
the services. Time moves with the `clock` fixture (the live server follows it).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.support.browserutil import PHONE, Journey
from tests.support.browserutil import TotpAgent as Agent

pytestmark = pytest.mark.browser

# The service is on Monday 2 March 2026, in a month without public holidays: the deadlines are plain working days.
CUSTOMER_PHONE = "13912340001"
CUSTOMER_E164 = "+8613912340001"
WORKER_PHONE = "13800005678"  # tests.support.cardworld.green_worker's
PIN = "204937"
# Phone numbers a customer writes into their words: stored and shown masked.
REVIEW_TEXT = "阿姨做事很细心，厨房擦得很干净。下次还找她，我的电话 13987654321。"
REVIEW_PHONE, REVIEW_MASKED = "13987654321", "139****4321"
COMPLAINT_TEXT = "卫生间没有按约定清洁就离开了，请联系我 13612349876。"
COMPLAINT_PHONE, COMPLAINT_MASKED = "13612349876", "136****9876"
RESPONSE = "当天客户临时增加了厨房清洁，时间不够，卫生间没来得及做，我已向公司说明。"
REASONS = {
    "accept": "投诉事项明确，有服务记录为据，予以受理。",
    "investigate": "已调取服务记录，并向企业和服务人员了解情况。",
    "substantiate": "经核实，卫生间清洁未按约定完成，投诉属实。",
}




def test_a_service_from_its_record_to_a_public_substantiated_complaint(app, factory, clock, live_server, browser,
                                                                      tmp_path):
    from playwright.sync_api import expect

    from registry import clock as registry_clock
    from registry.complaints import services as complaints
    from registry.extensions import db
    from registry.masking import mask_phone
    from registry.selfservice import services as selfservice
    from tests.support.cardworld import green_worker
    from tests.support.selfutil import last_activation_code

    # --- the world, through the services ----------------------------------------------------------------------
    clock.freeze(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))  # 22:00 in Shanghai, the evening of the service
    world = green_worker(factory)
    admin_login, admin_password = world.admin.login, "correct horse battery"
    agency = factory.agency("housekeeping", code="cd-commerce-trace")
    regulator = Agent(factory.agency_user(agency))
    operator = Agent(factory.agency_user(factory.agency(kind="operator", sector=None, code="operator"),
                                         role="operator_admin"))
    # The worker has self-service: activated with the code their employer had sent.
    now = registry_clock.now()
    selfservice.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=now)
    db.session.commit()
    selfservice.activate(factory.ring, card_no=world.card_no, code=last_activation_code(factory, WORKER_PHONE),
                         pin=PIN, now=now)
    db.session.commit()
    # Another complaint about the same worker, from the card page, found unfounded: it must never show publicly.
    unfounded = complaints.file_from_card(factory.ring, worker=world.worker, category="theft",
                                          text="家里少了一块手表，怀疑是服务人员拿走的。",
                                          contact=complaints.Contact(), now=now)
    db.session.commit()
    handler = factory.regulator_for("housekeeping")
    for step in ("accept", "investigate", "dismiss"):
        complaints.take_step(factory.ring, regulator=handler, complaint=unfounded.complaint, step=step,
                             reason="手表后来在家中找到，与服务人员无关。", now=now)
        db.session.commit()
    unfounded_reference = unfounded.reference

    journey = Journey(browser, tmp_path, "trace-journey")
    open_page, shot, csp_errors = journey.open_page, journey.shot, journey.csp_errors

    def sign_in(login: str, password: str, agent: Agent | None = None, lands: str = "/company"):
        page = open_page()
        page.goto(f"{live_server}/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("form[action^='/login'] button[type=submit]")
        if agent is not None:
            page.wait_for_url(f"{live_server}/login/totp")
            page.fill("#code", agent.code())
            page.click("form[action='/login/totp'] button[type=submit]")
        page.wait_for_url(f"{live_server}{lands}")
        return page

    def without_phones(page, *phones: str) -> None:
        """Neither the page's text, its markup nor its address holds any of `phones`, in any common spelling."""
        html = page.content()
        for p in phones:
            for spelling in (p, f"{p[:3]} {p[3:7]} {p[7:]}", f"{p[:3]}-{p[3:7]}-{p[7:]}"):
                assert spelling not in html and spelling not in page.url, (spelling, page.url)

    # 1. The company admin records the morning's service from the services page; the customer's phone is typed
    #    once and never comes back.
    page = sign_in(admin_login, admin_password)
    page.click("#services-link")
    page.wait_for_url(f"{live_server}/company/services")
    expect(page.locator("#services-count")).to_have_text("0")
    page.click("#record-service-link")
    page.wait_for_url(f"{live_server}/company/services/new")
    page.fill("#card_no", world.card_no)
    page.select_option("#service_type", "cleaning")
    page.fill("#phone", CUSTOMER_PHONE)
    page.fill("#district", "锦江区")
    page.fill("#start", "2026-03-02T09:00")
    page.fill("#end", "2026-03-02T12:00")
    shot(page, "1-record")
    page.click("#record-service button[type=submit]")
    page.wait_for_url(f"{live_server}/company/services/recorded")
    # The service number the company reads; the customer's own reference is only in their text message.
    number = page.locator("#reference").inner_text().strip()
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", number), number
    expect(page.locator("#recorded")).to_contain_text(world.card_no)
    expect(page.locator("#code-sent")).to_contain_text("客户已收到一条短信")
    expect(page.locator("#code-sent")).to_contain_text("本企业看不到")
    expect(page.locator("#override-note")).to_have_count(0)
    without_phones(page, CUSTOMER_PHONE)
    recorded_html = page.content()  # searched for the review code once the outbox has told it
    shot(page, "1-recorded")
    page.click("#recorded a[href='/company/services']")
    page.wait_for_url(f"{live_server}/company/services")
    expect(page.locator("#services-count")).to_have_text("1")
    row = page.locator(f"tr.service-row[data-reference='{number}']")
    expect(row).to_contain_text("日常保洁")
    expect(row).to_contain_text("锦江区")
    expect(row).to_contain_text("2026-03-02 09:00")
    without_phones(page, CUSTOMER_PHONE)
    services_html = page.content()

    # 2. The text message to the customer, as the operator reads it in the development outbox: the reference,
    #    the review code, and the phone masked.
    page = sign_in(operator.login, operator.password, operator, lands="/agency/users")
    page.click(".site-nav a[href='/admin/outbox']")
    page.wait_for_url(f"{live_server}/admin/outbox")
    message = page.locator("tbody tr", has_text="服务编号")
    expect(message).to_have_count(1)
    expect(message.locator("td").nth(2)).to_have_text("评价码")
    expect(message.locator("code")).to_have_text(mask_phone(CUSTOMER_E164))
    found = re.search(r"评价码 ([0-9A-Z]{4}-[0-9A-Z]{4})", message.inner_text())
    assert found, message.inner_text()
    code = found.group(1)
    reference = re.search(r"服务编号 ([0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4})", message.inner_text()).group(1)
    assert reference != number
    without_phones(page, CUSTOMER_PHONE)
    shot(page, "2-outbox")
    # The company's pages never had the code.
    for html in (recorded_html, services_html):
        assert code not in html and code.replace("-", "") not in html
        assert reference not in html

    # 3. The customer, with no account, reviews the service: four stars, two tags, words with a phone number.
    page = open_page()
    page.goto(f"{live_server}/review")
    page.fill("#reference", reference)
    page.fill("#code", code)
    page.check("#rating-4")
    page.check("#tag-punctual")
    page.check("#tag-careful")
    page.fill("#text", REVIEW_TEXT)
    shot(page, "3-review")
    page.click("#review-form button[type=submit]")
    page.wait_for_url(f"{live_server}/review/thanks")
    expect(page.locator("#review-thanks")).to_have_text("评价已提交")
    shot(page, "3-thanks")

    # 4. Then complains about the same service with the same code, from the thank-you page's link.
    page.click("#complain-link")
    page.wait_for_url(f"{live_server}/complain")
    page.fill("#reference", reference)
    page.fill("#code", code)
    expect(page.locator("#about-worker")).to_be_checked()
    page.check("#category-quality")
    page.fill("#text", COMPLAINT_TEXT)
    shot(page, "4-complain")
    page.click("#code-complaint-form button[type=submit]")
    page.wait_for_url(f"{live_server}/complaints/filed")
    complaint_reference = page.locator("#reference").inner_text().strip()
    tracking_code = page.locator("#tracking-code").inner_text().strip()
    assert complaint_reference and tracking_code and complaint_reference != unfounded_reference
    expect(page.locator("#write-down")).to_contain_text("查询码只显示这一次")
    shot(page, "4-filed")
    # Shown once: the page again shows neither.
    page.reload()
    page.wait_for_url(f"{live_server}/complaints/track")
    expect(page.locator("body")).not_to_contain_text(tracking_code)

    # The company reads the review on its reviews page, the customer's phone number masked.
    page = sign_in(admin_login, admin_password)
    page.click("#reviews-link")
    page.wait_for_url(f"{live_server}/company/reviews")
    expect(page.locator("#company-reviews")).to_have_attribute("data-count", "1")
    review = page.locator(f"#review-{number}")
    expect(review.locator(".review-text")).to_have_text(REVIEW_TEXT.replace(REVIEW_PHONE, REVIEW_MASKED))
    expect(review.locator(".tag[data-tag='punctual']")).to_have_text("准时")
    without_phones(page, REVIEW_PHONE, CUSTOMER_PHONE)
    shot(page, "4-company-reviews")

    # 5. The worker signs in to self-service and responds to the complaint (not its words: those stay with the
    #    regulators); the unfounded one is closed, with nothing to respond to.
    page = open_page()
    page.goto(f"{live_server}/me/login")
    page.fill("#card_no", world.card_no)
    page.fill("#pin", PIN)
    page.click("#worker-login form button[type=submit]")
    page.wait_for_url(f"{live_server}/me")
    page.click("#complaints-link")
    page.wait_for_url(f"{live_server}/me/complaints")
    mine = page.locator("article.complaint", has_text=complaint_reference)
    expect(mine).to_have_attribute("data-state", "received")
    expect(mine).to_contain_text("服务质量")
    expect(mine).to_contain_text(number)
    expect(page.locator("article.complaint", has_text=unfounded_reference).locator("form.respond")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(COMPLAINT_TEXT[:10])
    mine.locator("textarea").fill(RESPONSE)
    shot(page, "5-respond")
    mine.locator("button[type=submit]").click()
    page.wait_for_url(f"{live_server}/me/complaints")
    expect(page.locator(".flash")).to_contain_text("已提交答复")
    expect(mine.locator(".response")).to_contain_text(RESPONSE)
    shot(page, "5-responded")

    # 6. A week later the regulator finds it on the worklist, due: 7 working days from Monday 2 March is
    #    Wednesday 11 March, within 3 working days of Monday 9 March.
    clock.freeze(datetime(2026, 3, 9, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    page = sign_in(regulator.login, regulator.password, regulator, lands="/regulator")
    due = page.locator("#complaints-due li.due", has_text=complaint_reference)
    expect(due.locator("time.deadline")).to_have_attribute("datetime", "2026-03-11")
    expect(due.locator(".overdue")).to_have_count(0)
    shot(page, "6-worklist")
    due.locator("a").click()
    page.wait_for_url(re.compile(r"/admin/complaints/[^/]+$"))
    complaint_url = page.url
    expect(page.locator("#state")).to_have_attribute("data-state", "received")
    expect(page.locator("#service")).to_contain_text(number)
    expect(page.locator(".complaint-text")).to_have_text(COMPLAINT_TEXT.replace(COMPLAINT_PHONE, COMPLAINT_MASKED))
    expect(page.locator("#history .response")).to_contain_text(RESPONSE)
    without_phones(page, COMPLAINT_PHONE, CUSTOMER_PHONE)
    for step, state, word in (("accept", "accepted", "已受理"), ("investigate", "investigating", "调查中"),
                              ("substantiate", "substantiated", "投诉属实")):
        page.fill("#reason", REASONS[step])
        page.click(f"#step-{step}")
        page.wait_for_url(complaint_url)
        expect(page.locator(".flash")).to_contain_text(f"投诉 {complaint_reference}：{word}")
        expect(page.locator("#state")).to_have_attribute("data-state", state)
        expect(page.locator(f"#steps li.step[data-step='{step}'] .step-reason")).to_have_text(REASONS[step])
        if step == "accept":
            # Now the conclusion is due: 45 working days from the acceptance.
            expect(page.locator("#facts time.deadline")).to_be_visible()
            shot(page, "6-accepted")
    expect(page.locator("#take-step")).to_have_count(0)
    expect(page.locator("#record-sanction")).to_be_visible()
    shot(page, "6-substantiated")
    # The queue lists both complaints with their states; only the regulators ever see the unfounded one.
    page.click("#nav-complaints")
    page.wait_for_url(f"{live_server}/admin/complaints")
    expect(page.locator("#complaints tbody tr", has_text=complaint_reference)).to_have_attribute(
        "data-state", "substantiated")
    expect(page.locator("#complaints tbody tr", has_text=unfounded_reference)).to_have_attribute(
        "data-state", "unfounded")
    shot(page, "6-queue")

    # 7. The card page, as anyone opens it: the substantiated complaint (category, day, agency) and the review
    #    summary; the unfounded complaint nowhere.
    page = open_page()
    page.goto(f"{live_server}/c/{world.card_no}")
    expect(page.locator("#status")).to_have_attribute("data-colour", "green")
    expect(page.locator("#complaint-count")).to_have_text("经查属实的投诉 1 件")
    listed = page.locator("#complaint-list li.complaint")
    expect(listed).to_have_count(1)
    expect(listed).to_have_attribute("data-category", "quality")
    expect(listed).to_contain_text("服务质量")
    expect(listed.locator(".concluded-on")).to_have_text("2026-03-09")
    expect(listed.locator(".agency")).to_have_text(agency.name_zh)
    expect(page.locator("li.complaint[data-category='theft']")).to_have_count(0)
    body = page.locator("body")
    for hidden in ("财物", "手表", unfounded_reference, complaint_reference, "投诉不属实", "卫生间"):
        expect(body).not_to_contain_text(hidden)
    summary = page.locator("#reviews")
    expect(summary).to_have_attribute("data-count", "1")
    expect(summary.locator("#reviews-average")).to_have_text("4.0")
    expect(summary).to_contain_text("共 1 条评价")
    expect(summary.locator(".tag")).to_have_text(["准时", "细心"])
    without_phones(page, REVIEW_PHONE, CUSTOMER_PHONE, COMPLAINT_PHONE)
    card = shot(page, "7-card")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # 8. The customer follows the complaint with its reference and tracking code: substantiated, with the steps.
    page = open_page()
    page.goto(f"{live_server}/complaints/track")
    page.fill("#reference", complaint_reference)
    page.fill("#tracking_code", tracking_code)
    page.click("#track-form button[type=submit]")
    page.wait_for_url(f"{live_server}/complaints/track")
    expect(page.locator("#progress #state")).to_have_attribute("data-state", "substantiated")
    expect(page.locator("#progress #state")).to_have_text("投诉属实")
    expect(page.locator("#progress #steps li.step")).to_have_count(3)
    expect(page.locator("#progress")).to_contain_text(REASONS["substantiate"])
    expect(page.locator("#progress")).to_contain_text("2026-03-09")
    # The tracking code went in the body of a POST, never in the address.
    assert tracking_code not in page.url
    shot(page, "8-track")

    assert card.stat().st_size > 10_000
    assert not csp_errors, csp_errors
    journey.close()
