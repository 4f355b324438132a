"""At the door, in a real browser on a phone-sized screen: a resident opens a card
page from its QR code and sees the colour and its reasons; a forged QR reads
"not issued by Jiaxin" under the instruction not to let the person in; a typo in
a typed number is called a typo."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.browserutil import PHONE, keep_screenshot
from tests.support.cardworld import green_worker, issue

pytestmark = pytest.mark.browser


def _page(browser, tmp_path, name):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    def shot(label: str) -> None:
        path = tmp_path / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)

    return context, page, shot, csp_errors


def test_a_resident_scans_a_genuine_card_then_a_forged_one(app, factory, live_server, browser, tmp_path,
                                                          monkeypatch):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from playwright.sync_api import expect

    from registry.cards import qr
    from registry.cards import services as cards

    # The live server is the official address here: a scan reads genuine only there.
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    world = green_worker(factory, background="pending")
    card = issue(factory, world)
    scanned = urlsplit(cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"]))
    context, page, shot, csp_errors = _page(browser, tmp_path, "door")

    # 1. The genuine QR: the verdict, the colour and its reasons in plain words, the masked name.
    page.goto(f"{live_server}{scanned.path}?{scanned.query}")
    expect(page.locator("#qr-verdict")).to_have_attribute("data-verdict", "genuine")
    expect(page.locator("#qr-verdict")).to_contain_text("真实有效")
    expect(page.locator("#status")).to_have_attribute("data-colour", "yellow")
    expect(page.locator("#status")).to_contain_text("黄码")
    expect(page.locator("#reasons")).to_contain_text("背景审查进行中")
    expect(page.locator("#door-title")).to_have_text("欧阳**")
    expect(page.locator("#employers")).to_contain_text(world.company.name)
    # Nothing overflows a phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("1-genuine")

    # 2. A QR made with a key that is not Jiaxin's.
    forged = qr.make_q(Ed25519PrivateKey.generate(), world.card_no, 1, card.valid_until)
    page.goto(f"{live_server}/c/{world.card_no}?q={forged}")
    expect(page.locator("#qr-verdict")).to_have_attribute("data-verdict", "not_issued")
    expect(page.locator("#qr-verdict")).to_contain_text("非家信签发")
    shot("2-forged")

    # 3. In English, the same page says so in English; no colour, the record behind a disclosure.
    page.goto(f"{live_server}/c/{world.card_no}?q={forged}&lang=en")
    expect(page.locator("#qr-verdict")).to_contain_text("Not issued by Jiaxin")
    expect(page.locator("#instruction")).to_contain_text("Do not let this person in")
    expect(page.locator("#status")).to_have_count(0)
    page.click("#real-record summary")
    expect(page.locator("#reasons")).to_contain_text("Background check pending")

    # 4. A typed number with one wrong character is a probable typo.
    typo = world.card_no[:-1] + ("A" if world.card_no[-1] != "A" else "B")
    page.goto(f"{live_server}/c?lang=zh")
    page.fill("#card_no", typo.lower())
    page.click("form.lookup-form button[type=submit]")
    expect(page.locator("#lookup-error")).to_have_attribute("data-code", "card_no_typo")
    page.fill("#card_no", world.card_no)
    page.click("form.lookup-form button[type=submit]")
    expect(page.locator("#status")).to_have_attribute("data-colour", "yellow")
    shot("3-typed")
    assert csp_errors == []
    context.close()


def test_a_card_whose_issuing_employment_ended_reads_void_and_not_green(app, factory, live_server, browser, tmp_path,
                                                                       monkeypatch):
    from playwright.sync_api import expect

    from registry.cards import services as cards
    from registry.extensions import db
    from registry.workers import services as workers

    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    world = green_worker(factory)
    card = issue(factory, world)
    scanned = urlsplit(cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"]))
    url = f"{live_server}{scanned.path}?{scanned.query}"
    context, page, shot, csp_errors = _page(browser, tmp_path, "door-void")

    page.goto(url)
    expect(page.locator("#qr-verdict")).to_have_attribute("data-verdict", "genuine")
    expect(page.locator("#status")).to_have_attribute("data-colour", "green")

    # The company dismisses the worker the same day; the printed card still names it.
    workers.end_employment(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                           end_date=world.today, today=world.today)
    db.session.commit()

    # 1. The same QR now reads void, and nothing on the page is green.
    page.goto(url)
    expect(page.locator("#qr-verdict")).to_have_attribute("data-verdict", "void")
    expect(page.locator("#qr-verdict")).to_contain_text("已作废：发证企业已不再雇用此人")
    expect(page.locator('[data-colour="green"]')).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("1-void")

    # 2. In English.
    page.goto(f"{url}&lang=en")
    expect(page.locator("#qr-verdict")).to_contain_text("Void: the issuing company no longer employs this person")
    expect(page.locator('[data-colour="green"]')).to_have_count(0)

    # 3. Typed by number: yellow, saying no registered company sends this person now, and the card void.
    page.goto(f"{live_server}/c/{world.card_no}?lang=zh")
    expect(page.locator("#status")).to_have_attribute("data-colour", "yellow")
    expect(page.locator("#reasons")).to_contain_text("目前没有登记企业派遣此人")
    expect(page.locator("#card-void")).to_be_visible()
    shot("2-typed")
    assert csp_errors == []
    context.close()
