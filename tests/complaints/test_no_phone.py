"""The phone a household_phone complaint is filed with is used once and dropped: after filing through the API and
the page (a match and a miss), it is in no table, no log body, no answer, no outbox message, no log output — and
not in the database file itself."""
from __future__ import annotations

import logging

from sqlalchemy import text

from registry.extensions import db
from tests.support.cardworld import green_worker
from tests.support.complaintutil import serve
from tests.support.dbfile import file_hits
from tests.support.webutil import post_form

# A canary of its own: recorded as the service's customer, then typed to complain.
PHONE = "13912348765"
FORMS = (PHONE, "+86" + PHONE, "139 1234 8765", "139-1234-8765")


def _rows_text() -> str:
    db.session.rollback()
    out = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
            out.append(" ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row))
    return "\n".join(out)


def test_the_household_phone_is_stored_nowhere(app, client, factory, caplog):
    caplog.set_level(logging.DEBUG)
    world = green_worker(factory)
    serve(factory, company=world.company, admin=world.admin, worker=world.worker, phone=PHONE)
    # The service's own review-code message holds the phone masked; remove it so what is searched below is what
    # complaining left behind.
    db.session.execute(text("DELETE FROM outbox"))
    db.session.commit()
    answers = []
    resp = client.post(f"/api/v1/cards/{world.card_no}/complaints/by-phone",
                       json={"phone": PHONE, "category": "theft", "text": "服务后现金不见了"})
    assert resp.status_code == 201
    answers.append(resp.get_data(as_text=True))
    miss = client.post(f"/api/v1/cards/{world.card_no}/complaints/by-phone",
                       json={"phone": "+86 139 1234 8766", "category": "theft", "text": "x"})
    assert miss.status_code == 422
    answers.append(miss.get_data(as_text=True))
    page = post_form(client, f"/c/{world.card_no}/complain",
                     {"category": "abuse", "text": "辱骂", "phone": "139-1234-8765"})
    assert page.status_code == 303
    answers.append(page.get_data(as_text=True))
    answers.append(client.get("/complaints/filed").get_data(as_text=True))
    db.session.commit()
    stored = _rows_text()
    for form in FORMS + ("13912348766",):
        assert form not in stored, form
        assert all(form not in a for a in answers), form
        assert form not in caplog.text, form
    # Every byte of the database file (and its write-ahead log), where deleted rows may linger.
    assert file_hits(app.config["SQLALCHEMY_DATABASE_URI"], FORMS + ("13912348766",)) == []
