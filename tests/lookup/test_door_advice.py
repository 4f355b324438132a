"""What the card page and its API tell a resident to do: one line per colour with whom to call, and, for any QR
verdict but genuine, the one instruction and no status colour (the real record behind a disclosure)."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from registry.cards import qr
from registry.cards import services as cards
from registry.extensions import db
from registry.lookup import advice
from registry.workers import services as workers
from tests.support.cardworld import green_worker, issue

OFFICIAL = "http://registry.test"
COLOUR_BOX = re.compile(r'class="door-status door-(green|yellow|red)"|data-colour=')
COLOUR_WORDS = ("绿码", "黄码", "红码")


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def _q(url: str) -> str:
    return urlsplit(url).query.removeprefix("q=")


def _genuine_q(app, factory, world, card) -> str:
    return _q(cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"]))


def test_each_colour_says_what_to_do_in_one_line():
    assert set(advice.ADVICE) == {"green", "yellow", "red"}
    assert "记录齐全" in advice.ADVICE["green"][0] and "Records complete" in advice.ADVICE["green"][1]
    assert "致电所在企业确认" in advice.ADVICE["yellow"][0] and "call the company" in advice.ADVICE["yellow"][1]
    assert "请勿让此人进门" in advice.ADVICE["red"][0] and "report" in advice.ADVICE["red"][1]


@pytest.mark.parametrize("verdict", [*(v for v in qr.VERDICTS if v != "genuine"), "void"])
def test_every_verdict_but_genuine_gives_the_instruction_and_no_colour(verdict):
    door = advice.at_the_door("green", verdict)
    assert door.show_colour is False and door.advice is None
    assert door.instruction == advice.INSTRUCTION and "110" in door.instruction[0]


def test_a_typed_number_and_a_genuine_scan_show_the_colour_with_its_advice():
    for verdict in (None, "genuine"):
        door = advice.at_the_door("yellow", verdict)
        assert door.show_colour and door.advice == advice.ADVICE["yellow"] and door.instruction is None


def test_a_green_card_says_records_complete_with_the_companys_phone_and_the_hotline(client, world):
    world.company.service_phone = "028-85123456"
    db.session.commit()
    view = client.get(f"/api/v1/cards/{world.card_no}").get_json()
    assert view["show_colour"] is True and view["instruction"] is None
    assert view["advice"] == {"zh": advice.ADVICE["green"][0], "en": advice.ADVICE["green"][1]}
    assert view["employers"][0]["service_phone"] == "028-85123456"
    assert view["regulator_hotline"] == "12345"
    page = client.get(f"/c/{world.card_no}").get_data(as_text=True)
    assert 'data-colour="green"' in page and 'id="advice"' in page and "记录齐全" in page
    assert 'href="tel:02885123456"' in page and 'href="tel:12345"' in page
    assert 'id="instruction"' not in page and 'id="real-record"' not in page


def test_a_yellow_card_tells_the_resident_to_call_the_company(client, factory, world):
    workers.add_record(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                       kind="background", data={"result": "pending", "checked_on": world.today,
                                                "authority": "成都市公安局"}, today=world.today)
    db.session.commit()
    en = client.get(f"/c/{world.card_no}?lang=en").get_data(as_text=True)
    assert "call the company to confirm" in en
    # A company without a service phone says so rather than leaving the resident nothing to dial.
    assert "no service phone given" in en


def test_the_hotline_comes_from_the_environment_with_chengdus_12345_by_default(tmp_path, monkeypatch):
    from registry.config import from_environment

    monkeypatch.delenv("REGISTRY_REGULATOR_HOTLINE", raising=False)
    assert from_environment(tmp_path)["REGULATOR_HOTLINE"] == "12345"
    monkeypatch.setenv("REGISTRY_REGULATOR_HOTLINE", "028-12345")
    assert from_environment(tmp_path)["REGULATOR_HOTLINE"] == "028-12345"


def test_the_hotline_is_configurable(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "REGULATOR_HOTLINE", "028-12345")
    assert client.get(f"/api/v1/cards/{world.card_no}").get_json()["regulator_hotline"] == "028-12345"
    assert 'href="tel:02812345"' in client.get(f"/c/{world.card_no}").get_data(as_text=True)


def _assert_instruction_and_no_colour(client, world, q, base_url, verdict):
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": q}, base_url=base_url).get_json()
    assert view["qr"]["verdict"] == verdict
    assert view["show_colour"] is False and view["advice"] is None
    assert view["instruction"]["emergency"] == "110" and "请勿让此人进门" in view["instruction"]["zh"]
    page = client.get(f"/c/{world.card_no}", query_string={"q": q}, base_url=base_url).get_data(as_text=True)
    assert 'id="instruction"' in page and "请勿让此人进门" in page and 'href="tel:110"' in page
    assert not COLOUR_BOX.search(page), "a non-genuine scan shows a status colour"
    assert not any(w in page for w in COLOUR_WORDS)
    # The instruction comes first; the real record waits behind the disclosure.
    assert page.index('id="instruction"') < page.index('id="qr-verdict"') < page.index('id="real-record"')
    record = page[page.index('<details class="real-record"'):page.index("</details>")]
    assert "查看此卡号的真实记录" in record and 'id="door-title"' in record and 'id="employers"' in record
    return page


def test_a_forged_qr_leads_with_the_instruction(client, factory, world):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    card = issue(factory, world)
    forged = qr.make_q(Ed25519PrivateKey.generate(), world.card_no, 1, card.valid_until)
    _assert_instruction_and_no_colour(client, world, forged, OFFICIAL, "not_issued")


def test_an_altered_qr_leads_with_the_instruction(app, client, factory, world):
    card = issue(factory, world)
    genuine = _genuine_q(app, factory, world, card)
    altered = genuine.replace(card.valid_until.isoformat(), (card.valid_until + timedelta(days=365)).isoformat())
    _assert_instruction_and_no_colour(client, world, altered, OFFICIAL, "altered")


def test_a_replaced_qr_leads_with_the_instruction(app, client, factory, world):
    old = issue(factory, world)
    issue(factory, world)
    _assert_instruction_and_no_colour(client, world, _genuine_q(app, factory, world, old), OFFICIAL, "replaced")


def test_an_expired_qr_leads_with_the_instruction(app, client, factory, world):
    card = issue(factory, world, today=world.today - timedelta(days=400))
    _assert_instruction_and_no_colour(client, world, _genuine_q(app, factory, world, card), OFFICIAL, "expired")


def test_a_genuine_qr_at_another_address_leads_with_the_instruction(app, client, factory, world):
    card = issue(factory, world)
    _assert_instruction_and_no_colour(client, world, _genuine_q(app, factory, world, card),
                                      "https://jiaxin-registry.evil.example", "wrong_origin")


def test_a_genuine_qr_shows_the_colour_and_its_advice(app, client, factory, world):
    card = issue(factory, world)
    q = _genuine_q(app, factory, world, card)
    view = client.get(f"/api/v1/cards/{world.card_no}", query_string={"q": q}, base_url=OFFICIAL).get_json()
    assert view["qr"]["verdict"] == "genuine" and view["show_colour"] is True and view["instruction"] is None
    page = client.get(f"/c/{world.card_no}", query_string={"q": q}, base_url=OFFICIAL).get_data(as_text=True)
    assert 'data-colour="green"' in page and "记录齐全" in page and 'id="instruction"' not in page


def test_the_report_thanks_page_names_whom_to_call(client, world):
    world.company.service_phone = "400-123-4567"
    db.session.commit()
    from tests.support.webutil import post_form

    resp = post_form(client, f"/c/{world.card_no}/report", {"reason": "fake", "text": ""},
                     page=f"/c/{world.card_no}/report")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="reference"' in page
    assert world.company.name in page and 'href="tel:4001234567"' in page
    assert 'href="tel:12345"' in page and 'href="tel:110"' in page


def test_the_company_page_names_its_phone_and_the_hotline(client, world):
    page = client.get(f"/companies/{world.company.uscc}").get_data(as_text=True)
    assert 'id="service-phone">未登记' in page and 'href="tel:12345"' in page
    world.company.service_phone = "13812345678"
    db.session.commit()
    page = client.get(f"/companies/{world.company.uscc}").get_data(as_text=True)
    assert 'href="tel:13812345678"' in page
