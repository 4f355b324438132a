"""No leak at the door: canary values for a worker's name, ID number and phone
must appear on no public endpoint or page — the card view (with and without a
scanned QR), the typed look-up, the keys, the company's public view, the
printed card (HTML and PDF, one and in bulk), the resident's consent view, the
report form and the regulators' queue, the activation answer the company gets,
the log — nor in any URL or application log line. Only the worker's own
self-service views may show them (and the test checks that they do).
"""
from __future__ import annotations

import io
import json
import logging
import random
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers import idnumber
from tests.support.cardutil import picture, read_pdf
from tests.support.webutil import csrf_from

CANARY_NAME = "龘靐齉爩"
CANARY_PHONE = "13957246813"


def needles(canary_id: str) -> list[str]:
    return [CANARY_NAME, CANARY_NAME[1:], CANARY_NAME[1:3], canary_id, canary_id[-8:], canary_id[6:14],
            CANARY_PHONE, CANARY_PHONE[3:7], CANARY_PHONE[-8:], "8613957246813"]


def H(token):
    return {"Authorization": f"Bearer {token}"}


def test_nothing_personal_reaches_any_public_view_at_the_door(app, client, factory, caplog):
    from registry.log.checkpoints import sign_if_grown
    from registry.notify.services import read_outbox
    from tests.support.importutil import run_queued_tasks

    caplog.set_level(logging.DEBUG)
    canary_id = idnumber.generate(random.Random(2024), birth=date(1981, 11, 26))
    company, admin = factory.company()
    token = factory.token(admin.account)
    treg = factory.token(factory.regulator_for("housekeeping"))
    today = shanghai_today()
    urls: list[str] = []
    public: list[tuple[str, str]] = []  # (who, text) of answers anyone but the worker gets
    own: list[str] = []  # the worker's own views: these must show the data

    def call(method, url, who, headers=None, mine=False, **kw):
        urls.append(url)
        resp = client.open(url, method=method, headers=headers or {}, **kw)
        if resp.mimetype == "application/pdf":
            body = read_pdf(resp.data).text
        else:
            body = resp.get_data(as_text=True)
            try:
                body = json.dumps(json.loads(body), ensure_ascii=False)
            except ValueError:
                pass
        (own.append(body) if mine else public.append((who, body)))
        return resp

    # The employer registers the worker, records the checks, uploads a photo, issues a card.
    reg = call("POST", f"/api/v1/companies/{company.uscc}/workers", "employer", H(token), json={
        "name": CANARY_NAME, "id_number": canary_id, "phone": CANARY_PHONE, "occupation": "elderly_care",
        "employment_kind": "labour_contract", "start_date": (today - timedelta(days=9)).isoformat(),
        "social_insurance": True})
    assert reg.status_code == 201
    card = reg.get_json()["card_no"]
    for kind, data in [
        ("identity", {"result": "verified", "checked_on": today.isoformat()}),
        ("health", {"result": "passed", "checked_on": today.isoformat(),
                    "valid_until": (today + timedelta(days=200)).isoformat()}),
        ("insurance", {"insurer": "中国人寿", "valid_from": today.isoformat(),
                       "valid_until": (today + timedelta(days=300)).isoformat()}),
        ("background", {"result": "passed", "checked_on": today.isoformat(), "authority": "成都市公安局"}),
        ("training", {"course": "养老护理", "hours": 40, "exam_passed": True, "trained_on": today.isoformat(),
                      "issuer": "成都市家庭服务业协会"}),
    ]:
        assert call("POST", f"/api/v1/workers/{card}/records", "employer", H(token),
                    json={"kind": kind, **data}).status_code == 201
    photo = call("PUT", f"/api/v1/workers/{card}/photo", "employer", H(token),
                 data={"photo": (io.BytesIO(picture()), "me.png"), "consent_on": today.isoformat()},
                 content_type="multipart/form-data")
    assert photo.status_code == 200, photo.get_json()
    issued = call("POST", f"/api/v1/workers/{card}/cards", "employer", H(token))
    assert issued.status_code == 201
    qr_url = urlsplit(issued.get_json()["qr_url"])
    # The printed card is handed to strangers: it is public.
    assert call("GET", f"/api/v1/workers/{card}/card?format=html", "printed card", H(token)).status_code == 200
    assert call("GET", f"/api/v1/workers/{card}/card?format=pdf", "printed card", H(token)).status_code == 200
    bulk = call("POST", f"/api/v1/companies/{company.uscc}/card-prints", "employer", H(token),
                json={"card_nos": [card]})
    assert bulk.status_code == 202
    run_queued_tasks(app)
    task_id = bulk.get_json()["task_id"]
    assert call("GET", f"/api/v1/companies/{company.uscc}/card-prints/{task_id}/pdf", "bulk print",
                H(token)).status_code == 200

    # The resident at the door.
    assert call("GET", f"/api/v1/cards/{card}", "resident").status_code == 200
    # At the registry's own address (the client's default host is not it), as a phone opens the QR.
    official = app.config["PUBLIC_URL"]
    assert call("GET", f"{official}/api/v1/cards/{card}?{qr_url.query}",
                "resident").get_json()["qr"]["verdict"] == "genuine"
    assert call("GET", f"{official}{qr_url.path}?{qr_url.query}", "resident").status_code == 200
    assert call("GET", f"/c?card_no={card.lower()}", "resident").status_code == 302
    assert call("GET", "/api/v1/cards/keys", "anyone").status_code == 200
    assert call("GET", f"/api/v1/companies/{company.uscc}", "anyone").status_code == 200
    assert call("GET", f"/companies/{company.uscc}", "anyone").status_code == 200

    # The employer sends an activation code: the answer says "sent", nothing else.
    sent = call("POST", f"/api/v1/workers/{card}/activation-code", "employer", H(token))
    assert sent.status_code == 200
    code = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", read_outbox(factory.ring)[0]["text"]).group(0)
    assert code not in sent.get_data(as_text=True)
    # The worker's own views: the data is there.
    started = call("POST", "/api/v1/self/activate", "worker", json={"card_no": card, "code": code, "pin": "135790"},
                   mine=True)
    assert started.status_code == 200, started.get_json()
    wt = started.get_json()["token"]
    assert call("GET", "/api/v1/self", "worker", H(wt), mine=True).status_code == 200
    consent = call("POST", "/api/v1/self/consent-codes", "worker", H(wt), mine=True).get_json()["code"]
    # The resident with the consent code, through the API and through the page.
    detail = call("POST", f"/api/v1/cards/{card}/detail", "resident", json={"consent_code": consent})
    assert detail.status_code == 200, detail.get_json()
    second = call("POST", "/api/v1/self/consent-codes", "worker", H(wt), mine=True).get_json()["code"]
    page = call("GET", f"/c/{card}/detail", "resident")
    shown = call("POST", f"/c/{card}/detail", "resident",
                 data={"consent_code": second, "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert shown.status_code == 303  # the view is shown by GET, so a reload does not post the code again
    shown = call("GET", shown.headers["Location"], "resident")
    assert shown.status_code == 200 and "data:image/" in shown.get_data(as_text=True)
    # A report, and the regulators' queue that lists it.
    page = call("GET", f"/c/{card}/report", "resident")
    assert page.status_code == 200
    filed = call("POST", f"/api/v1/cards/{card}/reports", "resident", json={"reason": "not_holder"})
    assert filed.status_code == 201
    assert call("GET", "/api/v1/reports", "regulator", H(treg)).status_code == 200
    assert call("GET", "/api/v1/self/access", "worker", H(wt), mine=True).status_code == 200
    # The public log, as a verifier reads it.
    assert sign_if_grown(factory.ring, app.config["LOG_ORIGIN"]).status == "signed"
    db.session.commit()
    for path in ("/api/v1/log/checkpoint", "/log"):
        assert call("GET", path, "verifier").status_code == 200
    for entry in db.session.execute(select(LogEntry.seq)).scalars():
        call("GET", f"/api/v1/log/entries/{entry}", "verifier")

    # The public answers were read (PDFs as text): the masked name is on the printed card and the card page.
    assert sum("龘***" in body for who, body in public if who in ("printed card", "bulk print")) == 3
    assert any("龘***" in body for who, body in public if who == "resident")
    # The worker's own views did show it (the test can fail).
    assert any(CANARY_NAME in body for body in own) and any(canary_id in body for body in own)

    found = []
    for n in needles(canary_id):
        found += [(n, who) for who, body in public if n in body]
        found += [(n, f"url {u}") for u in urls if n in u]
        found += [(n, f"log record {r.name}") for r in caplog.records if n in r.getMessage()]
        # An entry body holds only times, refs and digests, where a 4-digit fragment turns up by chance (a
        # timestamp's microseconds, a hex digest): entries are searched for the longer needles.
        for entry in db.session.execute(select(LogEntry)).scalars() if len(n) >= 8 else ():
            if n.encode() in entry.body:
                found.append((n, f"log entry {entry.seq}"))
    assert found == []
