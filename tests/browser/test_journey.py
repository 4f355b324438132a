"""A company's first day, in a real browser (Debian's chromium via Playwright):
sign-up, verification by a regulator (password + TOTP), pledge and a second user."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.browserutil import PHONE, keep_screenshot

pytestmark = pytest.mark.browser


def test_company_signs_up_is_verified_signs_pledge_and_adds_a_user(app, factory, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    regulator = factory.agency_user(factory.agency("housekeeping"))
    uscc = factory.uscc()
    name = "成都安心家政服务有限公司"

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    css_errors = []
    page.on("console", lambda m: css_errors.append(m.text) if "Content Security Policy" in m.text else None)

    def shot(label: str) -> Path:
        path = tmp_path / f"journey-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)
        return path

    def log_in(login: str, password: str) -> None:
        page.goto(f"{live_server}/login")
        page.fill("#login", login)
        page.fill("#password", password)
        page.click("form[action^='/login'] button[type=submit]")

    def log_out() -> None:
        page.click("form[action='/logout'] button")
        expect(page.locator(".flash")).to_contain_text("您已退出登录")

    # 1. The company signs up.
    page.goto(f"{live_server}/signup")
    page.fill("#uscc", uscc)
    page.fill("#name", name)
    page.check("#sectors-housekeeping")
    page.check("#business_model-employee")
    for condition in ("contracts", "social_insurance", "minimum_wage", "ongoing_training"):
        page.check(f"#{condition}")
    page.select_option("#district", "510107")
    page.fill("#contact_name", "欧阳娜娜")
    page.fill("#contact_phone", "13912345678")
    page.fill("#admin_login", "anxin-admin")
    page.fill("#admin_name", "欧阳娜娜")
    page.fill("#admin_password", "a long enough password")
    page.fill("#admin_password_confirm", "a long enough password")
    shot("1-signup")
    page.click("form[action='/signup'] button[type=submit]")
    page.wait_for_url(f"{live_server}/company")
    expect(page.locator("#company-status")).to_have_text("待审核")
    expect(page.locator(".flash")).to_contain_text("待审核")
    expect(page.locator("body")).not_to_contain_text("13912345678")
    log_out()

    # 2. The regulator signs in with password and TOTP, and verifies the company.
    log_in(regulator.account.login, regulator.password)
    page.wait_for_url(f"{live_server}/login/totp")
    page.fill("#code", factory.totp_now(regulator.totp_secret))
    page.click("form[action='/login/totp'] button[type=submit]")
    # Regulators land on their worklist; the company queue is one link away.
    page.wait_for_url(f"{live_server}/regulator")
    page.click("nav.site-nav a[href='/regulator/companies']")
    page.wait_for_url(f"{live_server}/regulator/companies")
    item = page.locator(f"#company-{uscc}")
    expect(item).to_contain_text(name)
    shot("2-queue")
    # The contact person is shown in clear to the verifying regulator; verifying asks once more.
    expect(item).to_contain_text("13912345678")
    item.locator("button.verify").click()
    page.wait_for_url(f"{live_server}/regulator/companies/{uscc}/decision")
    expect(page.locator("#verify-consequence")).to_be_visible()
    page.click("#confirm-verify button[type=submit]")
    page.wait_for_url(f"{live_server}/regulator/companies")
    expect(page.locator(".flash")).to_contain_text(f"已核验：{name}")
    expect(page.locator("#verified")).to_contain_text(uscc)
    expect(page.locator("#pending")).to_contain_text("没有待审核的企业")
    log_out()

    # 3. The company admin signs the pledge and adds a second user.
    log_in("anxin-admin", "a long enough password")
    page.wait_for_url(f"{live_server}/company")
    expect(page.locator("#company-status")).to_have_text("已核验")
    page.check("#agree")
    page.click("form[action='/company/pledge'] button[type=submit]")
    page.wait_for_url(f"{live_server}/company")
    expect(page.locator("#pledge-signed")).to_contain_text("已签署第 1 版信用承诺")
    page.fill("#login", "clerk-wang")
    page.fill("#name", "王小明")
    page.click("form[action='/company/users'] button[type=submit]")
    temporary = page.locator("#temporary-password")
    expect(temporary).to_have_text(re.compile(r"^[A-Za-z0-9]{16}$"))
    page.click("a.button")
    page.wait_for_url(f"{live_server}/company")
    users = page.locator("#users tbody")
    expect(users).to_contain_text("clerk-wang")
    expect(users).to_contain_text("anxin-admin")
    expect(page.locator("#company-status")).to_have_text("已核验")
    final = shot("3-company")

    assert final.stat().st_size > 10_000
    assert not css_errors, css_errors
    # The page fits the phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
