"""The printed card: a real credit-card-size PDF in Chinese, the masked name only, and a QR that checks.

The PDF is read back from its bytes (page size, embedded font, the text a viewer would copy); the QR code is
checked by rebuilding it from the URL the card was given and comparing it with what the document embeds.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import segno

from registry.cards import qr, render, services
from registry.extensions import db
from tests.support.cardutil import read_pdf, staff
from tests.support.factory import bearer

LABELS = ("居家上门服务证", "卡号", "姓名", "工种", "服务单位", "发证日期", "有效期至", "查验真伪请访问")


@pytest.fixture
def world(app, factory):
    s = staff(factory, 2, occupation="elderly_care")
    s.token = factory.token(s.admin)
    s.cards = [services.issue_card(factory.ring, account=s.admin, company=s.company, worker=w, today=s.today).card
               for w in s.workers]
    db.session.commit()
    return s


def views(app, factory, world):
    return [render.card_view(factory.ring, w, c, app.config["PUBLIC_URL"]) for w, c in zip(world.workers,
                                                                                          world.cards)]


def test_the_pdf_is_credit_card_size_in_chinese_with_the_masked_name_only(app, factory, world):
    pdf = render.render_pdf(views(app, factory, world))
    facts = read_pdf(pdf)
    assert len(facts.page_sizes_mm) == 2
    for width, height in facts.page_sizes_mm:
        assert abs(width - 85.6) <= 0.5 and abs(height - 54) <= 0.5
    assert facts.fonts and all("WenQuanYi" in f for f in facts.fonts), facts.fonts
    for label in LABELS:
        assert label in facts.text, label
    for worker, real in zip(world.workers, world.names):
        assert worker.name_masked in facts.text
        assert real not in facts.text and real[1:] not in facts.text
        assert render.group_card_no(worker.card_no) in facts.text
    assert "养老护理员" in facts.text  # the occupation, in Chinese
    assert world.company.name in facts.text
    assert "查验真伪请访问 registry.test，输入卡号" in facts.text
    assert world.cards[0].valid_until.isoformat() in facts.text


def test_the_qr_carries_the_signed_url_and_checks_as_genuine(app, factory, world):
    worker, card = world.workers[0], world.cards[0]
    view = render.card_view(factory.ring, worker, card, app.config["PUBLIC_URL"])
    url = services.qr_payload(factory.ring, worker, card, app.config["PUBLIC_URL"])
    assert view["qr_url"] == url
    # The image in the document is exactly the QR code of that URL.
    embedded = segno.make(url, error="m").svg_data_uri(border=4, dark="#000", light="#fff")
    assert view["qr_svg"] == embedded
    html = render.render_html([view])
    assert f'src="{embedded}"' in html
    # And the URL is the card's public address with a q that checks, under the published keys.
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == app.config["PUBLIC_URL"] and parts.path == f"/c/{worker.card_no}"
    q = parse_qs(parts.query)["q"][0]
    verdict = qr.check(worker.card_no, q, public_keys=services.public_keys(factory.ring),
                       latest_serial=services.latest_serial(worker.id), latest_void=False, today=world.today)
    assert verdict.code == "genuine" and verdict.serial == 1 and verdict.valid_until == card.valid_until


def test_the_card_number_is_grouped_for_reading():
    assert render.group_card_no("JX3K7P2M9Q4BX") == "JX 3K7P 2M9Q 4BX"
    assert render.official_host("https://jiaxin.example.cn/") == "jiaxin.example.cn"
    assert render.official_host("https://example.cn/jiaxin") == "example.cn/jiaxin"


def test_a_company_name_cannot_reach_outside_the_document(app, factory, world, monkeypatch):
    """The name is escaped, and the renderer may load nothing but data URIs (no file, no network)."""
    world.company.name = '<img src="file:///etc/passwd"><link rel=stylesheet href="http://evil.test/x.css">'
    db.session.commit()
    html = render.render_html(views(app, factory, world)[:1])
    assert "<img src=\"file:" not in html and "&lt;img" in html
    fetched = []
    from weasyprint.urls import URLFetcher

    original = URLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(URLFetcher, "fetch", spy)
    render.render_pdf(views(app, factory, world)[:1])
    assert fetched and all(u.startswith("data:") for u in fetched)


# --- the employer's API -------------------------------------------------------------------------------

def test_the_api_returns_the_latest_card_as_pdf_or_html(app, client, factory, world):
    number = world.card_nos[0]
    resp = client.get(f"/api/v1/workers/{number}/card", headers=bearer(world.token))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert read_pdf(resp.data).page_sizes_mm and world.workers[0].name_masked in read_pdf(resp.data).text
    resp = client.get(f"/api/v1/workers/{number}/card?format=html", headers=bearer(world.token))
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert world.workers[0].name_masked in page and world.names[0] not in page
    # A standalone document: its own styles, no script at all.
    assert "script-src" not in resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert "<script" not in page
    # The latest card: after a reissue, serial 2.
    services.issue_card(factory.ring, account=world.admin, company=world.company, worker=world.workers[0],
                        today=world.today)
    db.session.commit()
    page = client.get(f"/api/v1/workers/{number}/card?format=html", headers=bearer(world.token)).get_data(
        as_text=True)
    assert 'data-serial="2"' in page and "第 2 张证" in page


def test_the_api_refuses_strangers_unknown_formats_and_workers_without_a_card(client, factory, world):
    other, other_admin = factory.company()
    stranger = factory.token(other_admin.account)
    number = world.card_nos[0]
    assert client.get(f"/api/v1/workers/{number}/card", headers=bearer(stranger)).status_code == 404
    resp = client.get(f"/api/v1/workers/{number}/card?format=png", headers=bearer(world.token))
    assert resp.status_code == 422 and "format" in resp.get_json()["error"]["fields"]
    fresh = staff(factory, 1, seed=99, company=(world.company, world.admin)).workers[0]
    resp = client.get(f"/api/v1/workers/{fresh.card_no}/card", headers=bearer(world.token))
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"


def test_a_worker_who_turned_red_has_no_card_printed_one_at_a_time_either(app, client, factory, world):
    """Issuing and bulk printing refuse red workers; printing the latest card does too."""
    from tests.support.cardutil import make_red

    number = world.card_nos[0]
    assert client.get(f"/api/v1/workers/{number}/card", headers=bearer(world.token)).status_code == 200
    make_red(factory, world, world.workers[0])
    for fmt in ("pdf", "html"):
        resp = client.get(f"/api/v1/workers/{number}/card?format={fmt}", headers=bearer(world.token))
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "card_refused_red"
