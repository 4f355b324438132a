"""A company user imports a staff file in a real browser on a phone-sized screen:
upload with "keep the good rows", watch the progress page reload itself (no
script: a meta refresh) until the import is done, read the report and download it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.browserutil import PHONE, keep_screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def _company_user(factory):
    from registry.accounts import services as accounts
    from registry.companies import services as companies
    from registry.extensions import db

    company, admin = factory.company()
    new = companies.add_user(factory.ring, actor=admin.account, company=company, login="clerk-wang", name="王文员")
    db.session.commit()
    accounts.change_password(factory.ring, account=new.account, current=new.password, new=PASSWORD)
    db.session.commit()
    return company, new.account


def test_company_user_imports_a_file_and_follows_it_to_the_report(app, factory, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    from registry.clock import today
    from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks

    _company, user = _company_user(factory)
    rows = person_rows(40, today=today(), seed=31)
    rows[6]["phone"] = "12345"
    staff_file = tmp_path / "员工名单.csv"
    staff_file.write_bytes(csv_bytes(rows))

    context = browser.new_context(viewport=PHONE, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    def shot(label: str) -> Path:
        path = tmp_path / f"import-journey-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)
        return path

    # 1. Sign in, open the staff list, then the import page.
    page.goto(f"{live_server}/login")
    page.fill("#login", user.login)
    page.fill("#password", PASSWORD)
    page.click("form[action^='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/company")
    page.click(".site-nav a[href='/company/workers']")
    page.wait_for_url(f"{live_server}/company/workers")
    page.click("#import-workers")
    page.wait_for_url(f"{live_server}/company/workers/import")
    expect(page.locator("#no-imports")).to_be_visible()
    expect(page.locator("#keep_good-hint")).to_contain_text("整份文件都不保存")

    # 2. Submitting without a file shows the field error.
    page.click("#upload-submit")
    expect(page.locator("#file-error")).to_contain_text("请选择 CSV 或 .xlsx 文件")

    # 3. Upload, keeping the good rows.
    page.set_input_files("#file", str(staff_file))
    page.check("#keep_good")
    shot("1-upload")
    page.click("#upload-submit")
    page.wait_for_url(re.compile(r"/company/workers/import/\d+$"))
    progress_url = page.url
    expect(page.locator("#import-state")).to_have_text("排队中")
    expect(page.locator("#refreshing")).to_be_visible()
    shot("2-queued")

    # 4. The jobs process runs it; the page notices by itself.
    assert run_queued_tasks(app) == 1
    expect(page.locator("#import-state")).to_have_text("已完成", timeout=15_000)
    assert page.url == progress_url
    expect(page.locator("#stored")).to_have_text("39")
    expect(page.locator("#errors")).to_have_text("1")
    expect(page.locator("#outcome")).to_contain_text("已保存 39 名正确的人员")
    expect(page.locator("#refreshing")).to_have_count(0)
    expect(page.locator(".report-line")).to_have_count(1)
    expect(page.locator(".report-line")).to_contain_text("手机号码")
    expect(page.locator("#report")).not_to_contain_text("12345")
    final = shot("3-done")

    # 5. The report downloads.
    with page.expect_download() as info:
        page.click("#report-link")
    download = info.value
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    assert text.splitlines()[1].startswith("8,")

    # 6. The import is listed on the import page.
    page.click("text=导入其他文件")
    page.wait_for_url(f"{live_server}/company/workers/import")
    expect(page.locator("tr.import-row")).to_have_count(1)
    expect(page.locator("tr.import-row")).to_contain_text("员工名单.csv")

    assert final.stat().st_size > 10_000
    assert not csp_errors, csp_errors
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
