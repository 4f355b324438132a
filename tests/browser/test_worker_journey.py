"""A company user's worker journey, in a real browser on a phone-sized screen:
register a worker, add a health check (expiring in 20 days) and a training
record, and find the worker with the staff list's 30-day expiry filter."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.browserutil import PHONE, keep_screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def _company_user(factory):
    """A company_user of a verified company, with a password of their own."""
    from registry.accounts import services as accounts
    from registry.companies import services as companies
    from registry.extensions import db

    company, admin = factory.company()
    new = companies.add_user(factory.ring, actor=admin.account, company=company, login="clerk-li", name="李文员")
    db.session.commit()
    accounts.change_password(factory.ring, account=new.account, current=new.password, new=PASSWORD)
    db.session.commit()
    return company, new.account


def test_company_user_registers_a_worker_adds_records_and_filters_expiry(app, factory, live_server, browser,
                                                                        tmp_path):
    from playwright.sync_api import expect

    from registry.clock import today
    from registry.workers import idnumber

    _company, user = _company_user(factory)
    id_number = idnumber.generate(random.Random(99), birth=date(1979, 8, 16), female=True)
    now = today()
    health_until = now + timedelta(days=20)

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    def shot(label: str) -> Path:
        path = tmp_path / f"worker-journey-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)
        return path

    # 1. Sign in and open the staff list from the navigation.
    page.goto(f"{live_server}/login")
    page.fill("#login", user.login)
    page.fill("#password", PASSWORD)
    page.click("form[action^='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/company")
    page.click(".site-nav a[href='/company/workers']")
    page.wait_for_url(f"{live_server}/company/workers")
    expect(page.locator("#no-staff")).to_be_visible()

    # 2. Register a worker.
    page.click("#register-worker")
    page.wait_for_url(f"{live_server}/company/workers/new")
    page.fill("#name", "欧阳娜娜")
    page.fill("#id_number", id_number)
    page.fill("#phone", "139 1234 5678")
    page.select_option("#occupation", "maternity")
    page.check("#employment_kind-labour_contract")
    page.fill("#start_date", now.isoformat())
    page.check("#social_insurance")
    shot("1-register")
    page.click("#register-form button[type=submit]")
    page.wait_for_url(re.compile(r"/workers/JX[0-9A-Z]{11}$"))
    card_no = page.url.rsplit("/", 1)[1]
    expect(page.locator(".flash")).to_contain_text(f"发放终身卡号 {card_no}")
    expect(page.locator("#worker-name")).to_have_text("欧阳娜娜")
    expect(page.locator("#id-number")).to_have_text(id_number)
    expect(page.locator("#phone")).to_have_text("+8613912345678")
    expect(page.locator("#worker-status")).to_have_text("黄码")

    # 3. A health check valid for 20 more days.
    page.click("#add-health summary")
    page.check("#new-health-result-passed")
    page.fill("#new-health-checked_on", now.isoformat())
    page.fill("#new-health-valid_until", health_until.isoformat())
    page.click("#form-new-health button[type=submit]")
    page.wait_for_url(f"{live_server}/workers/{card_no}#records-health")
    expect(page.locator(".flash")).to_contain_text("已添加体检记录")
    expect(page.locator("#records-health .record")).to_contain_text(health_until.isoformat())

    # 4. A training record.
    page.click("#add-training summary")
    page.fill("#new-training-course", "母婴护理员（初级）")
    page.fill("#new-training-hours", "40")
    page.check("#new-training-exam_passed-yes")
    page.fill("#new-training-trained_on", now.isoformat())
    page.fill("#new-training-issuer", "成都市家庭服务业协会")
    page.click("#form-new-training button[type=submit]")
    page.wait_for_url(f"{live_server}/workers/{card_no}#records-training")
    expect(page.locator(".flash")).to_contain_text("已添加培训记录")
    expect(page.locator("#records-training .record")).to_contain_text("母婴护理员（初级）")
    shot("2-detail")

    # 5. The staff list, filtered to health checks expiring within 30 days.
    page.click(".site-nav a[href='/company/workers']")
    page.wait_for_url(f"{live_server}/company/workers")
    page.select_option("#expiring", "health")
    # The form posts (a typed name or phone must stay out of the address), so the address stays as it was.
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    assert page.url == f"{live_server}/company/workers"
    expect(page.locator("#expiring")).to_have_value("health")
    row = page.locator(f"tr.staff-row[data-card='{card_no}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("欧阳**")
    expect(row).to_contain_text(health_until.isoformat())
    expect(row).to_contain_text("母婴护理员/月嫂")
    expect(page.locator("#staff")).not_to_contain_text("欧阳娜娜")
    expect(page.locator("#staff")).not_to_contain_text(id_number)
    expect(page.locator("#staff-count")).to_have_text("1")
    final = shot("3-expiring")

    assert final.stat().st_size > 10_000
    assert not csp_errors, csp_errors
    # The page fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
