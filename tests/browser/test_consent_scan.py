"""Consent in one scan, on phones, against the registry served by gunicorn as `make run` serves it: the worker
shows a consent QR, the resident's phone opens its address, one tap shows the detailed view, and no line the
server logs (access log, gunicorn's own lines at debug level, the application's log) ever holds the code."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.browserutil import PHONE, keep_screenshot
from tests.support.cardworld import green_worker
from tests.support.serverutil import gunicorn

pytestmark = pytest.mark.browser

PIN = "135790"
SMS_CODE = re.compile(r"激活码 ([0-9A-Z]{4})-([0-9A-Z]{4})")


def _activated(factory, world) -> None:
    """The worker's PIN is set, as after the texted activation code (the journey in test_consent_journey)."""
    from registry.clock import now
    from registry.extensions import db
    from registry.notify.services import read_outbox
    from registry.selfservice import services

    services.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=now())
    db.session.commit()
    texted = next(SMS_CODE.search(m["text"]) for m in read_outbox(factory.ring, limit=50)
                  if m["kind"] == "activation_code")
    services.activate(factory.ring, card_no=world.card_no, code=texted.group(1) + texted.group(2), pin=PIN,
                      now=now())
    db.session.commit()


def _phone(browser, tmp_path: Path, name: str):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    def shot(label: str) -> None:
        path = tmp_path / f"consent-scan-{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)

    return context, page, shot, csp_errors


def test_a_consent_qr_opens_the_detailed_view_with_one_tap_and_no_log_line_holds_the_code(
        app, factory, base_config, browser, tmp_path):
    from playwright.sync_api import expect

    world = green_worker(factory)
    _activated(factory, world)
    card_no = world.card_no
    with gunicorn(app, base_config, tmp_path / "server.log") as served:
        base = served.url
        # The worker's phone: sign in, make a consent code, show it large with its QR.
        mine, me, me_shot, me_csp = _phone(browser, tmp_path, "worker")
        me.goto(f"{base}/me/login")
        me.fill("#card_no", card_no)
        me.fill("#pin", PIN)
        me.click("form button[type=submit]")
        me.wait_for_url(f"{base}/me")
        me.click("#make-consent-code")
        me.wait_for_url(f"{base}/me/consent-codes")
        code = me.locator("#consent-code").get_attribute("data-code")
        assert re.fullmatch(r"[0-9A-Z]{8}", code), code
        expect(me.locator("#consent-code")).to_have_text(f"{code[:4]}-{code[4:]}")
        qr = me.locator("#consent-qr")
        expect(qr.locator("svg")).to_be_visible()
        # Large enough to scan from a step away, and within the phone's width.
        box = qr.locator("svg").bounding_box()
        assert box["width"] >= 200 and abs(box["width"] - box["height"]) < 2, box
        assert me.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        scanned = qr.get_attribute("data-url")
        assert scanned == f"{base}/c/{card_no}/detail#code={code}"
        me_shot("1-qr")
        # /me shows the live code and its expiry, with the way back to the QR.
        me.goto(f"{base}/me")
        expect(me.locator("#active-consent-code")).to_have_text(f"{code[:4]}-{code[4:]}")
        expect(me.locator("#active-consent-expires")).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"))
        expect(me.locator("#show-consent-qr")).to_be_visible()

        # The resident's phone opens what the QR carries: the code is filled in and gone from the address bar.
        door, res, res_shot, res_csp = _phone(browser, tmp_path, "resident")
        res.goto(scanned)
        expect(res.locator("#consent-scanned")).to_be_visible()
        expect(res.locator("#consent_code")).to_have_value(code)
        assert res.url == f"{base}/c/{card_no}/detail"
        assert res.evaluate("window.location.hash") == ""
        # Nothing is spent until the tap: the worker's page still offers the code.
        assert me.goto(f"{base}/me") and me.locator("#active-consent").count() == 1
        res_shot("2-scanned")
        res.click("#see-details")
        expect(res.locator("#consent-ok")).to_be_visible()
        expect(res.locator("#worker-name")).to_have_text(world.worker.name_masked)
        expect(res.locator("#employments")).to_contain_text(world.company.name)
        assert res.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        res_shot("3-detail")
        # The back button does not bring the code back either.
        assert code not in res.evaluate("JSON.stringify([location.href, history.length])")
        door.close()

        # Used: the worker's page no longer shows it, and lists the resident's read.
        me.goto(f"{base}/me")
        expect(me.locator("#active-consent")).to_have_count(0)
        expect(me.locator("#access-table tr.access-resident")).to_have_count(1)
        mine.close()
        assert me_csp == [] and res_csp == [], (me_csp, res_csp)
    log = served.log()
    # The log really records requests (so the check below could fail): the scanned page and the tap's POST.
    assert re.search(rf'"GET /c/{card_no}/detail HTTP/1\.1" 200', log), log[-3000:]
    assert re.search(rf'"POST /c/{card_no}/detail HTTP/1\.1" 303', log), log[-3000:]
    for form in (code, code.lower(), f"{code[:4]}-{code[4:]}"):
        assert form not in log, f"the server log holds the consent code ({form})"
