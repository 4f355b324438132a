"""The self-service pages: the employer's button, activation, the worker's page, consent codes,
the resident's detailed view, sign-in and sign-out."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers.models import AccessRecord
from tests.support.selfutil import PIN, employ, last_activation_code, send_code
from tests.support.webutil import csrf_from, login, post_form, regulator_client, session_of, text

CODE_ON_PAGE = re.compile(r'id="consent-code" data-code="([0-9A-Z]{8})"')


def activated_client(app, factory, company, admin, worker):
    """A browser in which the worker activated self-service through the page."""
    c = app.test_client()
    code = send_code(factory, admin.account, worker)
    resp = post_form(c, "/me/activate", {"card_no": worker.card_no, "code": code, "pin": PIN, "pin2": PIN})
    assert resp.status_code == 302 and resp.headers["Location"] == "/me", (resp.status_code, text(resp)[:1500])
    return c


def test_the_employer_sends_a_code_from_the_detail_page_and_never_sees_it(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    c = app.test_client()
    assert login(c, admin.account.login, admin.password).status_code == 302
    page = c.get(f"/workers/{worker.card_no}")
    assert page.status_code == 200 and 'id="send-activation-code"' in text(page)
    resp = c.post(f"/workers/{worker.card_no}/activation-code", data={"csrf_token": csrf_from(text(page))},
                  follow_redirects=True)
    assert resp.status_code == 200
    code = last_activation_code(factory)
    assert code not in text(resp) and f"{code[:4]}-{code[4:]}" not in text(resp)
    assert "激活码" in text(resp)
    # Another company's user cannot.
    other, other_admin = factory.company()
    c2 = app.test_client()
    login(c2, other_admin.account.login, other_admin.password)
    token = csrf_from(text(c2.get("/company/workers")))
    assert c2.post(f"/workers/{worker.card_no}/activation-code", data={"csrf_token": token}).status_code == 404


def test_the_regulators_page_offers_no_activation_code_once_the_worker_is_erased(app, factory):
    """An erased worker has no phone: the detailed page a regulator opens says the personal data was erased instead
    of offering a button the registry would refuse (410 `worker_erased`)."""
    from registry import clock
    from registry.retention import erasure
    from registry.workers import services as workers
    from registry.workers.models import Worker

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    card_no, worker_id = worker.card_no, worker.id
    workers.end_employment(factory.ring, account=admin.account, company=company, worker=worker,
                           end_date=clock.today(), today=clock.today())
    db.session.commit()
    c = regulator_client(app, factory.agency_user(factory.agency("market")))

    def opened() -> str:
        resp = post_form(c, "/regulator/workers", {"card_no": card_no, "purpose": "verification"},
                         page="/regulator/workers")
        assert resp.status_code == 200 and card_no in text(resp)
        return text(resp)

    button = f'action="/workers/{card_no}/activation-code"'
    before = opened()
    assert 'id="send-activation-code"' in before and button in before and 'id="self-service-erased"' not in before
    erasure.erase_worker(factory.ring, worker=db.session.get(Worker, worker_id), actor="system",
                         basis="retention_period", reference=None, now=clock.now(), today=clock.today())
    db.session.commit()
    after = opened()
    assert 'id="send-activation-code"' not in after and button not in after
    note = after.split('id="self-service-erased"')[1].split("</p>")[0]
    assert "已依法删除" in note and "激活码" in note
    # The request itself is still refused, as before.
    refused = c.post(f"/workers/{card_no}/activation-code", data={"csrf_token": csrf_from(after)})
    assert refused.status_code == 410


def test_activation_page_then_the_workers_own_page(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account, name="陈秀英")
    c = app.test_client()
    form = c.get("/me/activate")
    for field in ("card_no", "code", "pin", "pin2"):
        assert f'id="{field}"' in text(form) and f'for="{field}"' in text(form)
    code = send_code(factory, admin.account, worker)
    differ = post_form(c, "/me/activate", {"card_no": worker.card_no, "code": code, "pin": PIN, "pin2": "204938"})
    assert differ.status_code == 400 and "两次输入的 PIN 不一致" in text(differ)
    weak = post_form(c, "/me/activate", {"card_no": worker.card_no, "code": code, "pin": "123456", "pin2": "123456"})
    assert weak.status_code == 422 and "连续数字" in text(weak)
    wrong = post_form(c, "/me/activate", {"card_no": worker.card_no, "code": "2222-2222", "pin": PIN, "pin2": PIN})
    assert wrong.status_code == 422 and "activation_code_invalid" in text(wrong)
    ok = post_form(c, "/me/activate", {"card_no": worker.card_no, "code": code, "pin": PIN, "pin2": PIN})
    assert ok.status_code == 302 and ok.headers["Location"] == "/me"
    me = c.get("/me")
    assert me.status_code == 200
    html = text(me)
    assert "陈秀英" in html and worker.card_no in html and 'id="access-table"' in html
    assert me.headers["Cache-Control"] == "no-store"
    # The session cookie carries the token; the URL never does.
    assert "jxw_" not in ok.headers["Location"]


def test_the_resident_opens_the_detailed_view_with_a_consent_code(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account, name="欧阳秀英")
    me = activated_client(app, factory, company, admin, worker)
    made = post_form(me, "/me/consent-codes", page="/me")
    assert made.status_code == 303 and made.headers["Location"] == "/me/consent-codes"
    made = me.get("/me/consent-codes")
    code = CODE_ON_PAGE.search(text(made)).group(1)
    assert f"{code[:4]}-{code[4:]}" in text(made)
    # The resident, on their own phone.
    resident = app.test_client()
    page = resident.get(f"/c/{worker.card_no}/detail")
    assert page.status_code == 200 and 'id="consent_code"' in text(page)
    bad = post_form(resident, f"/c/{worker.card_no}/detail", {"consent_code": "2222-2222"})
    assert bad.status_code == 422 and "consent_code_invalid" in text(bad)
    before = db.session.execute(select(LogEntry.seq).order_by(LogEntry.seq)).scalars().all()
    shown = post_form(resident, f"/c/{worker.card_no}/detail", {"consent_code": code.lower()})
    assert shown.status_code == 303 and shown.headers["Location"] == f"/c/{worker.card_no}/detail"
    shown = resident.get(f"/c/{worker.card_no}/detail")
    assert shown.status_code == 200
    html = text(shown)
    assert "欧阳**" in html and "欧阳秀英" not in html and 'id="no-photo"' in html
    assert company.name in html
    db.session.rollback()
    assert db.session.execute(select(LogEntry.seq).order_by(LogEntry.seq)).scalars().all() == before
    assert db.session.execute(select(AccessRecord.purpose).where(AccessRecord.accessor_kind == "resident")) \
        .scalars().all() == ["consent_view"]
    # Used once: the same code again, from another phone, is refused.
    again = post_form(app.test_client(), f"/c/{worker.card_no}/detail", {"consent_code": code})
    assert again.status_code == 422
    # The worker sees the resident's view on their page.
    assert "居民（经您同意）" in text(me.get("/me"))


def test_the_resident_view_shows_the_photo_inline(app, factory):
    import io
    from datetime import timedelta

    from PIL import Image

    from registry.clock import today
    from registry.workers import photos

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    png = io.BytesIO()
    Image.new("RGB", (12, 16), (1, 2, 3)).save(png, "PNG")
    photos.set_photo(factory.ring, account=admin.account, company=company, worker=worker, data=png.getvalue(),
                     consent_on=today() - timedelta(days=1), today=today())
    db.session.commit()
    me = activated_client(app, factory, company, admin, worker)
    assert "已登记" in text(me.get("/me"))
    code = CODE_ON_PAGE.search(text(post_form(me, "/me/consent-codes", page="/me", follow_redirects=True))).group(1)
    shown = post_form(app.test_client(), f"/c/{worker.card_no}/detail", {"consent_code": code}, follow_redirects=True)
    assert re.search(r'<img id="worker-photo" src="data:image/png;base64,[A-Za-z0-9+/=]+"', text(shown))


def test_sign_in_sign_out_and_the_state_download(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    activated_client(app, factory, company, admin, worker)
    c = app.test_client()
    assert c.get("/me").headers["Location"] == "/me/login"
    wrong = post_form(c, "/me/login", {"card_no": worker.card_no, "pin": "999990"})
    assert wrong.status_code == 401 and "login_failed" in text(wrong)
    ok = post_form(c, "/me/login", {"card_no": worker.card_no, "pin": PIN})
    assert ok.status_code == 302 and ok.headers["Location"] == "/me"
    state = c.get("/me/state.json")
    assert state.status_code == 200 and "attachment" in state.headers["Content-Disposition"]
    body = json.loads(state.get_data())
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == worker.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert body["digest"] == json.loads(entry.body)["digest"] and body["salt"] == worker.salt
    out = post_form(c, "/me/logout", page="/me")
    assert out.status_code == 302
    assert c.get("/me").headers["Location"] == "/me/login"


def test_a_new_activation_code_signs_the_worker_out_of_the_pages(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    c = activated_client(app, factory, company, admin, worker)
    assert c.get("/me").status_code == 200
    send_code(factory, factory.regulator_for("housekeeping"), worker)
    assert c.get("/me").headers["Location"] == "/me/login"


def test_five_wrong_pins_on_the_page_lock_sign_in(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    activated_client(app, factory, company, admin, worker)
    c = app.test_client()
    statuses = [post_form(c, "/me/login", {"card_no": worker.card_no, "pin": "999990"}).status_code
                for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = post_form(c, "/me/login", {"card_no": worker.card_no, "pin": PIN})
    assert locked.status_code == 423 and "pin_locked" in text(locked)


def test_the_worker_confirms_a_new_employer_on_their_page(app, factory):
    from registry.clock import today
    from registry.workers import services as workers
    from registry.workers.models import Employment

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    person = workers.open_personal_data(factory.ring, worker)
    other, other_admin = factory.company()
    reg = workers.register_worker(factory.ring, account=other_admin.account, company=other, today=today(),
                                  person=workers.Person(person["name"], person["id_number"], "13700000000"),
                                  engagement=workers.Engagement("cleaner", "labour_contract", today(), True))
    db.session.commit()
    employment_id = reg.employment.id
    c = activated_client(app, factory, company, admin, worker)
    page = text(c.get("/me"))
    assert 'id="awaiting"' in page and other.name in page
    resp = post_form(c, f"/me/employments/{employment_id}/confirm", page="/me")
    assert resp.status_code == 302 and resp.headers["Location"] == "/me#awaiting"
    db.session.rollback()
    assert db.session.get(Employment, employment_id).active
    last = db.session.execute(select(LogEntry).order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert last.action == "worker:employ:confirm" and json.loads(last.body)["actor"] == "worker"
    assert 'id="awaiting"' not in text(c.get("/me"))
    # Nothing left to answer: the page says so instead of failing.
    again = post_form(c, f"/me/employments/{employment_id}/decline", page="/me", follow_redirects=True)
    assert again.status_code == 200 and "待确认的用工记录" in text(again)


def _nav(html: str) -> str:
    return re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)


def test_the_header_knows_a_signed_in_worker(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    anonymous = _nav(text(app.test_client().get("/?lang=zh")))
    assert 'href="/signup"' in anonymous and 'href="/me/login"' in anonymous
    c = activated_client(app, factory, company, admin, worker)
    # On every page, their own record and sign-out; no company sign-up, no account log-in.
    for path in ("/?lang=zh", "/c", f"/c/{worker.card_no}", "/log"):
        nav = _nav(text(c.get(path)))
        assert 'href="/me"' in nav and "我的记录" in nav, path
        assert 'action="/me/logout"' in nav and worker.card_no in nav, path
        assert 'href="/signup"' not in nav and 'href="/login"' not in nav, path
    english = _nav(text(c.get("/?lang=en")))
    assert "My record" in english and "Sign out" in english
    # The card page then carries a CSRF token: a shared cache must not keep it.
    assert c.get(f"/c/{worker.card_no}").headers["Cache-Control"] == "private, no-cache"
    # The header's sign-out works, and the header forgets the worker.
    out = post_form(c, "/me/logout", page="/")
    assert out.status_code == 302 and c.get("/me").headers["Location"] == "/me/login"
    nav = _nav(text(c.get("/?lang=zh")))
    assert 'action="/me/logout"' not in nav and 'href="/signup"' in nav


def test_the_header_drops_a_worker_whose_session_ended_elsewhere(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    c = activated_client(app, factory, company, admin, worker)
    assert 'action="/me/logout"' in _nav(text(c.get("/")))
    # A new activation code ends every session of the worker.
    send_code(factory, admin.account, worker)
    nav = _nav(text(c.get("/")))
    assert 'action="/me/logout"' not in nav and "我的记录" not in nav


# --- nothing one-time is lost: reloads, language switches and redirects -----------------------------------------

def test_a_just_made_consent_code_survives_reloads_and_the_language_switch_until_used(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    me = activated_client(app, factory, company, admin, worker)
    made = post_form(me, "/me/consent-codes", page="/me")
    # Shown by a GET page, and never in a URL.
    assert made.status_code == 303 and made.headers["Location"] == "/me/consent-codes"
    code = CODE_ON_PAGE.search(text(me.get("/me/consent-codes"))).group(1)
    assert code not in made.headers["Location"]
    again = me.get("/me/consent-codes")  # a reload
    assert CODE_ON_PAGE.search(text(again)).group(1) == code
    english = me.get("/me/consent-codes?lang=en")  # the language switch's link
    assert english.status_code == 200 and "Your consent code for the resident" in text(english)
    assert CODE_ON_PAGE.search(text(english)).group(1) == code
    # The worker's own page shows it too, with its expiry.
    page = text(me.get("/me"))
    assert f'id="active-consent-code">{code[:4]}-{code[4:]}<' in page and 'id="active-consent-expires"' in page
    # Once the resident used it, it is gone from both pages, and the code page says so (in the chosen language).
    resident = app.test_client()
    assert post_form(resident, f"/c/{worker.card_no}/detail", {"consent_code": code}).status_code == 303
    assert 'id="active-consent"' not in text(me.get("/me"))
    gone = me.get("/me/consent-codes?lang=en")
    assert gone.status_code == 302 and gone.headers["Location"] == "/me?lang=en#consent"
    assert "No consent code to show" in text(me.get(gone.headers["Location"]))


def test_the_consent_code_page_shows_the_code_large_and_a_qr_that_opens_the_detailed_view(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    me = activated_client(app, factory, company, admin, worker)
    post_form(me, "/me/consent-codes", page="/me")
    page = text(me.get("/me/consent-codes"))
    code = CODE_ON_PAGE.search(page).group(1)
    assert 'class="consent-code-big"' in page and f">{code[:4]}-{code[4:]}<" in page
    # The QR's address names the registry's public URL, with the code in the fragment only; the picture is inline.
    qr = re.search(r'<figure class="consent-qr" id="consent-qr" data-url="([^"]+)"[^>]*>\s*(<svg[^>]*>)', page)
    assert qr is not None, page
    assert qr.group(1) == f"http://registry.test/c/{worker.card_no}/detail#code={code}"
    assert 'class="consent-qr-svg"' in qr.group(2)
    # /me points the worker at it while the code is live.
    assert 'id="show-consent-qr" href="/me/consent-codes"' in text(me.get("/me"))


def test_the_residents_form_carries_the_scan_script_and_a_one_tap_button_that_posts_it(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    page = text(app.test_client().get(f"/c/{worker.card_no}/detail"))
    assert '<script src="/static/consent-scan.js" defer></script>' in page
    # Hidden until the script finds a code in the fragment; the tap submits the form that holds the CSRF token.
    assert re.search(r'<section class="card narrow consent-scanned" id="consent-scanned" hidden>', page)
    assert '<button type="submit" form="consent-code-form" id="see-details">' in page
    form = re.search(r'<form method="post" action="([^"]+)" id="consent-code-form"', page)
    assert form is not None and form.group(1) == f"/c/{worker.card_no}/detail"
    assert 'name="csrf_token"' in page[form.start():]
    with app.test_client().get("/static/consent-scan.js") as script:
        assert script.status_code == 200 and b"history.replaceState" in script.data


def test_a_consent_code_shown_in_one_session_is_not_shown_after_sign_out(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    me = activated_client(app, factory, company, admin, worker)
    post_form(me, "/me/consent-codes", page="/me")
    assert post_form(me, "/me/logout", page="/me").status_code == 302
    assert post_form(me, "/me/login", {"card_no": worker.card_no, "pin": PIN}).status_code == 302
    assert 'id="active-consent"' not in text(me.get("/me"))


def test_an_expired_consent_code_is_no_longer_shown(app, factory, clock):
    from datetime import timedelta

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    me = activated_client(app, factory, company, admin, worker)
    post_form(me, "/me/consent-codes", page="/me")
    assert 'id="active-consent"' in text(me.get("/me"))
    clock.shift(timedelta(minutes=app.config["CONSENT_CODE_MINUTES"] + 1))
    page = me.get("/me")
    assert page.status_code == 200 and 'id="active-consent"' not in text(page)
    assert me.get("/me/consent-codes").status_code == 302


def test_the_residents_view_stays_viewable_in_that_browser_for_five_minutes_recorded_once(app, factory, clock):
    from datetime import timedelta

    company, admin = factory.company()
    worker = employ(factory, company, admin.account, name="欧阳秀英")
    me = activated_client(app, factory, company, admin, worker)
    post_form(me, "/me/consent-codes", page="/me")
    code = CODE_ON_PAGE.search(text(me.get("/me/consent-codes"))).group(1)
    resident = app.test_client()
    url = f"/c/{worker.card_no}/detail"
    spent = post_form(resident, url, {"consent_code": code})
    assert spent.status_code == 303 and spent.headers["Location"] == url
    first = resident.get(url)
    assert first.status_code == 200 and 'id="consent-ok"' in text(first) and 'id="viewable-until"' in text(first)
    # A reload and the language switch show the view again, without the code.
    assert 'id="consent-ok"' in text(resident.get(url))
    english = resident.get(f"{url}?lang=en")
    assert 'id="consent-ok"' in text(english) and "You can look again in this browser" in text(english)
    assert "欧阳**" in text(english) and "欧阳秀英" not in text(english)
    # Another browser sees only the form: the grant lives in the browser that spent the code.
    other = app.test_client().get(url)
    assert 'id="consent_code"' in text(other) and 'id="consent-ok"' not in text(other)
    # One read, recorded once: looking again is not a new access record.
    db.session.rollback()
    assert db.session.execute(select(AccessRecord.purpose).where(AccessRecord.accessor_kind == "resident")) \
        .scalars().all() == ["consent_view"]
    # Four minutes on it is still there; after five, the form again.
    clock.shift(timedelta(minutes=4))
    assert 'id="consent-ok"' in text(resident.get(url))
    clock.shift(timedelta(minutes=6))  # from the real time, not from the last shift
    later = resident.get(url)
    assert 'id="consent_code"' in text(later) and 'id="consent-ok"' not in text(later)


def test_lang_survives_page_redirects(app, factory):
    from registry.workers import cardno

    number = cardno.new_card_no()
    c = app.test_client()
    # The sign-in guard and the card look-up's redirect, in a browser that has chosen nothing before.
    assert c.get("/me?lang=en").headers["Location"] == "/me/login?lang=en"
    assert c.get(f"/c?card_no={number.lower()}&lang=en").headers["Location"] == f"/c/{number}?lang=en"
    assert c.get("/me?lang=zh").headers["Location"] == "/me/login?lang=zh"
    # A form posted from an English page lands on an English page.
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    me = activated_client(app, factory, company, admin, worker)
    made = post_form(me, "/me/consent-codes?lang=en", page="/me?lang=en")
    assert made.headers["Location"] == "/me/consent-codes?lang=en"
    assert "Your consent code for the resident" in text(me.get(made.headers["Location"]))


def test_with_lang_keeps_other_arguments_and_the_fragment_and_leaves_other_sites_alone(app):
    from registry.web import with_lang

    with app.test_request_context("/anything?lang=en", base_url="http://registry.test"):
        assert with_lang("/login?next=%2Fme") == "/login?next=%2Fme&lang=en"
        assert with_lang("/me#consent") == "/me?lang=en#consent"
        assert with_lang("/me?lang=zh") == "/me?lang=zh"
        assert with_lang("http://registry.test/me") == "http://registry.test/me?lang=en"
        assert with_lang("https://elsewhere.example/x") == "https://elsewhere.example/x"
        assert with_lang("//elsewhere.example/x") == "//elsewhere.example/x"
    with app.test_request_context("/anything?lang=fr"):
        assert with_lang("/me") == "/me"


def test_the_residents_grant_names_the_card_only_and_opens_no_other_card(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    other = employ(factory, company, admin.account, name="王芳", phone="13712345678")
    me = activated_client(app, factory, company, admin, worker)
    post_form(me, "/me/consent-codes", page="/me")
    code = CODE_ON_PAGE.search(text(me.get("/me/consent-codes"))).group(1)
    resident = app.test_client()
    assert post_form(resident, f"/c/{worker.card_no}/detail", {"consent_code": code}).status_code == 303
    # The cookie is signed, not encrypted: it carries the card number and the time, no internal id.
    assert set(session_of(resident)["resident_view"]) == {"card_no", "until"}
    assert 'id="consent-ok"' in text(resident.get(f"/c/{worker.card_no}/detail"))
    # The grant is for that card: another card's detailed view still asks for its own code.
    elsewhere = resident.get(f"/c/{other.card_no}/detail")
    assert 'id="consent_code"' in text(elsewhere) and 'id="consent-ok"' not in text(elsewhere)


def test_a_session_ended_elsewhere_drops_the_consent_code_from_the_cookie(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    me = activated_client(app, factory, company, admin, worker)
    post_form(me, "/me/consent-codes", page="/me")
    assert "consent_code" in session_of(me)
    # A new activation code ends the worker's sessions; the phone that still holds the cookie is signed out
    # at its next page, and the live code it kept (readable in the cookie) goes with the session.
    send_code(factory, admin.account, worker)
    assert me.get("/me").status_code == 302
    assert "consent_code" not in session_of(me) and "worker_token" not in session_of(me)
