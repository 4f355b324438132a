"""Complaints through the API: filing each way, tracking, the regulators' queue and steps, permissions, responses,
deadlines on the working-day calendar, and a sanction citing a substantiated complaint."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from registry import canonical
from registry.calendar import services as calendar
from registry.clock import now as utcnow
from registry.complaints import services as complaints
from registry.complaints.models import Complaint
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.services import ANONYMOUS_ACTOR
from registry.reports.models import CardReport
from registry.trace.models import ReviewCode
from registry.trace.reviews import add_review
from registry.trace.textmask import mask_text
from registry.workers.models import Worker
from registry.workers.services import self_actor
from tests.support.cardworld import green_worker
from tests.support.complaintutil import REASONS, TEXT, file_card, file_code, serve, step, walk
from tests.support.factory import bearer
from tests.support.selfutil import H

CUSTOMER = "13912340101"
CONTACT = {"name": "王建国", "phone": "13900004444"}


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def regulator(factory, sector: str, code: str | None = None):
    return factory.agency_user(factory.agency(sector=sector, code=code)).account


@pytest.fixture
def regs(factory, world):
    """A regulator of each sector: the worker's employer is housekeeping."""
    return {s: regulator(factory, s) for s in ("housekeeping", "property", "market")}


def tokens(factory, regs) -> dict:
    return {s: factory.token(acc) for s, acc in regs.items()}


def log_count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def entry(seq: int) -> dict:
    return json.loads(db.session.get(LogEntry, seq).body)


def all_complaints() -> list[Complaint]:
    db.session.rollback()
    return db.session.execute(select(Complaint).order_by(Complaint.id)).scalars().all()


def body(**over) -> dict:
    return {"category": "quality", "text": TEXT, "contact": CONTACT, **over}


# --- filing -----------------------------------------------------------------------------------------

def test_filing_from_the_card_writes_one_anonymous_entry_and_seals_text_and_contact(client, factory, world):
    before = log_count()
    resp = client.post(f"/api/v1/cards/{world.card_no}/complaints", json=body())
    assert resp.status_code == 201, resp.get_json()
    answer = resp.get_json()
    assert set(answer) == {"reference", "tracking_code", "log_index"}
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", answer["reference"])
    assert log_count() == before + 1
    (c,) = all_complaints()
    assert (c.method, c.subject_kind, c.worker_id, c.company_id, c.service_id, c.state) == (
        "card_page", "worker", world.worker.id, None, None, "received")
    logged = entry(answer["log_index"])
    assert (logged["action"], logged["actor"], logged["subject"]) == ("complaint:file", ANONYMOUS_ACTOR, c.log_ref)
    row = db.session.execute(text("SELECT * FROM complaints")).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    for secret in ("花瓶", "王建国", "13900004444", answer["tracking_code"], answer["tracking_code"].replace("-", "")):
        assert secret not in stored and secret not in db.session.get(LogEntry, answer["log_index"]).body.decode()
    opened = complaints.contact_of(factory.ring, c)
    assert (opened.name, opened.phone) == ("王建国", "13900004444")
    assert canonical.state_of(factory.ring, c)["contact"]["phone"] == c.contact_phone_state


def test_phone_and_id_numbers_in_the_text_are_masked_before_sealing(client, factory, world):
    typed = "她留的电话 139 1234 5678，身份证 510104198503091234，都不对"
    resp = client.post(f"/api/v1/cards/{world.card_no}/complaints", json=body(text=typed))
    assert resp.status_code == 201, resp.get_json()
    (c,) = all_complaints()
    stored = complaints._open(factory.ring, c.text_enc, "complaints", "text", c.ref)
    assert stored == mask_text(typed) and stored != typed
    assert "5678" in stored and "1234 5678" not in stored and "198503091234" not in stored


def test_filing_by_review_code_about_the_worker_or_the_company_links_the_service(client, factory, world):
    service, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                     phone=CUSTOMER)
    resp = client.post("/api/v1/complaints/by-code",
                       json=body(reference=reference, code=code.lower(), about="company", category="fraud"))
    assert resp.status_code == 201, resp.get_json()
    (c,) = all_complaints()
    assert (c.method, c.subject_kind, c.company_id, c.worker_id, c.service_id, c.category) == (
        "review_code", "company", world.company.id, None, service.id, "fraud")
    assert canonical.state_of(factory.ring, c)["service"] == service.log_ref
    # One complaint per service by its code.
    again = client.post("/api/v1/complaints/by-code", json=body(reference=reference, code=code, about="worker"))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_complained"
    # About the worker, with a code already spent on a review.
    service2, reference2, code2 = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                        phone=CUSTOMER)
    add_review(factory.ring, service=service2, rating=2, tags=[], text=None, now=utcnow())
    db.session.execute(select(ReviewCode).where(ReviewCode.service_id == service2.id)).scalar_one().used_dt = utcnow()
    db.session.commit()
    resp = client.post("/api/v1/complaints/by-code", json=body(reference=reference2, code=code2, about="worker"))
    assert resp.status_code == 201, resp.get_json()
    assert (all_complaints()[1].subject_kind, all_complaints()[1].worker_id) == ("worker", world.worker.id)


def test_a_wrong_review_code_stores_nothing_but_counts_the_try(client, factory, world):
    service, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                     phone=CUSTOMER)
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    before = log_count()
    resp = client.post("/api/v1/complaints/by-code", json=body(reference=reference, code=wrong, about="worker"))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "review_code_invalid"
    assert log_count() == before and all_complaints() == []
    assert db.session.execute(select(ReviewCode.failures).where(ReviewCode.service_id == service.id)).scalar() == 1
    resp = client.post("/api/v1/complaints/by-code", json=body(reference=reference, code=code, about="nobody"))
    assert resp.status_code == 422 and "about" in resp.get_json()["error"]["fields"]


def test_filing_by_phone_links_the_newest_service_of_that_household(client, factory, world):
    serve(factory, company=world.company, admin=world.admin, worker=world.worker, phone=CUSTOMER)
    newest, _r, _c = serve(factory, company=world.company, admin=world.admin, worker=world.worker, phone=CUSTOMER)
    serve(factory, company=world.company, admin=world.admin, worker=world.worker, phone="13912340202")
    resp = client.post(f"/api/v1/cards/{world.card_no}/complaints/by-phone",
                       json={"phone": "139 1234 0101", "category": "theft", "text": "现金不见了"})
    assert resp.status_code == 201, resp.get_json()
    (c,) = all_complaints()
    assert (c.method, c.service_id, c.worker_id) == ("household_phone", newest.id, world.worker.id)
    assert CUSTOMER not in json.dumps(resp.get_json())


def test_a_phone_no_service_of_this_worker_was_for_is_refused_and_stores_nothing(client, factory, world):
    other = green_worker(factory, name="李桂兰", seed=9)
    serve(factory, company=other.company, admin=other.admin, worker=other.worker, phone=CUSTOMER)
    before = log_count()
    for phone, code in (("13912340999", "no_matching_service"), (CUSTOMER, "no_matching_service"),
                        ("12345", "invalid")):
        resp = client.post(f"/api/v1/cards/{world.card_no}/complaints/by-phone",
                           json={"phone": phone, "category": "theft", "text": "现金不见了"})
        assert resp.status_code == 422, resp.get_json()
        err = resp.get_json()["error"]
        assert err["code"] == code and "phone" in err["fields"]
        assert phone not in json.dumps(err)
    assert log_count() == before and all_complaints() == []


def test_phone_attempts_are_limited_per_card(client, app, factory, world, monkeypatch):
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "3 per 15 minutes")
    url = f"/api/v1/cards/{world.card_no}/complaints/by-phone"
    for i in range(3):
        assert client.post(url, json={"phone": f"1391234{i:04d}", "category": "other", "text": "x"}).status_code == 422
    assert client.post(url, json={"phone": "13912349999", "category": "other", "text": "x"}).status_code == 429
    # Per client address: another address still complains about the card.
    serve(factory, company=world.company, admin=world.admin, worker=world.worker, phone=CUSTOMER)
    other = client.post(url, json={"phone": CUSTOMER, "category": "other", "text": "x"},
                        environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 201, other.get_json()


def test_only_a_phone_that_matches_nothing_spends_the_phone_budget(client, app, factory, world, monkeypatch):
    """A form with a mistake (no category, no text, a phone of the wrong shape) is not a guess at whom the worker
    served: nobody can spend the budget with bad forms to keep residents from complaining."""
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "3 per 15 minutes")
    serve(factory, company=world.company, admin=world.admin, worker=world.worker, phone=CUSTOMER)
    url = f"/api/v1/cards/{world.card_no}/complaints/by-phone"
    for body in ({"phone": CUSTOMER, "text": "x"}, {"phone": CUSTOMER, "category": "other"},
                 {"phone": "12345", "category": "other", "text": "x"}, {"phone": CUSTOMER, "category": "rude",
                                                                       "text": "x"}):
        assert client.post(url, json=body).status_code in (400, 422)
    assert client.post(url, json={"phone": CUSTOMER, "category": "other", "text": "x"}).status_code == 201


@pytest.mark.parametrize("payload,field", [
    ({"category": "rude", "text": "x"}, "category"),
    ({"category": "other", "text": "字" * 1001}, "text"),
    ({"category": "other", "text": "   "}, "text"),
    ({"category": "other", "text": "x", "contact": {"phone": "12"}}, "contact.phone"),
    ({"category": "other", "text": "x", "contact": {"name": "名" * 41}}, "contact.name"),
])
def test_bad_input_names_the_field_and_stores_nothing(client, world, payload, field):
    resp = client.post(f"/api/v1/cards/{world.card_no}/complaints", json=payload)
    assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"], resp.get_json()
    assert all_complaints() == []


def test_misconduct_reports_become_complaints_and_old_ones_stay_readable(client, factory, world, regs):
    resp = client.post(f"/api/v1/cards/{world.card_no}/reports", json={"reason": "misconduct", "text": "态度恶劣"})
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "misconduct_is_a_complaint" and "complaints" in err["message"]["en"]
    assert db.session.execute(select(func.count()).select_from(CardReport)).scalar_one() == 0
    # A report stored with `misconduct` before complaints existed is still listed with its words.
    from registry.log.actions import Action
    from registry.log.services import record_change

    old = CardReport(worker_id=world.worker.id, worker=world.worker, reason="misconduct", state="open")
    db.session.add(old)
    record_change(factory.ring, actor=ANONYMOUS_ACTOR, action=Action.REPORT_FILE, aggregate=old)
    db.session.commit()
    (row,) = client.get("/api/v1/reports", headers=bearer(factory.token(regs["market"]))).get_json()
    assert row["reason"] == "misconduct" and row["reason_label"]["en"] == "Misconduct during a service"


# --- tracking --------------------------------------------------------------------------------------

def test_the_complainant_follows_the_complaint_and_sees_nothing_of_the_subject(client, factory, world, regs):
    filed = file_card(factory, world.worker, contact=complaints.Contact("王建国", "13900004444"))
    step(factory, regs["housekeeping"], filed.complaint, "accept")
    resp = client.post("/api/v1/complaints/track",
                       json={"reference": filed.reference.lower().replace("-", ""),
                             "tracking_code": filed.tracking_code.lower()})
    assert resp.status_code == 200, resp.get_json()
    view = resp.get_json()
    assert view["state"] == "accepted" and view["accepted_on"] and view["deadline"]["kind"] == "conclude"
    assert [s["reason"] for s in view["steps"]] == [REASONS["accept"]]
    assert view["contact"] == {"name": "王**", "phone": "139****4444"}
    dumped = json.dumps(view, ensure_ascii=False)
    for private in (world.card_no, world.worker.name_masked, "欧阳", TEXT, world.company.name):
        assert private not in dumped


def test_a_wrong_tracking_code_is_refused_and_limited_per_reference(client, app, factory, world, monkeypatch):
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "3 per 15 minutes")
    filed = file_card(factory, world.worker)
    other = file_card(factory, world.worker)
    wrong = {"reference": filed.reference, "tracking_code": other.tracking_code}
    for _ in range(3):
        resp = client.post("/api/v1/complaints/track", json=wrong)
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "tracking_code_invalid"
    resp = client.post("/api/v1/complaints/track", json={**wrong, "tracking_code": filed.tracking_code})
    assert resp.status_code == 429
    # Another reference has its own budget; its right code opens it.
    resp = client.post("/api/v1/complaints/track",
                       json={"reference": other.reference, "tracking_code": other.tracking_code})
    assert resp.status_code == 200
    # The code is never accepted in a URL.
    assert client.get("/api/v1/complaints/track", query_string=wrong).status_code in (401, 405)


# --- who handles a complaint ---------------------------------------------------------------------

def test_the_queue_follows_the_subjects_sectors(client, factory, world, regs):
    tok = tokens(factory, regs)
    about_worker = file_card(factory, world.worker).complaint
    _s, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                phone=CUSTOMER)
    about_company = file_code(factory, reference=reference, code=code, about="company").complaint
    prop_company, prop_admin = factory.company(sectors=("property",))
    _s, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                phone="13912340303")
    db.session.commit()

    def refs(sector, **q):
        resp = client.get("/api/v1/complaints", query_string=q, headers=bearer(tok[sector]))
        assert resp.status_code == 200, resp.get_json()
        return [r["ref"] for r in resp.get_json()]

    assert refs("housekeeping") == [about_worker.ref, about_company.ref]
    assert refs("market") == [about_worker.ref, about_company.ref]
    assert refs("property") == []
    assert client.get(f"/api/v1/complaints/{about_worker.ref}", headers=bearer(tok["property"])).status_code == 404
    got = client.get(f"/api/v1/complaints/{about_worker.ref}", headers=bearer(tok["housekeeping"])).get_json()
    assert got["text"] == TEXT and got["subject"]["card_no"] == world.card_no
    assert refs("housekeeping", state="accepted") == []
    assert refs("housekeeping", reference=complaints.reference_of(about_company)) == [about_company.ref]
    bad = client.get("/api/v1/complaints", query_string={"state": "closed"}, headers=bearer(tok["housekeeping"]))
    assert bad.status_code == 422 and "state" in bad.get_json()["error"]["fields"]
    # A worker whose employment ends leaves their sector's regulators; market keeps seeing it.
    from registry.workers import services as workers

    workers.end_employment(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                           end_date=world.today, today=world.today)
    db.session.commit()
    assert refs("housekeeping") == [about_company.ref]
    assert refs("market") == [about_worker.ref, about_company.ref]
    # Company users, anonymous callers: not the regulators' API.
    assert client.get("/api/v1/complaints", headers=bearer(factory.token(prop_admin.account))).status_code == 403
    assert client.get("/api/v1/complaints").status_code == 401


def test_each_step_is_one_entry_by_a_handling_regulator_with_a_reason(client, factory, world, regs):
    tok = tokens(factory, regs)
    c = file_card(factory, world.worker).complaint
    url = f"/api/v1/complaints/{c.ref}/steps"
    assert client.post(url, json={"step": "accept", "reason": "x"}, headers=bearer(tok["property"])).status_code == 404
    resp = client.post(url, json={"step": "accept", "reason": "  "}, headers=bearer(tok["housekeeping"]))
    assert resp.status_code == 422 and "reason" in resp.get_json()["error"]["fields"]
    resp = client.post(url, json={"step": "close", "reason": "x"}, headers=bearer(tok["housekeeping"]))
    assert resp.status_code == 422 and "step" in resp.get_json()["error"]["fields"]
    before = log_count()
    for sector, name, state, action in (("housekeeping", "accept", "accepted", "complaint:accept"),
                                        ("market", "investigate", "investigating", "complaint:investigate"),
                                        ("housekeeping", "substantiate", "substantiated", "complaint:substantiate")):
        resp = client.post(url, json={"step": name, "reason": REASONS[name]}, headers=bearer(tok[sector]))
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["state"] == state
        logged = entry(resp.get_json()["log_index"])
        assert (logged["action"], logged["actor"], logged["subject"]) == (action, regs[sector].ref, c.log_ref)
    assert log_count() == before + 3
    resp = client.post(url, json={"step": "dismiss", "reason": "x"}, headers=bearer(tok["market"]))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "concluded"
    (c,) = all_complaints()
    assert (c.concluded_agency_id, c.concluded_on) == (regs["housekeeping"].agency_id, world.today)
    assert [s.step for s in c.steps] == ["accept", "investigate", "substantiate"]
    assert all(s.reason_state for s in c.steps) and "理由" not in str(canonical.state_of(factory.ring, c))


def test_a_step_out_of_order_is_a_conflict(client, factory, world, regs):
    tok = factory.token(regs["market"])
    c = file_card(factory, world.worker).complaint
    resp = client.post(f"/api/v1/complaints/{c.ref}/steps", json={"step": "substantiate", "reason": "x"},
                       headers=bearer(tok))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "wrong_state"
    assert all_complaints()[0].state == "received"


# --- the subject responds ------------------------------------------------------------------------

def _worker_token(client, factory, world) -> str:
    from registry.selfservice import services as selfservice

    issued = selfservice.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=utcnow())
    db.session.commit()
    started = selfservice.activate(factory.ring, card_no=world.card_no, code=issued.code, pin="204937",
                                   now=utcnow())
    db.session.commit()
    return started.token


def test_the_worker_responds_in_self_service_until_a_decision(client, factory, world, regs):
    token = _worker_token(client, factory, world)
    c = file_card(factory, world.worker, contact=complaints.Contact("王建国", "13900004444")).complaint
    mine = client.get("/api/v1/self/complaints", headers=H(token)).get_json()
    assert [m["ref"] for m in mine] == [c.ref] and mine[0]["may_respond"]
    dumped = json.dumps(mine, ensure_ascii=False)
    assert TEXT not in dumped and "王建国" not in dumped and "13900004444" not in dumped
    url = f"/api/v1/self/complaints/{c.ref}/responses"
    resp = client.post(url, json={"text": "当天按时到达，有签到记录。"}, headers=H(token))
    assert resp.status_code == 201
    logged = entry(resp.get_json()["log_index"])
    # The worker's own self-service actor on this complaint, never their log_ref nor their actor_ref itself.
    worker = db.session.execute(select(Worker).where(Worker.card_no == world.card_no)).scalar_one()
    actor = self_actor(worker, c.log_ref)
    assert (logged["action"], logged["actor"]) == ("complaint:respond", actor)
    assert actor not in (worker.log_ref, worker.actor_ref) and logged["subject"] == c.log_ref
    walk(factory, regs["market"], c, "investigating")
    for i in range(4):
        assert client.post(url, json={"text": f"补充说明 {i}"}, headers=H(token)).status_code == 201
    resp = client.post(url, json={"text": "第六次"}, headers=H(token))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "too_many_responses"
    got = client.get(f"/api/v1/complaints/{c.ref}", headers=bearer(factory.token(regs["market"]))).get_json()
    assert [r["text"] for r in got["responses"]][0] == "当天按时到达，有签到记录。" and len(got["responses"]) == 5
    # After a decision: closed.
    other = file_card(factory, world.worker).complaint
    walk(factory, regs["market"], other, "rejected")
    resp = client.post(f"/api/v1/self/complaints/{other.ref}/responses", json={"text": "x"}, headers=H(token))
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "concluded"


def test_a_subject_answers_only_its_own_complaints(client, factory, world, regs):
    token = _worker_token(client, factory, world)
    other = green_worker(factory, name="李桂兰", seed=9)
    theirs = file_card(factory, other.worker).complaint
    assert client.post(f"/api/v1/self/complaints/{theirs.ref}/responses", json={"text": "x"},
                       headers=H(token)).status_code == 404
    _s, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                phone=CUSTOMER)
    about_a = file_code(factory, reference=reference, code=code, about="company").complaint
    about_worker = file_card(factory, world.worker).complaint
    a_token, other_token = factory.token(world.admin), factory.token(other.admin)
    ok = client.post(f"/api/v1/companies/{world.company.uscc}/complaints/{about_a.ref}/responses",
                     json={"text": "已核实。"}, headers=bearer(a_token))
    assert ok.status_code == 201 and entry(ok.get_json()["log_index"])["actor"] == world.admin.ref
    # Not the company's own complaint (a complaint about its worker), not another company's member.
    assert client.post(f"/api/v1/companies/{world.company.uscc}/complaints/{about_worker.ref}/responses",
                       json={"text": "x"}, headers=bearer(a_token)).status_code == 404
    assert client.post(f"/api/v1/companies/{world.company.uscc}/complaints/{about_a.ref}/responses",
                       json={"text": "x"}, headers=bearer(other_token)).status_code == 404
    listed = client.get(f"/api/v1/companies/{world.company.uscc}/complaints", headers=bearer(a_token)).get_json()
    assert [x["ref"] for x in listed] == [about_a.ref] and listed[0]["responses"][0]["text"] == "已核实。"


# --- deadlines on the working-day calendar ---------------------------------------------------------

def test_deadlines_count_working_days_and_the_worklist_shows_due_and_overdue(client, app, factory, world, regs,
                                                                              clock, monkeypatch):
    # A Monday with no holiday in the next weeks of the built-in schedule.
    start = date(2027, 3, 1)
    clock.freeze(start)
    c = file_card(factory, world.worker).complaint
    kind, deadline = complaints.deadline_of(c)
    assert kind == "accept" and deadline.day == calendar.working_day_after(start, 7).day == date(2027, 3, 10)
    hk = regs["housekeeping"]
    from registry.sanctions import worklist

    assert worklist.worklist(hk, start).complaints_due == []  # 7 working days away: not yet due soon
    clock.freeze(date(2027, 3, 5))  # Friday: the deadline (Wednesday) is within 3 working days
    (due,) = worklist.worklist(hk, date(2027, 3, 5)).complaints_due
    assert (due.kind, due.overdue, due.due_soon) == ("accept", False, True)
    clock.freeze(date(2027, 3, 11))
    (due,) = worklist.worklist(hk, date(2027, 3, 11)).complaints_due
    assert due.overdue and not due.due_soon
    page = client.get(f"/api/v1/complaints/{c.ref}", headers=bearer(factory.token(hk))).get_json()
    assert page["deadline"] == {"kind": "accept", "day": "2027-03-10", "provisional": page["deadline"]["provisional"],
                                "overdue": True}
    # Accepted late: the conclusion counts 45 working days from acceptance, at the days configured then.
    monkeypatch.setitem(app.config, "COMPLAINT_CONCLUDE_WORKING_DAYS", 10)
    step(factory, hk, c, "accept")
    kind, deadline = complaints.deadline_of(c)
    assert (kind, c.conclude_days) == ("conclude", 10)
    assert deadline.day == calendar.working_day_after(date(2027, 3, 11), 10).day == date(2027, 3, 25)
    monkeypatch.setitem(app.config, "COMPLAINT_CONCLUDE_WORKING_DAYS", 45)
    assert complaints.deadline_of(c)[1].day == date(2027, 3, 25)  # a later change of the setting moves nothing
    assert worklist.worklist(hk, date(2027, 3, 11)).complaints_due == []
    # The property regulator handles none of it; a concluded complaint has no deadline.
    assert worklist.worklist(regs["property"], date(2027, 3, 30)).complaints_due == []
    walk_rest = ["investigate", "dismiss"]
    for name in walk_rest:
        step(factory, hk, c, name)
    assert complaints.deadline_of(c) is None


def test_the_default_deadline_is_seven_working_days_across_a_holiday(factory, world, clock):
    # 2027-01-01 is New Year's Day (a statutory holiday): filed on Thursday 2026-12-31.
    clock.freeze(date(2026, 12, 31))
    c = file_card(factory, world.worker).complaint
    assert c.accept_days == 7
    day = complaints.deadline_of(c)[1].day
    assert day == calendar.working_day_after(date(2026, 12, 31), 7).day
    assert day > date(2026, 12, 31) + timedelta(days=8)  # weekends and the holiday do not count


# --- a sanction citing a substantiated complaint ---------------------------------------------------

def _sanction(client, token, **over):
    payload = {"subject_kind": "worker", "card_no": over.pop("card_no"), "kind": "warning", "severity": "minor",
               "legal_basis": "《家政服务业信用建设指引》第十条", "facts": "经查投诉属实。", "measures": "警告",
               "decision_no": "商务罚〔2026〕9号", "decision_date": date.today().isoformat(), **over}
    return client.post("/api/v1/sanctions", json=payload, headers=bearer(token))


def test_a_sanction_cites_a_substantiated_complaint_about_the_same_subject(client, factory, world, regs):
    from registry.sanctions.models import Sanction

    tok = factory.token(regs["housekeeping"])
    c = walk(factory, regs["housekeeping"], file_card(factory, world.worker).complaint, "substantiated")
    pending = file_card(factory, world.worker).complaint
    other = green_worker(factory, name="李桂兰", seed=9)
    theirs = walk(factory, regs["market"], file_card(factory, other.worker).complaint, "substantiated")
    for ref, code in ((complaints.reference_of(pending), "complaint_not_substantiated"),
                      (complaints.reference_of(theirs), "complaint_other_subject"),
                      ("0000-0000-0000", "invalid_input")):
        resp = _sanction(client, tok, card_no=world.card_no, origin_complaint=ref)
        assert resp.status_code == 422, resp.get_json()
        err = resp.get_json()["error"]
        assert err["code"] == code and "origin_complaint" in err["fields"]
    resp = _sanction(client, tok, card_no=world.card_no, origin_complaint=complaints.reference_of(c))
    assert resp.status_code == 201, resp.get_json()
    s = db.session.execute(select(Sanction).where(Sanction.ref == resp.get_json()["ref"])).scalar_one()
    assert canonical.state_of(factory.ring, s)["origin"] == {"complaint": c.log_ref}
    got = client.get(f"/api/v1/sanctions/{s.ref}", headers=bearer(tok)).get_json()
    assert got["origin_complaint"] == complaints.reference_of(c)
    # Without one, the origin stays as it always was (older digests stay valid).
    plain = _sanction(client, tok, card_no=world.card_no).get_json()["ref"]
    s2 = db.session.execute(select(Sanction).where(Sanction.ref == plain)).scalar_one()
    assert canonical.state_of(factory.ring, s2)["origin"] is None
