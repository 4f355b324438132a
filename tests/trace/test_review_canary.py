"""No customer phone kept by the review flow: the customer's phone (the service's) and a canary phone typed INSIDE
a review's and a reply's text are found nowhere — not in the database (every row of every table, and on SQLite the
file itself), not in any response or page, not in the application log, not in the log's entry bodies. The texts
are stored masked (opened here to prove it)."""
from __future__ import annotations

import json
import logging

from sqlalchemy import select

from registry.extensions import db
from registry.keys.crypto import aad, unseal
from registry.log.models import LogEntry
from registry.notify.services import read_outbox
from registry.trace.models import ServiceRecord, ServiceReview
from registry.trace.services import reference_of
from tests.support.cardworld import green_worker
from tests.support.dbfile import file_hits
from tests.support.traceutil import CUSTOMER_E164, CUSTOMER_PHONE, last_review_code, record
from tests.support.webutil import login

CANARY = "13957246813"
FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in CANARY)


def needles() -> list[str]:
    """The canaries and the parts masking hides, in the forms they were typed (seven digits or more: a shorter
    run turns up by chance in hex refs and ciphertexts)."""
    return [CANARY, CANARY[:7], CANARY[-8:], "86" + CANARY, "139 5724", "5724 6813", FULL_WIDTH, FULL_WIDTH[:7],
            FULL_WIDTH[-8:], CUSTOMER_PHONE, CUSTOMER_PHONE[:7], CUSTOMER_PHONE[-8:], CUSTOMER_E164]


def found_in(blob: str) -> list[str]:
    return [n for n in needles() if n in blob]


def every_row() -> str:
    db.session.rollback()
    parts = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_a_phone_typed_in_a_review_or_a_reply_is_kept_nowhere(app, client, factory, caplog):
    caplog.set_level(logging.DEBUG)
    world = green_worker(factory)
    record(factory, world)
    reference, code = last_review_code(factory)
    answers = []

    def keep(resp):
        answers.append(resp.get_data(as_text=True))
        return resp

    resp = keep(client.post("/api/v1/reviews", json={
        "reference": reference, "code": code, "rating": 2, "tags": ["late"],
        "text": f"阿姨迟到了，她的电话 139 5724 6813，我的电话{CUSTOMER_PHONE}。"}))
    assert resp.status_code == 201, resp.get_json()
    token = factory.token(world.admin)
    headers = {"Authorization": f"Bearer {token}"}
    number = reference_of(db.session.execute(select(ServiceRecord)).scalar_one().ref)
    resp = keep(client.post(f"/api/v1/companies/{world.company.uscc}/services/{number}/reply", headers=headers,
                            json={"text": f"抱歉！请拨{FULL_WIDTH}找主管，或+86{CANARY}。"}))
    assert resp.status_code == 201, resp.get_json()
    keep(client.get(f"/api/v1/companies/{world.company.uscc}/reviews", headers=headers))
    keep(client.get(f"/api/v1/cards/{world.card_no}"))
    keep(client.get(f"/api/v1/companies/{world.company.uscc}"))
    keep(client.get(f"/c/{world.card_no}"))
    keep(client.get(f"/companies/{world.company.uscc}"))
    login(client, world.admin.login, "correct horse battery")
    page = keep(client.get("/company/reviews"))
    assert "139****6813" in page.get_data(as_text=True)

    for answer in answers:
        assert not found_in(answer), (found_in(answer), answer[:300])
    # The texts are stored masked (sealed: opened here).
    db.session.rollback()
    review = db.session.execute(select(ServiceReview)).scalar_one()
    stored = unseal(factory.ring, review.text_enc, aad("service_reviews", "text", review.ref))
    reply = unseal(factory.ring, review.reply_enc, aad("service_reviews", "reply", review.ref))
    assert stored == "阿姨迟到了，她的电话 139 **** 6813，我的电话139****0001。"
    assert reply == "抱歉！请拨１３９****６８１３找主管，或+86139****6813。"
    assert not found_in(stored + reply)
    # The outbox holds the customer's phone masked (and only that message names it).
    outbox = json.dumps(read_outbox(factory.ring), default=str, ensure_ascii=False)
    assert not found_in(outbox)
    # Every row of every table, and the SQLite file with its WAL (where the newest pages are).
    assert not found_in(every_row())
    assert file_hits(str(db.engine.url), needles()) == []
    # The log's entry bodies and the application's log.
    bodies = "\n".join(bytes(b).decode() for b in db.session.execute(select(LogEntry.body)).scalars())
    assert not found_in(bodies)
    assert not found_in(caplog.text)
