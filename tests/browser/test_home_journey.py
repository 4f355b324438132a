"""On a phone, as the printed card says: open the registry's home page, type the card number into the box, and
reach the card's page; in English too, with every date whole on one line."""
from __future__ import annotations

import pytest

from tests.support.browserutil import PHONE, keep_screenshot
from tests.support.cardworld import green_worker, issue

pytestmark = pytest.mark.browser


def test_the_home_page_box_reaches_the_card_page_on_a_phone(app, factory, live_server, browser, tmp_path):
    from playwright.sync_api import expect

    world = green_worker(factory)
    issue(factory, world)
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()

    def shot(label: str) -> None:
        path = tmp_path / f"home-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        keep_screenshot(path)

    # 1. The box is the first thing on the home page; a typo lands on the friendly typo message.
    page.goto(f"{live_server}/?lang=zh")
    expect(page.locator("#home-check")).to_contain_text("查验上门服务人员")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot("1-home")
    typo = world.card_no[:-1] + ("A" if world.card_no[-1] != "A" else "B")
    page.fill("#home-check input[name=card_no]", typo)
    page.click("#home-check button[type=submit]")
    expect(page.locator("#lookup-error")).to_have_attribute("data-code", "card_no_typo")
    expect(page.locator("#lookup-error")).to_contain_text("卡号")

    # 2. Typed as people type it (lower case), the number reaches the card's page.
    page.goto(f"{live_server}/")
    page.fill("#home-check input[name=card_no]", world.card_no.lower())
    page.click("#home-check button[type=submit]")
    expect(page.locator("#card-no")).to_have_text(world.card_no)
    expect(page.locator("#status")).to_have_attribute("data-colour", "green")
    shot("2-card")

    # 3. The English card page on the same phone: nothing overflows and no date breaks across lines.
    page.goto(f"{live_server}/c/{world.card_no}?lang=en")
    expect(page.locator("#card-issue")).to_contain_text("issued")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    dates = page.locator("article.door time")
    assert dates.count() >= 5
    for i in range(dates.count()):
        lines = dates.nth(i).evaluate("el => el.getClientRects().length")
        assert lines == 1, (dates.nth(i).inner_text(), lines)
    shot("3-card-en")
    context.close()
