"""axe-core in Debian's chromium over the main pages, in Chinese and in English: no serious or critical
violation anywhere — contrast, keyboard-reachable scroll regions, names of controls, the language of
every piece of text a screen reader reads out.

axe comes from the PyPI package axe-playwright-python (it bundles axe.min.js), so the suite needs no npm.
Residents and workers use phones, companies and regulators desks: each page is checked at that size."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.browserutil import PHONE
from tests.support.sanctionutil import NOTICE_REASONS

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 900}
LANGS = ("zh", "en")
# axe's impact levels; "moderate" and "minor" are best-practice advice, not failures of WCAG AA.
BLOCKING = {"serious", "critical"}


def _with_lang(url: str, code: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={code}"


class Auditor:
    """Opens pages in one browser context and collects axe's serious and critical violations."""

    def __init__(self, browser, base: str, viewport: dict):
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.base = base
        self.context = browser.new_context(viewport=viewport, locale="zh-CN")
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.failures: list[str] = []
        self.checked: list[str] = []
        self.second_language = 0  # second-language passages seen (so their check below is not vacuous)

    def check(self, name: str, path: str, *, refused: bool = False) -> None:
        """Audit `path` in both languages (`refused`: a page that answers the request with a 4xx)."""
        for code in LANGS:
            resp = self.page.goto(_with_lang(f"{self.base}{path}", code))
            assert resp is not None, (name, code)
            assert (400 <= resp.status < 500) if refused else resp.status == 200, (name, code, resp.status)
            self.audit(f"{name} [{code}]")

    def audit(self, label: str) -> None:
        """Audit the page as it is now (after a form was sent, say)."""
        results = self.axe.run(self.page).response
        self.checked.append(label)
        for v in results["violations"]:
            if v["impact"] in BLOCKING:
                where = "; ".join(f"{n['target']}: {n.get('failureSummary', '').splitlines()[-1].strip()}"
                                  for n in v["nodes"][:3])
                self.failures.append(f"{label} {v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {where}")
        # axe cannot know which words are English: the registry marks its second-language text, and that
        # text must say its language, or a screen reader reads it in the page's voice.
        other = self.page.evaluate("""() => [...document.querySelectorAll('.other-lang')].map(e =>
            [e.closest('[lang]').lang, e.textContent.trim()])""")
        self.second_language += len(other)
        page_lang = self.page.evaluate("document.documentElement.lang")
        self.failures += [f"{label} second-language text read as {tag}: {text!r}" for tag, text in other
                          if tag == page_lang]

    def sign_in(self, login: str, password: str, totp_secret: str | None = None) -> None:
        import pyotp

        self.page.goto(f"{self.base}/login?lang=zh")
        self.page.fill("#login", login)
        self.page.fill("#password", password)
        self.page.click("form[action^='/login'] button[type=submit]")
        if totp_secret is not None:
            self.page.wait_for_url(f"{self.base}/login/totp")
            self.page.fill("#code", pyotp.TOTP(totp_secret).now())
            self.page.click("form[action='/login/totp'] button[type=submit]")
        self.page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()


def _card_path(factory, app, world, card) -> str:
    from registry.cards import services as cards

    scanned = urlsplit(cards.qr_payload(factory.ring, world.worker, card, app.config["PUBLIC_URL"]))
    return f"{scanned.path}?{scanned.query}"


def test_axe_finds_no_serious_violation_on_the_main_pages_in_both_languages(app, factory, live_server, browser,
                                                                            monkeypatch):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from registry.cards import qr
    from registry.clock import now
    from registry.extensions import db
    from registry.log.checkpoints import sign_if_grown
    from registry.selfservice.services import issue_activation_code
    from tests.support.cardworld import green_worker, issue
    from tests.support.selfutil import PIN, last_activation_code

    # The live server is the official address: scanned QRs read genuine only there.
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    green = green_worker(factory, seed=11)
    sign_if_grown(factory.ring, app.config["LOG_ORIGIN"])  # two checkpoints: /log shows both worked examples
    db.session.commit()
    yellow = green_worker(factory, seed=12, name="王小丫", background="pending")
    red = green_worker(factory, seed=13, name="李大红", background="failed")
    green_card, yellow_card = issue(factory, green), issue(factory, yellow)
    forged = qr.make_q(Ed25519PrivateKey.generate(), green.card_no, 1, green_card.valid_until)
    regulator = factory.agency_user(factory.agency("housekeeping"))
    issue_activation_code(factory.ring, actor=green.admin, worker=green.worker, now=now())
    db.session.commit()
    code = last_activation_code(factory, phone="13800005678")  # green_worker's phone
    # Listings proposed and noticed to the green worker and to its company: their notices show on /me and in
    # the company portal, and the regulator's pages have a sanction to show with its forms.
    from registry.clock import today
    from registry.sanctions import services as sanctions
    from tests.support.sanctionutil import record

    noticed = []
    for subject in ({"worker": green.worker}, {"company": green.company}):
        listing = record(factory, regulator.account, kind="serious_list", severity="serious", months=12,
                         today=today(), **subject)
        sanctions.notify_sanction(factory.ring, regulator=regulator.account, sanction=listing, today=today(),
                                  reasons=NOTICE_REASONS)
        db.session.commit()
        noticed.append(listing.ref)
    fine = record(factory, regulator.account, worker=yellow.worker, kind="fine", severity="general", months=3,
                  today=today())
    # Two reviewed services of the green worker, one replied to, and one awaiting review: the card and company
    # pages show the summaries, the company's reviews page a reply and a reply form.
    from registry.trace import reviews as trace_reviews
    from tests.support.traceutil import last_review_code
    from tests.support.traceutil import record as record_service

    for n, (stars, tags) in enumerate([(5, ["punctual", "careful"]), (4, ["polite"])]):
        service = record_service(factory, green, phone=f"1391234000{n}")
        ref_, code_ = last_review_code(factory)
        trace_reviews.leave_review(factory.ring, reference=ref_, code=code_, rating=stars, tags=tags,
                                   text="阿姨很细心。", now=now())
        db.session.commit()
    trace_reviews.reply(factory.ring, account=green.admin, company=green.company, service=service, text="谢谢！",
                        now=now())
    db.session.commit()
    record_service(factory, green, phone="13912340009")
    # A complaint with that service's code, about the green worker: the complaint pages have one to show.
    from registry.complaints import services as complaints

    ref_, code_ = last_review_code(factory)
    complaint = complaints.file_by_code(factory.ring, reference=ref_, code=code_, about="worker", category="quality",
                                        text="约定的卫生间清洁没有做。", contact=complaints.Contact("张女士", None),
                                        now=now()).complaint
    db.session.commit()
    # The company's admin asks for human review of its score: the regulators' list and the answer form.
    from registry.credit import score_reviews

    score_review = score_reviews.file_for_company(factory.ring, account=green.admin, company=green.company,
                                                  reason="最新的好评没有计入。", now=now()).review
    db.session.commit()
    sign_if_grown(factory.ring, app.config["LOG_ORIGIN"])
    db.session.commit()

    phone = Auditor(browser, live_server, PHONE)
    desk = Auditor(browser, live_server, DESK)
    worker = Auditor(browser, live_server, PHONE)
    try:
        # A resident at the door, and the public.
        phone.check("home", "/")
        phone.check("card look-up", "/c")
        phone.check("card green (genuine QR)", _card_path(factory, app, green, green_card))
        phone.check("card yellow (genuine QR)", _card_path(factory, app, yellow, yellow_card))
        phone.check("card red", f"/c/{red.card_no}")
        phone.check("card with a forged QR", f"/c/{green.card_no}?q={forged}")
        phone.check("card number with a typo", f"/c/{green.card_no[:-1]}{'A' if green.card_no[-1] != 'A' else 'B'}",
                    refused=True)
        phone.check("company public page", f"/companies/{green.company.uscc}")
        phone.check("red list", "/red-list")
        phone.check("review form", "/review")
        phone.check("complaint with a review code", "/complain")
        phone.check("complaint from a card page", f"/c/{green.card_no}/complain")
        phone.check("complaint tracking", "/complaints/track")
        phone.check("log verification", "/log")
        phone.check("report form", f"/c/{yellow.card_no}/report")
        for code_ in LANGS:
            # Sent without a reason: the error summary and the field's error, in the page's language.
            phone.page.goto(f"{live_server}/c/{yellow.card_no}/report?lang={code_}")
            phone.page.click("#report-form button[type=submit]")
            phone.page.wait_for_load_state()
            phone.audit(f"report form with errors [{code_}]")
            phone.page.check("#report-form input[name=reason]:first-of-type")
            phone.page.click("#report-form button[type=submit]")
            phone.page.wait_for_url(f"{live_server}/c/{yellow.card_no}/report/thanks*")
            phone.audit(f"report thanks [{code_}]")
        phone.check("company sign-in", "/login")
        phone.check("worker sign-in", "/me/login")
        phone.check("worker activation", "/me/activate")
        for code_ in LANGS:
            phone.page.goto(f"{live_server}/me/login?lang={code_}")
            phone.page.fill("#card_no", green.card_no)
            phone.page.fill("#pin", "000")
            phone.page.click("#worker-login form button[type=submit]")
            phone.page.wait_for_load_state()
            phone.audit(f"worker sign-in with errors [{code_}]")

        # The worker on their phone.
        worker.page.goto(f"{live_server}/me/activate?lang=zh")
        worker.page.fill("#card_no", green.card_no)
        worker.page.fill("#code", code)
        worker.page.fill("#pin", PIN)
        worker.page.fill("#pin2", PIN)
        worker.page.click("#activate form button[type=submit]")
        worker.page.wait_for_url(f"{live_server}/me")
        worker.check("worker's own record", "/me")
        worker.page.click("#make-consent-code")
        worker.page.wait_for_url(f"{live_server}/me/consent-codes")
        worker.check("worker's consent code and its QR", "/me/consent-codes")
        # The resident's phone opened from that QR: the one-tap panel the page's script shows.
        address, fragment = worker.page.locator("#consent-qr").get_attribute("data-url").split("#")
        for code_ in LANGS:
            phone.page.goto(f"{_with_lang(address, code_)}#{fragment}")
            phone.page.wait_for_selector("#consent-scanned", state="visible")
            phone.audit(f"consent form opened from the QR [{code_}]")

        worker.check("complaints about the worker", "/me/complaints")

        # A company admin, then a regulator, at a desk.
        desk.sign_in(green.admin.login, "correct horse battery")
        desk.check("company page", "/company")
        desk.check("company notices", "/company/notices")
        desk.check("company reviews", "/company/reviews")
        desk.check("record a service", "/company/services/new")
        desk.check("company services", "/company/services")
        desk.check("complaints about the company", "/company/complaints")
        desk.check("staff list", "/company/workers")
        desk.check("worker detail", f"/workers/{green.card_no}")
        desk.page.click("form[action='/logout'] button")
        desk.page.wait_for_load_state()
        desk.sign_in(regulator.account.login, regulator.password, regulator.totp_secret)
        desk.check("regulator worklist", "/regulator")
        desk.check("regulator company queue", "/regulator/companies")
        desk.check("regulator reports", "/admin/reports")
        desk.check("sanctions list", "/admin/sanctions")
        desk.check("record a sanction", "/admin/sanctions/new")
        for code_ in LANGS:
            # Sent empty: the error summary and each field's error.
            desk.page.goto(f"{live_server}/admin/sanctions/new?lang={code_}")
            desk.page.click("#sanction-form button[type=submit]")
            desk.page.wait_for_load_state()
            desk.audit(f"record a sanction with errors [{code_}]")
        desk.check("a noticed listing with its steps", f"/admin/sanctions/{noticed[0]}")
        desk.check("a fine to publish", f"/admin/sanctions/{fine.ref}")
        desk.check("score reviews", "/regulator/score-reviews")
        desk.check("a score review with its answer form", f"/regulator/score-reviews/{score_review.ref}")
        desk.check("complaints queue", "/admin/complaints")
        desk.check("a complaint with its step form", f"/admin/complaints/{complaint.ref}")
        desk.check("household query", "/regulator/households")
        for code_ in LANGS:
            # A query answered: the results table (the phone is not kept, the query is recorded).
            desk.page.goto(f"{live_server}/regulator/households?lang={code_}")
            desk.page.fill("#phone", "13912340000")
            desk.page.check("#purpose-complaint")
            desk.page.click("#household-query button[type=submit]")
            desk.page.wait_for_selector("#household-results")
            desk.audit(f"household query answered [{code_}]")
    finally:
        phone.close()
        desk.close()
        worker.close()

    checked = phone.checked + worker.checked + desk.checked
    assert len(checked) >= 40, checked
    # Errors now speak the page's language only (docs/architecture.md, "How pages show errors"): none of these
    # pages carries second-language text; any that appears is still checked above for its `lang`.
    assert phone.second_language == 0, "the pages with errors show them in the page's language only"
    failures = phone.failures + worker.failures + desk.failures
    assert failures == [], "axe found serious or critical violations:\n" + "\n".join(failures)
