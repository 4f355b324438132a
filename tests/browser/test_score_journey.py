"""A company's credit score from its explanation to a correction after human review, in a real browser (issue #16,
item 8): the company's admin sees its score with every component on its portal; a regulator concludes a complaint
about it substantiated and the score shown is lower by the rules' points; the regulator records a commendation and
it is higher by theirs; the company asks for human review disputing the complaint's line; the regulator finds the
request on the worklist and answers with a correction, which shows as its own component and moves the score by its
points. Every step a person takes goes through the pages; the world (the company, its worker, a service and the
complaint filed with its review code, accepted and under investigation) is made through the services.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.support.browserutil import Journey
from tests.support.browserutil import TotpAgent as Regulator

pytestmark = pytest.mark.browser

# Tuesday 15 September 2026, 10:00 in Shanghai.
START = datetime(2026, 9, 15, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
SUBSTANTIATED = "经核实，保洁未按合同完成，投诉属实。"
REASON = "该投诉所涉服务已按合同补做，客户已确认满意，请复核扣分。"
NOTE = "经核查，企业已补做服务并取得客户确认，酌情更正。"
CORRECTION = 3


def test_a_company_sees_its_score_move_and_a_review_corrects_it(app, factory, clock, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    from registry.credit import rules
    from registry.credit.services import explained
    from registry.extensions import db
    from tests.support import complaintutil
    from tests.support.creditutil import green_records, hire, kept

    # --- the world, through the services ----------------------------------------------------------------------
    clock.freeze(START)
    today = START.date()
    agency = factory.agency("housekeeping", code="cd-commerce-score")
    regulator_user = factory.agency_user(agency)
    factory._regulators = {"housekeeping": regulator_user.account}
    regulator = Regulator(regulator_user)
    company, admin = factory.company(password=PASSWORD)
    worker = hire(factory, company, admin.account, seed=11, records=green_records(today), today=today)
    _service, reference, code = complaintutil.serve(factory, company=company, admin=admin.account, worker=worker,
                                                    phone="13900007777")
    complaint = complaintutil.file_code(factory, reference=reference, code=code, about="company").complaint
    complaintutil.walk(factory, regulator_user.account, complaint, "investigating")
    complaint_ref = complaint.ref
    v1 = rules.current().company
    complaint_points = v1.items["complaint"].variants[""].points
    commendation_points = v1.items["commendation"].variants[""].points
    assert complaint_points < 0 < commendation_points

    journey = Journey(browser, tmp_path, "score-journey")
    open_page, shot, csp_errors = journey.open_page, journey.shot, journey.csp_errors

    def company_signs_in():
        page = open_page()
        page.goto(f"{live_server}/login")
        page.fill("#login", admin.account.login)
        page.fill("#password", PASSWORD)
        page.click("form[action^='/login'] button[type=submit]")
        page.wait_for_url(f"{live_server}/company")
        return page

    def regulator_signs_in():
        page = open_page()
        page.goto(f"{live_server}/login")
        page.fill("#login", regulator.login)
        page.fill("#password", regulator.password)
        page.click("form[action^='/login'] button[type=submit]")
        page.wait_for_url(f"{live_server}/login/totp")
        page.fill("#code", regulator.code())
        page.click("form[action='/login/totp'] button[type=submit]")
        page.wait_for_url(f"{live_server}/regulator")
        return page

    def shown_points(page) -> int:
        return int(page.locator("#score-points").get_attribute("data-points"))

    def rows(page):
        return page.locator("#score-components tr.component")

    # 1. The company's admin sees its score with every component, in words, and the grading explained.
    page = company_signs_in()
    row = kept("company", company.id)
    first = shown_points(page)
    assert first == row.points
    expect(rows(page)).to_have_count(len(row.components))
    for c in explained("company", row.rules_version, row.components):
        line = page.locator(f"#score-components tr[data-kind='{c['kind']}'][data-ref='{c['ref']}']")
        expect(line).to_have_attribute("data-points", str(c["points"]))
        expect(line.locator(".words")).to_have_text(c["zh"])
    expect(page.locator("#score-grading")).to_contain_text("济南规则")
    expect(page.locator("#score-grade")).to_have_text(row.grade)
    shot(page, "1-score")

    # 2. A regulator concludes the complaint about the company substantiated, on its page.
    page = regulator_signs_in()
    page.goto(f"{live_server}/admin/complaints/{complaint_ref}")
    page.fill("#reason", SUBSTANTIATED)
    page.click("#step-substantiate")
    page.wait_for_url(re.compile(rf"/admin/complaints/{complaint_ref}$"))
    expect(page.locator("#state")).to_have_attribute("data-state", "substantiated")

    # 3. The company's score shown is lower by the rules' points, with the complaint's line.
    page = company_signs_in()
    second = shown_points(page)
    assert second == first + complaint_points, (first, second)
    complaint_line = page.locator("#score-components tr[data-kind='complaint']")
    expect(complaint_line).to_have_count(1)
    expect(complaint_line).to_have_attribute("data-points", str(complaint_points))
    shot(page, "3-complaint")

    # 4. The regulator records a commendation on the company's commendations page.
    page = regulator_signs_in()
    commendations = f"{live_server}/regulator/companies/{company.uscc}/commendations"
    page.goto(commendations)
    page.fill("#title", "年度诚信示范企业")
    page.fill("#basis", "成都市商务局 成商务〔2026〕30号")
    page.fill("#commended_on", today.isoformat())
    page.click("#record-submit")
    page.wait_for_url(commendations)
    expect(page.locator(".flash")).to_contain_text("表彰已登记")

    # 5. The company's score is higher by the commendation's points.
    page = company_signs_in()
    third = shown_points(page)
    assert third == second + commendation_points, (second, third)
    expect(page.locator("#score-components tr[data-kind='commendation']")).to_have_count(1)

    # 6. The company asks for human review, disputing the complaint's line.
    page.locator("#ask-review summary").click()
    page.fill("#review-reason", REASON)
    page.locator("#ask-review input[name='disputed'][value^='complaint|']").check()
    shot(page, "6-ask")
    page.click("#ask-review-submit")
    page.wait_for_url(f"{live_server}/company#score")
    expect(page.locator(".flash")).to_contain_text("复核申请已提交")
    expect(page.locator("#review-open")).to_be_visible()
    asked = page.locator("li.score-review")
    expect(asked).to_have_count(1)
    expect(asked).to_have_attribute("data-state", "open")
    expect(asked.locator(".reason")).to_have_text(REASON)
    review_ref = (asked.get_attribute("id") or "").removeprefix("score-review-")
    assert review_ref

    # 7. The regulator finds it on the worklist and answers with a correction.
    page = regulator_signs_in()
    due = page.locator(f"#worklist-score-review-{review_ref}")
    expect(due).to_be_visible()
    due.locator("a").click()
    page.wait_for_url(f"{live_server}/regulator/score-reviews/{review_ref}")
    expect(page.locator("#review .reason")).to_have_text(REASON)
    expect(page.locator("#current-score #score-points")).to_have_attribute("data-points", str(third))
    page.fill("#note", NOTE)
    page.fill("#correction_points", str(CORRECTION))
    page.press("#correction_points", "Tab")  # on to the next field, as a person would, before submitting
    shot(page, "7-answer")
    with page.expect_navigation():
        page.click("#answer-submit")
    assert page.url == f"{live_server}/regulator/score-reviews/{review_ref}", page.content()
    expect(page.locator(".flash")).to_contain_text("已答复")
    expect(page.locator("#answer")).to_have_count(0)

    # 8. The company sees the correction as its own component, and the score moved by its points.
    page = company_signs_in()
    correction = page.locator(f"#score-components tr[data-kind='correction'][data-ref='{review_ref}']")
    expect(correction).to_have_attribute("data-points", str(CORRECTION))
    expect(correction.locator(".words")).to_have_text("人工复核更正")
    assert shown_points(page) == third + CORRECTION
    answered = page.locator(f"#score-review-{review_ref}")
    expect(answered).to_have_attribute("data-state", "answered")
    expect(answered.locator(".note")).to_contain_text(NOTE)
    expect(answered.locator(".correction")).to_have_attribute("data-points", str(CORRECTION))
    # The public page shows the points, never the components or the reason.
    shot(page, "8-corrected")
    public = open_page()
    public.goto(f"{live_server}/companies/{company.uscc}")
    expect(public.locator("#score")).to_contain_text(str(third + CORRECTION))
    expect(public.locator("body")).not_to_contain_text(REASON)
    expect(public.locator("#score-components")).to_have_count(0)

    db.session.rollback()
    assert not csp_errors, csp_errors
    journey.close()
