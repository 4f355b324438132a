"""Errors in plain words, on every family of page forms: a summary at the top that takes the focus, names the
reason and links to each field at fault; the page's language only; the stable code at most as a small support
code; and a 429 page that says when to try again (docs/architecture.md, "How pages show errors")."""
from __future__ import annotations

import random
import re
from datetime import date
from html.parser import HTMLParser

import pytest

from registry.extensions import limiter
from registry.workers import idnumber
from tests.support.sanctionutil import NOTICE_REASONS
from tests.support.webutil import login, post_form, text

TYPO = "JX0000000000L"  # a well-formed card number whose check character is wrong
CJK = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # what a developer's error code looks like: card_no_typo


class Page(HTMLParser):
    """The error summary (its attributes, links and text) and every id on the page."""

    def __init__(self, html: str):
        super().__init__()
        self.ids: set[str] = set()
        self.summary: dict | None = None
        self.links: list[str] = []
        self.summary_text = ""
        self._depth = 0  # open <div>s inside the summary
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if "id" in found:
            self.ids.add(found["id"])
        if self._depth:
            if tag == "div":
                self._depth += 1
            if tag == "a":
                self.links.append(found.get("href", ""))
        elif tag == "div" and "error-summary" in (found.get("class") or "").split():
            assert self.summary is None, "one summary per page"
            self.summary, self._depth = found, 1

    def handle_endtag(self, tag):
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.summary_text += data


def visible_main(html: str) -> str:
    """The words a person reads in <main>, the support-code line left out."""
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    main = re.sub(r'<p class="support-code[^"]*">.*?</p>', "", main, flags=re.S)
    return re.sub(r"<[^>]+>", " ", main)


def assert_summary(resp, lang: str, targets: set[str], words: str) -> Page:
    """The summary is there, takes the focus, links to exactly `targets` (which exist), says `words`,
    speaks `lang` only, and shows no bare error code."""
    html = text(resp)
    page = Page(html)
    assert page.summary is not None, html[:3000]
    assert page.summary["role"] == "alert" and page.summary["tabindex"] == "-1" and "autofocus" in page.summary
    assert "/static/error-summary.js" in html  # moves the focus where autofocus on a box is not honoured
    assert {href.removeprefix("#") for href in page.links} == targets
    assert all(href.startswith("#") for href in page.links)
    assert targets <= page.ids, targets - page.ids  # each link lands on the field
    assert words in page.summary_text, page.summary_text
    shown = visible_main(html)
    if lang == "en":
        assert not CJK.search(page.summary_text), page.summary_text
    else:
        assert not re.search(r"\b(?:Enter|Choose|The|This|One|Please)\b", page.summary_text), page.summary_text
    assert not CODE.findall(shown), CODE.findall(shown)
    return page


@pytest.mark.parametrize("lang, words", [("zh", "请填写登录名"), ("en", "Enter")])
def test_the_sign_in_form(client, lang, words):
    client.get(f"/login?lang={lang}")
    resp = post_form(client, "/login", {"login": "", "password": ""})
    assert resp.status_code == 400
    assert_summary(resp, lang, {"login", "password"}, words)


def test_a_wrong_password_names_the_reason_without_a_link(client, factory):
    _company, admin = factory.company()
    resp = login(client, admin.account.login, "not the password")
    assert resp.status_code == 401
    assert_summary(resp, "zh", set(), "登录名或密码不正确")


@pytest.mark.parametrize("lang, words", [("zh", "卡号有一位输错了，请对照服务证逐位核对"),
                                         ("en", "One character of the card number is mistyped")])
def test_the_workers_sign_in_with_a_mistyped_card_number(client, lang, words):
    client.get(f"/me/login?lang={lang}")
    resp = post_form(client, "/me/login", {"card_no": TYPO, "pin": "204937"}, page=f"/me/login?lang={lang}")
    assert 400 <= resp.status_code < 500
    assert_summary(resp, lang, {"card_no"}, words)


@pytest.mark.parametrize("lang, words", [("zh", "卡号有一位输错了，请对照服务证逐位核对"),
                                         ("en", "One character of the card number is mistyped")])
def test_the_card_look_up_with_a_typo(client, lang, words):
    resp = client.get(f"/c?card_no={TYPO}&lang={lang}")
    assert resp.status_code == 422
    page = assert_summary(resp, lang, {"card_no"}, words)
    # The code stays for support and for programs, never as the message.
    assert page.summary["data-code"] == "card_no_typo"
    assert "校验位" not in text(resp)


def _company_admin(app, factory):
    _company, admin = factory.company()
    browser = app.test_client()
    assert login(browser, admin.account.login, admin.password).status_code == 302
    return browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_worker_registration(app, factory, lang):
    browser = _company_admin(app, factory)
    browser.get(f"/company/workers/new?lang={lang}")
    resp = post_form(browser, "/company/workers/new",
                     {"name": "陈秀英", "id_number": "", "phone": "13600001234", "occupation": "cleaner",
                      "start_date": "2026-13-45"}, page="/company/workers/new")
    assert resp.status_code == 400
    words = "请按 年-月-日 填写日期" if lang == "zh" else "Write the date as year-month-day"
    # The radio group's link lands on the group, which can take the focus.
    assert_summary(resp, lang, {"id_number", "employment_kind", "start_date"}, words)
    assert 'id="employment_kind" tabindex="-1" role="group"' in text(resp)


def test_worker_registration_with_a_mistyped_id_number_shows_its_support_code(app, factory):
    browser = _company_admin(app, factory)
    number = idnumber.generate(random.Random(7), birth=date(1985, 3, 5))
    wrong = number[:-1] + next(ch for ch in "0123456789X" if ch != number[-1])
    resp = post_form(browser, "/company/workers/new",
                     {"name": "陈秀英", "id_number": wrong, "phone": "13600001234", "occupation": "cleaner",
                      "employment_kind": "labour_contract", "start_date": "2026-01-05", "social_insurance": "y"},
                     page="/company/workers/new")
    assert resp.status_code == 422
    assert_summary(resp, "zh", {"id_number"}, "证件号码有一位输错了，请对照证件逐位核对")
    assert '<p class="support-code">支持代码: <span>id_number_checksum</span></p>' in text(resp)


@pytest.mark.parametrize("lang, words", [("zh", "请选择"), ("en", "Choose")])
def test_company_sign_up(client, lang, words):
    client.get(f"/signup?lang={lang}")
    resp = post_form(client, "/signup", {"uscc": "", "name": "成都安心家政服务有限公司"}, page=f"/signup?lang={lang}")
    assert resp.status_code == 400
    page = assert_summary(resp, lang, {"uscc", "sectors", "district", "contact_name", "contact_phone", "admin_login",
                                       "admin_name", "admin_password", "admin_password_confirm"}, words)
    assert len(page.links) >= 9


@pytest.fixture
def two_lookups(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOOKUP_LIMIT", "2 per 10 minutes")
    limiter.reset()
    yield
    limiter.reset()


@pytest.mark.parametrize("lang, wait", [("zh", "请在 10 分钟后再试。"), ("en", "Try again in 10 minutes.")])
def test_the_429_page_says_when_to_try_again(client, two_lookups, lang, wait):
    for _ in range(2):
        assert client.get(f"/c?card_no={TYPO}&lang={lang}").status_code == 422
    resp = client.get(f"/c?card_no={TYPO}&lang={lang}")
    assert resp.status_code == 429
    seconds = int(resp.headers["Retry-After"])
    assert 540 < seconds <= 600
    html = text(resp)
    assert wait in html
    shown = visible_main(html)
    assert not CODE.findall(shown)
    assert ("请求过于频繁" in shown) == (lang == "zh") and ("Too many requests" in shown) == (lang == "en")
    # Programs still get the contract: both languages and the code, in JSON.
    api = client.get(f"/c?card_no={TYPO}", headers={"Accept": "application/json"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "rate_limited"


def test_the_other_language_of_a_refusal_is_its_english_not_its_code(app):
    from registry.errors import ApiError
    from registry.web import msg, msg_other

    refusal = ApiError(422, "card_no_typo", "卡号可能输错了。", "The card number looks mistyped.")
    with app.test_request_context("/?lang=zh"):
        assert msg(refusal) == "卡号可能输错了。"
        other = str(msg_other(refusal))
        assert "The card number looks mistyped." in other and "card_no_typo" not in other
        assert 'lang="en"' in other


def _regulator(app, factory):
    reg = factory.agency_user(factory.agency("housekeeping"))
    browser = app.test_client()
    assert login(browser, reg.account.login, reg.password, reg.totp_secret).status_code == 302
    return reg, browser


@pytest.mark.parametrize("lang, words", [("zh", "请选择当事人类型"), ("en", "Choose a worker or a company")])
def test_recording_a_sanction(app, factory, lang, words):
    _reg, browser = _regulator(app, factory)
    browser.get(f"/admin/sanctions/new?lang={lang}")
    resp = post_form(browser, "/admin/sanctions/new", {"kind": "serious_list", "publish_months": "x"},
                     page="/admin/sanctions/new")
    assert resp.status_code == 422
    assert_summary(resp, lang, {"subject_kind", "severity", "legal_basis", "facts", "measures", "publish_months"},
                   words)


def test_a_sanction_step_refused_names_the_reason_with_its_support_code(app, factory):
    from registry.clock import today
    from registry.extensions import db
    from registry.sanctions import services as sanctions
    from tests.support.cardworld import green_worker
    from tests.support.sanctionutil import record

    reg, browser = _regulator(app, factory)
    w = green_worker(factory)
    listing = record(factory, reg.account, worker=w.worker, kind="serious_list", severity="serious", months=12,
                     today=today())
    sanctions.notify_sanction(factory.ring, regulator=reg.account, sanction=listing, today=today(),
                              reasons=NOTICE_REASONS)
    db.session.commit()
    page = f"/admin/sanctions/{listing.ref}"
    resp = post_form(browser, f"{page}/decide", {"decision_no": "商务信〔2026〕1号"}, page=page)
    assert resp.status_code == 409
    assert_summary(resp, "zh", set(), "届满后方可作出决定")
    assert '<p class="support-code">支持代码: <span>objection_window_open</span></p>' in text(resp)
