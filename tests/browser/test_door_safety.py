"""At the door, on a phone: a tampered, an unknown-key and a replaced QR each lead with the one instruction (do not
let the person in, report, in danger call 110) and show no status colour anywhere; the real record of the card
number waits behind a disclosure. A genuine scan still shows its colour and what it tells the resident to do."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.support.browserutil import PHONE, keep_screenshot
from tests.support.cardworld import green_worker, issue

pytestmark = pytest.mark.browser


def _no_colour_anywhere(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#status")).to_have_count(0)
    expect(page.locator("[data-colour], .door-green, .door-yellow, .door-red")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert not any(word in body for word in ("绿码", "黄码", "红码", "Green", "Yellow")), body


def test_a_qr_that_is_not_genuine_never_shows_a_colour(app, factory, live_server, browser, tmp_path, monkeypatch):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from playwright.sync_api import expect

    from registry.cards import qr
    from registry.cards import services as cards

    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    world = green_worker(factory)
    world.company.service_phone = "028-85123456"
    old = issue(factory, world)
    old_q = urlsplit(cards.qr_payload(factory.ring, world.worker, old, live_server)).query.removeprefix("q=")
    card = issue(factory, world)
    genuine_q = urlsplit(cards.qr_payload(factory.ring, world.worker, card, live_server)).query.removeprefix("q=")
    later = (card.valid_until + timedelta(days=365)).isoformat()
    scans = {
        "altered": genuine_q.replace(card.valid_until.isoformat(), later),
        "not_issued": qr.make_q(Ed25519PrivateKey.generate(), world.card_no, card.serial, card.valid_until),
        "replaced": old_q,
    }
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()

    # A genuine scan: the colour, the line that says what it means, and whom to call.
    page.goto(f"{live_server}/c/{world.card_no}?q={genuine_q}&lang=zh")
    expect(page.locator("#status")).to_have_attribute("data-colour", "green")
    expect(page.locator("#advice")).to_contain_text("记录齐全")
    expect(page.locator("#contacts")).to_contain_text("028-85123456")
    expect(page.locator("#hotline")).to_contain_text("12345")
    expect(page.locator("#instruction")).to_have_count(0)

    for verdict, q in scans.items():
        page.goto(f"{live_server}/c/{world.card_no}?q={q}&lang=zh")
        expect(page.locator("#qr-verdict")).to_have_attribute("data-verdict", verdict)
        instruction = page.locator("#instruction")
        expect(instruction).to_be_visible()
        expect(instruction).to_contain_text("请勿让此人进门")
        expect(page.locator("#call-110")).to_have_attribute("href", "tel:110")
        expect(page.locator("#instruction-report")).to_be_visible()
        # It leads: the first thing on the page, above the verdict's own words.
        assert instruction.bounding_box()["y"] < page.locator("#qr-verdict").bounding_box()["y"]
        _no_colour_anywhere(page)
        # The real record is there, closed until asked for.
        expect(page.locator("#employers")).to_be_hidden()
        page.click("#real-record summary")
        expect(page.locator("#employers")).to_contain_text(world.company.name)
        expect(page.locator("#door-title")).to_have_text("欧阳**")
        _no_colour_anywhere(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot = tmp_path / f"door-safety-{verdict}.png"
        page.screenshot(path=str(shot), full_page=True)
        keep_screenshot(shot)

    # In English too.
    page.goto(f"{live_server}/c/{world.card_no}?q={scans['not_issued']}&lang=en")
    expect(page.locator("#instruction")).to_contain_text("Do not let this person in")
    expect(page.locator("#real-record summary")).to_have_text("See the real record of this card number")
    _no_colour_anywhere(page)
    context.close()
