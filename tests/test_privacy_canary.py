"""No leak: distinctive canary values for a worker's name, ID number and phone
must appear nowhere but the detailed views their employer and regulators open.

Every flow is run, then the decoded JSON of every response to other parties,
every URL requested, the application log and every log entry body are searched
for the canaries and for their masked-out parts.
"""
from __future__ import annotations

import json
import logging
import random
from datetime import date, timedelta

from sqlalchemy import select

from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers import idnumber

CANARY_NAME = "龘靐齉爩"  # surname 龘, given name 靐齉爩 (masked out everywhere public)
CANARY_PHONE = "13957246813"


def H(token):
    return {"Authorization": f"Bearer {token}"}


def needles(canary_id: str) -> list[str]:
    """The canaries and the parts masking hides."""
    return [CANARY_NAME, CANARY_NAME[1:], CANARY_NAME[1:3], canary_id, canary_id[-8:], canary_id[6:14],
            CANARY_PHONE, CANARY_PHONE[3:7], CANARY_PHONE[-8:], "8613957246813"]


def test_canaries_never_leak(app, client, factory, caplog):
    caplog.set_level(logging.DEBUG)
    canary_id = idnumber.generate(random.Random(99), birth=date(1977, 7, 17))
    a, a_admin = factory.company()
    b, b_admin = factory.company()
    ta, tb = factory.token(a_admin.account), factory.token(b_admin.account)
    treg = factory.token(factory.regulator_for("housekeeping"))
    today = shanghai_today()

    urls: list[str] = []
    public: list[tuple[str, object]] = []  # (who, decoded JSON) of responses to parties who may not see them
    allowed: list[object] = []

    def call(method, url, who, token=None, may_see=False, **kw):
        urls.append(url)
        resp = client.open(url, method=method, headers=H(token) if token else {}, **kw)
        body = resp.get_json(silent=True)
        if body is None:
            body = resp.get_data(as_text=True)
        (allowed if may_see else public).append(body if may_see else (who, body))
        return resp

    reg = call("POST", f"/api/v1/companies/{a.uscc}/workers", "employer", ta, json={
        "name": CANARY_NAME, "id_number": canary_id, "phone": CANARY_PHONE, "occupation": "maternity",
        "employment_kind": "labour_contract", "start_date": today.isoformat(), "social_insurance": True})
    assert reg.status_code == 201
    card = reg.get_json()["card_no"]
    # (The registration answer itself is checked with the rest: it must carry none of it.)
    for kind, data in [("identity", {"result": "verified", "checked_on": today.isoformat()}),
                       ("health", {"result": "passed", "checked_on": today.isoformat(),
                                   "valid_until": (today + timedelta(days=20)).isoformat()}),
                       ("training", {"course": "母婴护理", "hours": 40, "exam_passed": True,
                                     "trained_on": today.isoformat(), "issuer": "成都市家庭服务业协会"})]:
        resp = call("POST", f"/api/v1/workers/{card}/records", "employer", ta, json={"kind": kind, **data})
        assert resp.status_code == 201
    # The second company registers the same person: its answer is public to it.
    resp = call("POST", f"/api/v1/companies/{b.uscc}/workers", "company B", tb, json={
        "name": CANARY_NAME, "id_number": canary_id, "phone": CANARY_PHONE, "occupation": "childcare",
        "employment_kind": "service_agreement", "start_date": today.isoformat(), "social_insurance": False})
    assert resp.status_code == 201
    # Lists and public views.
    call("GET", f"/api/v1/companies/{a.uscc}/workers", "employer list", ta)
    call("GET", f"/api/v1/companies/{a.uscc}/workers?expiring=health", "employer list", ta)
    call("GET", f"/api/v1/companies/{b.uscc}/workers", "company B list", tb)
    # Searching by the name and phone: the terms travel in the body, and the answer is the list's masked rows.
    found = call("POST", f"/api/v1/companies/{a.uscc}/workers/search", "employer search", ta,
                 json={"name": CANARY_NAME, "phone": CANARY_PHONE})
    assert [r["card_no"] for r in found.get_json()] == [card]
    call("GET", f"/api/v1/companies/{a.uscc}", "public")
    call("GET", f"/api/v1/companies/{a.uscc}/profile", "employer profile", ta)
    call("GET", f"/api/v1/workers/{card}", "anonymous")
    # The detailed views: allowed to see it, and each recorded.
    call("GET", f"/api/v1/workers/{card}", "employer", ta, may_see=True)
    call("GET", f"/api/v1/workers/{card}", "regulator without a purpose", treg)
    call("POST", "/api/v1/workers/search", "regulator", treg, may_see=True,
         json={"card_no": card, "purpose": "complaint", "note": "投诉 2026-17"})
    # The ID number travels in the POST body, never in a URL or a log line.
    call("POST", "/api/v1/workers/search", "regulator", treg, may_see=True,
         json={"id_number": canary_id.lower(), "purpose": "verification"})
    call("POST", "/api/v1/workers/search", "regulator typo", treg,
         json={"id_number": canary_id[:-1] + ("0" if canary_id[-1] != "0" else "1"), "purpose": "verification"})
    # Bad input that names the person does not echo it.
    call("POST", f"/api/v1/companies/{a.uscc}/workers", "employer error", ta, json={
        "name": CANARY_NAME, "id_number": canary_id[:-1] + ("0" if canary_id[-1] != "0" else "1"),
        "phone": CANARY_PHONE, "occupation": "maternity", "employment_kind": "labour_contract",
        "start_date": today.isoformat(), "social_insurance": True})
    call("POST", f"/api/v1/companies/{a.uscc}/workers", "employer conflict", ta, json={
        "name": CANARY_NAME, "id_number": canary_id, "phone": CANARY_PHONE, "occupation": "maternity",
        "employment_kind": "labour_contract", "start_date": today.isoformat(), "social_insurance": True})
    call("POST", f"/api/v1/workers/{card}/employment-end", "employer", ta, json={"end_date": today.isoformat()})
    call("GET", f"/api/v1/workers/{card}", "former employer", ta)

    # The detailed views did show it (the test can fail).
    assert any(CANARY_NAME in json.dumps(b, ensure_ascii=False) for b in allowed)

    found = []
    for n in needles(canary_id):
        for who, body in public:
            if n in json.dumps(body, ensure_ascii=False):
                found.append((n, who))
        found += [(n, f"url {u}") for u in urls if n in u]
        found += [(n, f"log record {r.name}") for r in caplog.records if n in r.getMessage()]
        # An entry body holds only times, refs and digests, where a 4-digit fragment turns up by chance (a
        # timestamp's microseconds, a hex digest): entries are searched for the longer needles.
        for entry in db.session.execute(select(LogEntry)).scalars() if len(n) >= 8 else ():
            if n.encode() in entry.body or n in entry.body.decode():
                found.append((n, f"log entry {entry.seq}"))
    assert found == []


def bulletin_files(app, factory, clock, expected_ref: str) -> list[tuple[str, str]]:
    """Make May 2026's bulletin (on 1 June) and return each of its files as text, checking the sanction is in."""
    from io import BytesIO

    from pypdf import PdfReader

    from registry.bulletins import generate, periods

    clock.freeze(date(2026, 6, 1))
    config = app.config
    made = generate.generate(factory.ring, periods.parse("2026-05"), origin=config["LOG_ORIGIN"],
                             public_url=config["PUBLIC_URL"], issuer=("发布机构", "Issuer")).bulletin
    db.session.commit()
    out = [("bulletin manifest", made.manifest)]
    for f in made.files:
        if f.name.endswith(".pdf"):
            # Without any white space: a value wrapped inside a narrow cell is still found whole.
            body = "".join("".join(page.extract_text() for page in PdfReader(BytesIO(f.content)).pages).split())
        else:
            body = f.content.decode("utf-8-sig")
        out.append((f"bulletin file {f.name}", body))
    # The sanction is in the PDF and the sanctions' full files (the red list's carry firms, not sanctions: read for
    # the canary all the same).
    missing = [who for who, body in out if ("-full." in who and "-red-list-" not in who or who.endswith(".pdf"))
               and expected_ref not in body]
    assert missing == []
    assert any("-red-list-full." in who for who, _body in out)
    return out


def test_a_named_persons_real_name_never_appears_in_public_answers(app, client, factory, clock, caplog):
    """Published sanctions naming the canary (a company's legal representative and responsible person, the
    canary's own listing, facts quoting the name): every public answer and page, the registration's warnings to
    another company, the log lines and the log's entries carry none of it."""
    from registry.sanctions import services as sanctions
    from tests.support.sanctionutil import BASIS, MEASURES, regulators

    caplog.set_level(logging.DEBUG)
    clock.freeze(date(2026, 5, 29))
    today = shanghai_today()
    canary_id = idnumber.generate(random.Random(98), birth=date(1979, 9, 19))
    a, a_admin = factory.company()
    b, b_admin = factory.company()
    ta, tb = factory.token(a_admin.account), factory.token(b_admin.account)
    person = {"name": CANARY_NAME, "id_number": canary_id, "phone": CANARY_PHONE, "occupation": "cleaner",
              "employment_kind": "labour_contract", "start_date": today.isoformat(), "social_insurance": True}
    reg = client.post(f"/api/v1/companies/{a.uscc}/workers", json=person, headers=H(ta))
    assert reg.status_code == 201
    card = reg.get_json()["card_no"]
    regulator, _second = regulators(factory, "housekeeping", code="hk-canary")
    facts = f"经查，{CANARY_NAME}（身份证 {canary_id}，电话 {CANARY_PHONE}）多次违约。"

    def published(kind, **subject):
        s = sanctions.record_sanction(
            factory.ring, regulator=regulator, today=today, kind=kind, severity="general", legal_basis=BASIS,
            facts=facts, measures=MEASURES, publish_months=6, decision_no="商务罚〔2026〕1号", decision_date=today,
            **subject).sanction
        db.session.commit()
        sanctions.publish_sanction(factory.ring, regulator=regulator, sanction=s, today=today)
        db.session.commit()
        return s

    of_company = published("fine", subject_kind="company", uscc=a.uscc, persons=[
        {"role": "legal_representative", "name": CANARY_NAME},
        {"role": "responsible", "name": CANARY_NAME, "card_no": card}])
    of_worker = published("watch_list", subject_kind="worker", card_no=card)

    answers = []
    for url in (f"/api/v1/companies/{a.uscc}", f"/companies/{a.uscc}", f"/companies/{a.uscc}?lang=en",
                f"/api/v1/cards/{card}", f"/c/{card}", f"/c/{card}?lang=en"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        answers.append((url, resp.get_data(as_text=True)))
    # The public search, by exact name (the API only: the page shows what was typed in its box), card and USCC,
    # and the batch check a company and a regulator make.
    for url in (f"/api/v1/listings?q={CANARY_NAME}", f"/api/v1/listings?q={card}", f"/api/v1/listings?q={a.uscc}",
                "/api/v1/listings", f"/listings?q={card}", f"/listings?q={a.uscc}&lang=en", "/listings"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        body = resp.get_data(as_text=True)
        assert of_company.ref in body, url
        answers.append((url, json.dumps(resp.get_json(), ensure_ascii=False) if resp.is_json else body))
    for token in (tb, factory.token(factory.regulator_for("market"))):
        resp = client.post("/api/v1/listings/check", json={"items": [card, a.uscc]}, headers=H(token))
        assert resp.status_code == 200 and of_company.ref in resp.get_data(as_text=True)
        answers.append(("listings check", json.dumps(resp.get_json(), ensure_ascii=False)))
    # The sanctions are there (the test can fail) ...
    assert all(of_company.ref in body or "商务罚〔2026〕1号" in body for url, body in answers if "companies" in url)
    assert all(of_worker.ref in body or "商务罚〔2026〕1号" in body for url, body in answers if "card" in url
               or "/c/" in url)
    # ... and company B, registering the same person, is warned of the listing: the answer is public to it.
    warned = client.post(f"/api/v1/companies/{b.uscc}/workers", json=person, headers=H(tb))
    assert warned.status_code == 201 and [w["ref"] for w in warned.get_json()["warnings"]] == [of_worker.ref]
    answers.append(("company B registration", json.dumps(warned.get_json(), ensure_ascii=False)))
    # The month's disclosure bulletin: every file it publishes (the PDF's extracted text, the open data) and its
    # signed manifest.
    answers += bulletin_files(app, factory, clock, of_company.ref)

    found = []
    for n in needles(canary_id):
        found += [(n, who) for who, body in answers if n in body]
        found += [(n, f"log record {r.name}") for r in caplog.records if n in r.getMessage()]
        for entry in db.session.execute(select(LogEntry)).scalars() if len(n) >= 8 else ():
            if n.encode() in entry.body or n in entry.body.decode():
                found.append((n, f"log entry {entry.seq}"))
    assert found == []
