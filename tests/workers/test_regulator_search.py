"""A regulator's worker search: by card number or ID number, only within their reach, always with a purpose
that the worker then reads in their access record; the typed ID number never reaches a URL or a log line."""
from __future__ import annotations

import logging

from sqlalchemy import select

from registry.extensions import db
from registry.workers.models import AccessRecord
from tests.support.factory import bearer
from tests.support.selfutil import H, employ, new_id, signed_in
from tests.support.webutil import count, login, post_form, text


def regulator(app, factory, sector="housekeeping"):
    """A signed-in page client and an API token of one regulator of `sector`."""
    reg = factory.agency_user(factory.agency(sector))
    c = app.test_client()
    assert login(c, reg.account.login, reg.password, totp_secret=reg.totp_secret).status_code == 302
    return c, factory.token(reg.account), reg.account


def hired(factory, id_number=None):
    company, admin = factory.company()
    return employ(factory, company, admin.account, name="陈秀英", id_number=id_number), admin


def last_read():
    db.session.rollback()
    return db.session.execute(select(AccessRecord).order_by(AccessRecord.id.desc())).scalars().first()


def test_search_by_card_number_asks_the_purpose_and_the_worker_reads_it(app, client, factory):
    worker, admin = hired(factory)
    c, _token, reg = regulator(app, factory)
    page = text(c.get(f"/regulator/workers?card_no={worker.card_no}"))
    assert worker.card_no in page and "陈秀英" not in page
    before = count(AccessRecord)
    # No purpose: nothing opens, nothing is recorded.
    resp = post_form(c, "/regulator/workers", {"card_no": worker.card_no}, page="/regulator/workers")
    assert resp.status_code == 400 and "请选择查看用途" in text(resp) and "陈秀英" not in text(resp)
    assert count(AccessRecord) == before
    resp = post_form(c, "/regulator/workers", {"card_no": worker.card_no.lower(), "purpose": "complaint",
                                               "note": "举报 1A2B-3C4D-5E6F"}, page="/regulator/workers")
    body = text(resp)
    assert resp.status_code == 200 and "陈秀英" in body and "处理投诉举报" in body
    row = last_read()
    assert (row.purpose, row.note, row.accessor_ref, row.accessor_kind) == (
        "regulator_view:complaint", "举报 1A2B-3C4D-5E6F", reg.ref, "regulator")
    # The worker sees who, why and the note.
    token = signed_in(client, factory, admin.account, worker)
    seen = client.get("/api/v1/self/access", headers=H(token)).get_json()
    mine = [a for a in seen if a["accessor_kind"] == "regulator"]
    assert len(mine) == 1
    assert "处理投诉举报" in mine[0]["why"]["zh"] and "complaint" in mine[0]["why"]["en"]
    assert mine[0]["note"] == "举报 1A2B-3C4D-5E6F"


def test_search_by_id_number_goes_through_the_blind_index_and_stays_out_of_urls_and_logs(app, factory, caplog):
    caplog.set_level(logging.DEBUG)
    number = new_id()
    worker, _admin = hired(factory, id_number=number)
    c, _token, _reg = regulator(app, factory)
    # Typed as people type it: spaces, a lower-case x.
    typed = f"{number[:6]} {number[6:14]} {number[14:]}".lower()
    resp = post_form(c, "/regulator/workers", {"id_number": typed, "purpose": "verification"},
                     page="/regulator/workers")
    assert resp.status_code == 200 and worker.card_no in text(resp)
    assert last_read().purpose == "regulator_view:verification"
    # A wrong check digit is refused by the rule that failed, without echoing the number in any log line.
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    resp = post_form(c, "/regulator/workers", {"id_number": wrong, "purpose": "verification"},
                     page="/regulator/workers")
    assert resp.status_code == 422 and "陈秀英" not in text(resp)
    for r in caplog.records:
        assert number not in r.getMessage() and number[6:14] not in r.getMessage()
        assert wrong not in r.getMessage()


def test_outside_the_sector_and_unknown_numbers_answer_alike(app, client, factory):
    worker, _admin = hired(factory)
    _c, prop, _ = regulator(app, factory, "property")
    _c2, market, _ = regulator(app, factory, "market")
    before = count(AccessRecord)
    other = client.post("/api/v1/workers/search", json={"card_no": worker.card_no, "purpose": "inspection"},
                        headers=bearer(prop))
    nobody = client.post("/api/v1/workers/search", json={"id_number": new_id(), "purpose": "inspection"},
                         headers=bearer(prop))
    assert other.status_code == nobody.status_code == 404
    assert other.get_json() == nobody.get_json()
    assert other.get_json()["error"]["code"] == "worker_not_found"
    assert count(AccessRecord) == before
    # Market supervision reaches every worker.
    resp = client.post("/api/v1/workers/search", json={"card_no": worker.card_no, "purpose": "sanction_case"},
                       headers=bearer(market))
    assert resp.status_code == 200 and resp.get_json()["name"] == "陈秀英"
    assert last_read().purpose == "regulator_view:sanction_case"


def test_the_api_wants_exactly_one_number_and_a_known_purpose(app, client, factory):
    worker, _admin = hired(factory)
    _c, token, _ = regulator(app, factory)
    before = count(AccessRecord)
    for body, field in [({"purpose": "inspection"}, "card_no"),
                        ({"card_no": worker.card_no, "id_number": new_id(), "purpose": "inspection"}, "card_no"),
                        ({"card_no": worker.card_no}, "purpose"),
                        ({"card_no": worker.card_no, "purpose": "curiosity"}, "purpose"),
                        ({"card_no": worker.card_no, "purpose": "inspection", "note": "x" * 201}, "note")]:
        resp = client.post("/api/v1/workers/search", json=body, headers=bearer(token))
        assert resp.status_code == 422, (body, resp.get_json())
        err = resp.get_json()["error"]
        assert field in err["fields"] and err["message"]["zh"] and err["message"]["en"]
    assert count(AccessRecord) == before
    # Companies do not search.
    _company, admin = factory.company()
    resp = client.post("/api/v1/workers/search", json={"card_no": worker.card_no, "purpose": "inspection"},
                       headers=bearer(factory.token(admin.account)))
    assert resp.status_code == 403


def test_any_regulator_opens_any_worker_by_card_number_for_a_sanction_case(app, client, factory):
    """Any agency may sanction anyone (失信惩戒共鉴): for a sanction case, a card number opens any worker, whatever
    sector employs them or none; the read is in the worker's access record like any other."""
    worker, admin = hired(factory)  # employed by a housekeeping company
    _c, prop, reg = regulator(app, factory, "property")
    before = count(AccessRecord)
    resp = client.post("/api/v1/workers/search", json={"card_no": worker.card_no, "purpose": "sanction_case",
                                                         "note": "住建罚 2026-3"}, headers=bearer(prop))
    assert resp.status_code == 200 and resp.get_json()["card_no"] == worker.card_no
    row = last_read()
    assert (row.purpose, row.note, row.accessor_ref) == ("regulator_view:sanction_case", "住建罚 2026-3", reg.ref)
    assert count(AccessRecord) == before + 1
    # Other purposes stay within the sector's reach, and so does a search by ID number.
    for q in ({"card_no": worker.card_no, "purpose": "inspection"},
              {"id_number": worker_id_number(factory, worker), "purpose": "sanction_case"}):
        resp = client.post("/api/v1/workers/search", json=q, headers=bearer(prop))
        assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "worker_not_found"
    assert count(AccessRecord) == before + 1
    # A worker nobody employs any more is still found for a sanction case, on the page too.
    from registry.clock import today
    from registry.workers import services as workers

    workers.end_employment(factory.ring, account=admin.account, company=admin.account.company, worker=worker,
                           end_date=today(), today=today())
    db.session.commit()
    page, _token, _ = regulator(app, factory, "housekeeping")
    resp = post_form(page, "/regulator/workers", {"card_no": worker.card_no, "purpose": "sanction_case"},
                     page="/regulator/workers")
    assert resp.status_code == 200 and "陈秀英" in text(resp)
    resp = post_form(page, "/regulator/workers", {"card_no": worker.card_no, "purpose": "complaint"},
                     page="/regulator/workers")
    assert resp.status_code == 404


def worker_id_number(factory, worker) -> str:
    from registry.workers.services import open_personal_data

    return open_personal_data(factory.ring, worker)["id_number"]


def test_the_page_links_to_the_erasure_only_for_whoever_may_erase(app, factory):
    """The regulator's worker page offers the lawful-request erasure (retention/views.py) to a regulator who
    oversees the worker (`retention.requests.may_erase`), and to nobody else: not to another sector's regulator who
    opened the worker for a sanction case, not to the employer, and not once the worker is erased."""
    from registry.clock import now, today
    from registry.retention import erasure
    from registry.workers import services as workers
    from registry.workers.models import Worker

    worker, admin = hired(factory)
    card_no, worker_id = worker.card_no, worker.id
    erase_page = f"/admin/workers/{card_no}/erase"

    def opened(client, purpose):
        resp = post_form(client, "/regulator/workers", {"card_no": card_no, "purpose": purpose},
                         page="/regulator/workers")
        assert resp.status_code == 200 and card_no in text(resp)
        return text(resp)

    sector, _token, _ = regulator(app, factory)  # housekeeping: oversees the housekeeping company's worker
    assert erase_page in opened(sector, "verification")
    assert sector.get(erase_page).status_code == 200  # the link leads where the account may go
    other, _token, _ = regulator(app, factory, "property")  # reaches the worker for a sanction case only
    assert erase_page not in opened(other, "sanction_case")
    assert other.get(erase_page).status_code == 404
    employer = app.test_client()
    assert login(employer, admin.account.login, admin.password).status_code == 302
    page = employer.get(f"/workers/{card_no}")
    assert page.status_code == 200 and "陈秀英" in text(page) and erase_page not in text(page)

    workers.end_employment(factory.ring, account=admin.account, company=admin.account.company, worker=worker,
                           end_date=today(), today=today())
    db.session.commit()
    market, _token, _ = regulator(app, factory, "market")  # oversees everyone, employed or not
    assert erase_page in opened(market, "verification")
    erasure.erase_worker(factory.ring, worker=db.session.get(Worker, worker_id), actor="system",
                         basis="retention_period", reference=None, now=now(), today=today())
    db.session.commit()
    assert erase_page not in opened(market, "verification")
