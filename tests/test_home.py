"""The home page is task first: the card-number box a resident needs (the printed card says "visit … and enter the
card number"), the way in for workers, companies and regulators, and no API documentation in the public
navigation (it stays in the footer)."""
from __future__ import annotations

import re

from tests.support.cardworld import green_worker
from tests.support.webutil import login, text


def _nav(html: str) -> str:
    return re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)


def _footer(html: str) -> str:
    return re.search(r'<footer class="site-footer">.*?</footer>', html, re.S).group(0)


def test_the_home_page_leads_with_the_card_number_box(client):
    resp = client.get("/?lang=zh")
    assert resp.status_code == 200
    html = text(resp)
    box = re.search(r'<section class="card home-check".*?</section>', html, re.S).group(0)
    assert "查验上门服务人员" in box
    assert re.search(r'<form method="get" action="/c"', box)
    assert 'name="card_no"' in box and '<label for="card_no">' in box
    # It comes before anything else on the page.
    assert html.index('id="home-check"') < html.index('id="home-workers"')


def test_every_visitor_finds_their_way_in(client):
    html = text(client.get("/?lang=zh"))
    workers = re.search(r'id="home-workers".*?</div>', html, re.S).group(0)
    assert 'href="/me/login"' in workers and 'href="/me/activate"' in workers
    assert "我的记录" in workers and "激活" in workers
    companies = re.search(r'id="home-companies".*?</div>', html, re.S).group(0)
    assert 'href="/login"' in companies and 'href="/signup"' in companies
    regulators = re.search(r'id="home-regulators".*?</div>', html, re.S).group(0)
    assert 'href="/login"' in regulators and "监管人员登录" in regulators


def test_the_api_documentation_is_in_the_footer_only(client):
    html = text(client.get("/"))
    assert "/api/docs" not in _nav(html)
    assert "/api/docs" in _footer(html)
    body = html[html.index('<main class="content"'):html.index("</main>")]
    assert "/api/docs" not in body
    # The anonymous navigation offers the card check and the workers' entry instead.
    assert 'href="/c"' in _nav(html) and 'href="/me/login"' in _nav(html)


def test_the_home_page_in_english(client):
    html = text(client.get("/?lang=en"))
    assert '<html lang="en">' in html
    assert "Check a home-service worker" in html and "Activate self-service" in html
    assert "Company sign-in" in html and "Regulator sign-in" in html
    assert "查验上门服务人员" not in html


def test_the_box_reaches_the_card_page_and_a_typo_reads_as_one(client, factory):
    world = green_worker(factory)
    # Lower case and spaces, as people type it from the printed card.
    typed = " ".join([world.card_no[:5], world.card_no[5:]]).lower()
    resp = client.get("/c", query_string={"card_no": typed})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/c/{world.card_no}"
    assert client.get(resp.headers["Location"]).status_code == 200
    last = world.card_no[-1]
    typo = world.card_no[:-1] + ("A" if last != "A" else "B")
    wrong = client.get("/c", query_string={"card_no": typo})
    assert wrong.status_code == 422
    assert 'data-code="card_no_typo"' in text(wrong)


def test_a_signed_in_account_sees_who_it_is_not_the_sign_up(client, factory):
    company, admin = factory.company()
    assert login(client, admin.account.login, admin.password).status_code == 302
    html = text(client.get("/?lang=en"))
    assert 'id="home-signed-in"' in html and admin.account.login in html
    assert 'href="/signup"' not in html
