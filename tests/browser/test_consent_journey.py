"""Consent at the door, in a real browser on phone-sized screens: an employer sends an
activation code (never seeing it), the worker activates on their phone and makes a
consent code, a resident uses it once to open the detailed view (no name, ID number or
phone), the same code is then refused, and the worker sees the resident's read."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.browserutil import PHONE, keep_screenshot
from tests.support.cardworld import REAL_NAME, green_worker

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # the factory's company admin password
PIN = "135790"
# As the text message words it: "激活码 7KQ3-M9TB（卡号 …）".
SMS_CODE = re.compile(r"激活码 ([0-9A-Z]{4})-([0-9A-Z]{4})")
LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _page(browser, tmp_path, name):
    """A fresh phone (its own cookies), its screenshot keeper and its CSP console errors."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    def shot(label: str) -> Path:
        path = tmp_path / f"consent-{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)
        return path

    return context, page, shot, csp_errors


def _texted_code(ring, phone: str) -> str:
    """The newest activation code in the outbox for `phone`, as the worker's phone receives it."""
    from registry.extensions import db
    from registry.notify.services import read_outbox

    db.session.rollback()  # end this thread's read snapshot: the server wrote the message since
    for m in read_outbox(ring, limit=50):
        if m["kind"] == "activation_code" and m["recipient"] == phone:
            found = SMS_CODE.search(m["text"])
            assert found, m["text"]
            return found.group(1) + found.group(2)
    raise AssertionError(f"no activation code texted to {phone}")


def _photo(factory, world) -> None:
    """The employer uploads a photo, with the worker's consent (the resident's view shows it inline)."""
    from PIL import Image

    from registry.extensions import db
    from registry.workers import photos

    png = io.BytesIO()
    Image.new("RGB", (60, 80), (180, 120, 90)).save(png, "PNG")
    photos.set_photo(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                     data=png.getvalue(), consent_on=world.today - timedelta(days=1), today=world.today)
    db.session.commit()


def test_worker_activates_gives_a_consent_code_and_sees_the_residents_read(app, factory, live_server, browser,
                                                                          tmp_path):
    from playwright.sync_api import expect

    from registry.keys.crypto import aad, unseal

    world = green_worker(factory)
    _photo(factory, world)
    card_no = world.card_no
    id_number = unseal(factory.ring, world.worker.id_number_enc, aad("workers", "id_number", world.worker.ref))
    phone = "+8613800005678"

    # 1. The employer signs in, opens the worker's record and sends an activation code.
    office, page, shot, office_csp = _page(browser, tmp_path, "employer")
    page.goto(f"{live_server}/login")
    page.fill("#login", world.admin.login)
    page.fill("#password", PASSWORD)
    page.click("form[action^='/login'] button[type=submit]")
    page.wait_for_url(f"{live_server}/company")
    page.goto(f"{live_server}/workers/{card_no}")
    expect(page.locator("#worker-name")).to_have_text(REAL_NAME)
    page.click("#send-activation-code")
    page.wait_for_url(f"{live_server}/workers/{card_no}")
    expect(page.locator(".flash")).to_contain_text("发送新的激活码")
    expect(page.locator(".flash")).to_contain_text(world.worker.name_masked)
    code = _texted_code(factory.ring, phone)
    body = page.content()
    assert code not in body and f"{code[:4]}-{code[4:]}" not in body, "the employer must never see the code"
    shot("1-sent")
    office.close()

    # 2. The worker's phone: activate with the texted code, land on /me, see the full record, make a consent code.
    mine, me, me_shot, me_csp = _page(browser, tmp_path, "worker")
    me.goto(f"{live_server}/me/activate")
    me.fill("#card_no", card_no)
    me.fill("#code", f"{code[:4]}-{code[4:]}")
    me.fill("#pin", PIN)
    me.fill("#pin2", PIN)
    me_shot("2-activate")
    me.click("#activate form button[type=submit]")
    me.wait_for_url(f"{live_server}/me")
    expect(me.locator(".flash")).to_contain_text("激活成功")
    expect(me.locator("#worker-name")).to_have_text(REAL_NAME)
    expect(me.locator("#card-no")).to_have_text(card_no)
    expect(me.locator("#id-number")).to_have_text(id_number)
    expect(me.locator("#phone")).to_have_text(phone)
    expect(me.locator("#photo-on-file")).to_contain_text("已登记")
    # The employer's reads are on the access list already, the texting of the code among them.
    expect(me.locator("#access-table tr.access-company").filter(has_text="发送了激活码")).to_have_count(1)
    assert me.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    me_shot("3-me")
    me.click("#make-consent-code")
    me.wait_for_url(f"{live_server}/me/consent-codes")
    shown = me.locator("#consent-code")
    expect(shown).to_be_visible()
    consent = shown.get_attribute("data-code")
    assert re.fullmatch(r"[0-9A-Z]{8}", consent), consent
    told = shown.inner_text().strip()  # what the worker reads aloud: "ABCD-EFGH"
    assert told == f"{consent[:4]}-{consent[4:]}"
    me_shot("4-consent-code")
    # A reload or the language switch keeps the code on screen.
    me.reload()
    expect(me.locator("#consent-code")).to_have_attribute("data-code", consent)
    me.click(".lang-switch")
    expect(me.locator("#consent-code")).to_have_attribute("data-code", consent)
    me.click(".lang-switch")
    expect(me.locator("html")).to_have_attribute("lang", "zh-CN")

    # 3. The resident's phone: the card page, the consent link, the code → the detailed view.
    door, res, res_shot, res_csp = _page(browser, tmp_path, "resident")
    res.goto(f"{live_server}/c/{card_no}")
    expect(res.locator("#status")).to_have_attribute("data-colour", "green")
    res.click("#consent-link")
    res.wait_for_url(f"{live_server}/c/{card_no}/detail")
    res.fill("#consent_code", told.lower())  # typed as heard, in lower case: still the code
    res_shot("5-enter-code")
    res.click("#consent-form button[type=submit]")
    expect(res.locator("#consent-ok")).to_be_visible()
    expect(res.locator("#worker-name")).to_have_text(world.worker.name_masked)
    expect(res.locator("#card-no")).to_have_text(card_no)
    expect(res.locator("#employments")).to_contain_text(world.company.name)
    expect(res.locator("#training")).to_contain_text("家庭保洁")
    expect(res.locator("#training")).to_contain_text("成都家政学院")
    expect(res.locator("#health")).to_contain_text("有效")
    expect(res.locator("#health")).to_contain_text((world.today + timedelta(days=300)).isoformat())
    expect(res.locator("#insurance")).to_contain_text("有效")
    expect(res.locator("#insurance")).to_contain_text((world.today + timedelta(days=355)).isoformat())
    expect(res.locator("#background")).to_contain_text("通过")
    inline_png = re.compile(r"^data:image/png;base64,[A-Za-z0-9+/=]+$")
    expect(res.locator("#worker-photo")).to_have_attribute("src", inline_png)
    # The photo really rendered (the CSP allows data: images): it has a width of its own.
    assert res.evaluate("document.getElementById('worker-photo').naturalWidth") > 0
    detail = res.content()
    assert REAL_NAME not in detail
    assert id_number not in detail
    assert "13800005678" not in detail
    assert res.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    res_shot("6-detail")
    # Reloading or switching language keeps the view open in this browser (for a few minutes).
    res.reload()
    expect(res.locator("#consent-ok")).to_be_visible()
    res.click(".lang-switch")
    expect(res.locator("#viewable-until")).to_contain_text("You can look again in this browser")
    expect(res.locator("#employments")).to_contain_text(world.company.name)
    door.close()

    # The same code again, on another phone: refused, clearly, and nothing of the record is shown.
    other_door, other, other_shot, other_csp = _page(browser, tmp_path, "neighbour")
    other.goto(f"{live_server}/c/{card_no}/detail")
    other.fill("#consent_code", told)
    other.click("#consent-form button[type=submit]")
    expect(other.locator("#error-summary")).to_have_attribute("data-code", "consent_code_invalid")
    expect(other.locator("#consent_code-error")).to_contain_text("已用过")
    expect(other.locator("#consent-ok")).to_have_count(0)
    expect(other.locator("#employments")).to_have_count(0)
    other_shot("7-used")
    other_door.close()

    # 4. Back on the worker's phone: the resident's read is on the access list, with its time.
    me.goto(f"{live_server}/me")
    read = me.locator("#access-table tr.access-resident")
    expect(read).to_have_count(1)
    expect(read).to_contain_text("居民（经您同意）")
    expect(read).to_contain_text("同意码")
    expect(read.locator("td").first).to_have_text(LOCAL_TIME)
    me_shot("8-access")
    mine.close()

    assert office_csp == [] and me_csp == [] and res_csp == [] and other_csp == [], (
        office_csp, me_csp, res_csp, other_csp)
