"""Workers through the API: one person one worker, employments, records, views, access record."""
from __future__ import annotations

import json
import random
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers import cardno, idnumber
from registry.workers.models import AccessRecord, Employment, Worker, WorkerRecord

RNG = random.Random(5)


def H(token):
    return {"Authorization": f"Bearer {token}"}


def new_id(birth=date(1985, 6, 1), **kw):
    return idnumber.generate(RNG, birth=birth, **kw)


def body(**over):
    b = {"name": "陈秀英", "id_number": new_id(), "phone": "13600001234", "occupation": "cleaner",
         "employment_kind": "labour_contract", "start_date": shanghai_today().isoformat(), "social_insurance": True}
    b.update(over)
    return b


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def two(app, factory):
    a, a_admin = factory.company()
    b, b_admin = factory.company()
    return {"a": a, "b": b, "ta": factory.token(a_admin.account), "tb": factory.token(b_admin.account),
            "treg": factory.token(factory.regulator_for("housekeeping"))}


def register(client, company, token, **over):
    return client.post(f"/api/v1/companies/{company.uscc}/workers", json=body(**over), headers=H(token))


def last_digest_matches(factory, worker):
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == worker.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    return json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(factory.ring, worker))


def test_first_registration_issues_a_card_and_a_second_company_attaches(client, factory, two):
    person = body()
    r1 = client.post(f"/api/v1/companies/{two['a'].uscc}/workers", json=person, headers=H(two["ta"]))
    assert r1.status_code == 201, r1.get_json()
    card = r1.get_json()["card_no"]
    assert r1.get_json()["created"] is True and cardno.validate(card).ok
    r2 = client.post(f"/api/v1/companies/{two['b'].uscc}/workers", json={**person, "occupation": "childcare"},
                     headers=H(two["tb"]))
    assert r2.status_code == 201, r2.get_json()
    # Knowing the name and ID number is not enough: the attachment waits for the worker's confirmation.
    until = (shanghai_today() + timedelta(days=7)).isoformat()
    assert r2.get_json() == {"card_no": card, "created": False, "log_index": r2.get_json()["log_index"],
                             "employment_id": r2.get_json()["employment_id"], "pending": True,
                             "pending_until": until, "warnings": []}
    assert r1.get_json()["pending"] is False and r1.get_json()["pending_until"] is None
    assert count(Worker) == 1 and count(Employment) == 2
    actions = [db.session.get(LogEntry, r.get_json()["log_index"]).action for r in (r1, r2)]
    assert actions == ["worker:register", "worker:employ:pending"]
    worker = db.session.execute(select(Worker)).scalar_one()
    assert last_digest_matches(factory, worker)
    # The card number is not derived from the ID number.
    assert person["id_number"][-6:] not in card


def test_same_company_twice_is_a_conflict_and_a_different_name_is_refused(client, two):
    person = body()
    assert register(client, two["a"], two["ta"], **person).status_code == 201
    again = register(client, two["a"], two["ta"], **person)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_employed"
    other = register(client, two["b"], two["tb"], **{**person, "name": "陈秀兰"})
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "identity_mismatch" and "name" in other.get_json()["error"]["fields"]
    assert count(Employment) == 1


def test_pending_company_cannot_register_staff(client, factory):
    company, admin = factory.company(verified=False)
    resp = register(client, company, factory.token(admin.account))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "company_not_verified"
    assert count(Worker) == 0


@pytest.mark.parametrize("id_number,rule", [
    ("11010519491231002", "length"),
    ("11010519491231002A", "characters"),
    ("X10105194912310021", "characters"),
    ("01010519491231002" + idnumber.check_character("01010519491231002"), "region"),
    ("11010520230229001" + idnumber.check_character("11010520230229001"), "birth_date"),
    ("11010520991231001" + idnumber.check_character("11010520991231001"), "future_birth_date"),
    ("11010520150101001" + idnumber.check_character("11010520150101001"), "too_young"),
    ("110105194912310021", "checksum"),
])
def test_each_id_rule_is_named(client, two, id_number, rule):
    resp = register(client, two["a"], two["ta"], id_number=id_number)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == f"id_number_{rule}"
    field = err["fields"]["id_number"]
    assert field["en"] and field["zh"]
    assert id_number not in json.dumps(resp.get_json(), ensure_ascii=False)
    assert count(Worker) == 0


def test_permits_and_foreigner_ids_register(client, two):
    for kind in ("hk_permit", "mo_permit", "tw_permit", "foreigner"):
        resp = register(client, two["a"], two["ta"], id_number=new_id(kind=kind))
        assert resp.status_code == 201, (kind, resp.get_json())
    kinds = set(db.session.execute(select(Worker.id_kind)).scalars())
    assert kinds == {"hk_permit", "mo_permit", "tw_permit", "foreigner"}


def test_detail_is_for_current_employers_and_regulators_and_every_read_is_recorded(client, two):
    person = body(name="欧阳娜娜")
    card = register(client, two["a"], two["ta"], **person).get_json()["card_no"]
    mine = client.get(f"/api/v1/workers/{card}", headers=H(two["ta"]))
    assert mine.status_code == 200
    assert mine.get_json()["name"] == "欧阳娜娜" and mine.get_json()["name_masked"] == "欧阳**"
    assert mine.get_json()["id_number"] == person["id_number"] and mine.get_json()["phone"] == "+8613600001234"
    # A regulator says why: the plain GET refuses, the search opens with the purpose.
    refused = client.get(f"/api/v1/workers/{card}", headers=H(two["treg"]))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "purpose_required"
    opened = client.post("/api/v1/workers/search", json={"card_no": card, "purpose": "complaint"},
                         headers=H(two["treg"]))
    assert opened.status_code == 200 and opened.get_json()["name"] == "欧阳娜娜"
    assert client.get(f"/api/v1/workers/{card}", headers=H(two["tb"])).status_code == 404
    assert [a.purpose for a in db.session.query(AccessRecord).order_by(AccessRecord.id)] == [
        "employer_view", "regulator_view:complaint"]
    end = client.post(f"/api/v1/workers/{card}/employment-end", json={"end_date": shanghai_today().isoformat()},
                      headers=H(two["ta"]))
    assert end.status_code == 200
    assert client.get(f"/api/v1/workers/{card}", headers=H(two["ta"])).status_code == 404


def test_card_number_typo_is_not_not_found(client, two):
    card = register(client, two["a"], two["ta"]).get_json()["card_no"]
    typo = card[:5] + ("1" if card[5] != "1" else "2") + card[6:]
    resp = client.get(f"/api/v1/workers/{typo}", headers=H(two["ta"]))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "card_no_typo"
    unknown = cardno.new_card_no()
    assert client.get(f"/api/v1/workers/{unknown}", headers=H(two["ta"])).status_code == 404


def test_records_add_and_correct_without_overwriting(client, factory, two):
    card = register(client, two["a"], two["ta"]).get_json()["card_no"]
    today = shanghai_today()
    url = f"/api/v1/workers/{card}/records"
    first = client.post(url, json={"kind": "health", "result": "passed", "checked_on": today.isoformat(),
                                   "valid_until": (today + timedelta(days=365)).isoformat()}, headers=H(two["ta"]))
    assert first.status_code == 201, first.get_json()
    fix = client.post(url, json={"kind": "health", "result": "passed", "checked_on": today.isoformat(),
                                 "valid_until": (today + timedelta(days=180)).isoformat(),
                                 "supersedes": first.get_json()["id"]}, headers=H(two["ta"]))
    assert fix.status_code == 201, fix.get_json()
    assert db.session.get(LogEntry, fix.get_json()["log_index"]).action == "worker:record:correct"
    again = client.post(url, json={"kind": "health", "result": "passed", "checked_on": today.isoformat(),
                                   "valid_until": today.isoformat(), "supersedes": first.get_json()["id"]},
                        headers=H(two["ta"]))
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "cannot_supersede"
    records = client.get(f"/api/v1/workers/{card}", headers=H(two["ta"])).get_json()["records"]
    assert [(r["superseded"], r["valid_until"]) for r in records] == [
        (True, (today + timedelta(days=365)).isoformat()), (False, (today + timedelta(days=180)).isoformat())]
    assert count(WorkerRecord) == 2
    assert last_digest_matches(factory, db.session.execute(select(Worker)).scalar_one())


@pytest.mark.parametrize("record,field", [
    ({"kind": "health", "result": "passed", "checked_on": "2099-01-01", "valid_until": "2099-02-01"}, "checked_on"),
    ({"kind": "health", "result": "maybe", "checked_on": "2026-01-01", "valid_until": "2027-01-01"}, "result"),
    ({"kind": "health", "result": "passed", "checked_on": "2026-01-01", "valid_until": "2025-01-01"}, "valid_until"),
    ({"kind": "training", "course": "x", "hours": 0, "exam_passed": True, "trained_on": "2026-01-01",
      "issuer": "y"}, "hours"),
    ({"kind": "training", "hours": 8, "exam_passed": True, "trained_on": "2026-01-01", "issuer": "y"}, "course"),
    ({"kind": "insurance", "insurer": "平安", "valid_from": "2026-01-01"}, "valid_until"),
    ({"kind": "background", "result": "passed", "checked_on": "2026-01-01"}, "authority"),
    ({"kind": "identity", "result": "passed", "checked_on": "2026-01-01"}, "result"),
])
def test_record_rules_name_the_field(client, two, record, field):
    card = register(client, two["a"], two["ta"]).get_json()["card_no"]
    before = count(WorkerRecord), count(LogEntry)
    resp = client.post(f"/api/v1/workers/{card}/records", json=record, headers=H(two["ta"]))
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]
    assert (count(WorkerRecord), count(LogEntry)) == before


def test_staff_list_filters(client, two):
    today = shanghai_today()
    soon = register(client, two["a"], two["ta"], occupation="childcare").get_json()["card_no"]
    later = register(client, two["a"], two["ta"], occupation="cleaner").get_json()["card_no"]
    for card, days in ((soon, 10), (later, 60)):
        client.post(f"/api/v1/workers/{card}/records", headers=H(two["ta"]), json={
            "kind": "health", "result": "passed", "checked_on": today.isoformat(),
            "valid_until": (today + timedelta(days=days)).isoformat()})

    def cards(**q):
        resp = client.get(f"/api/v1/companies/{two['a'].uscc}/workers", query_string=q, headers=H(two["ta"]))
        assert resp.status_code == 200
        return {r["card_no"] for r in resp.get_json()}

    assert cards() == {soon, later}
    assert cards(expiring="health") == {soon}
    assert cards(expiring="any") == {soon}
    assert cards(expiring="insurance") == set()
    assert cards(occupation="cleaner") == {later}
    assert cards(status="yellow") == {soon, later}
    assert cards(status="green") == set()
    rows = client.get(f"/api/v1/companies/{two['a'].uscc}/workers", headers=H(two["ta"])).get_json()
    assert all(r["name_masked"] == "陈**" for r in rows)
    assert client.get(f"/api/v1/companies/{two['a'].uscc}/workers", headers=H(two["tb"])).status_code == 404


def test_companies_registering_one_person_at_once_make_one_worker(app, client, factory, two):
    """Parallel requests (separate sessions and connections); on PostgreSQL the unique index decides."""
    person = body()
    others = [factory.company() for _ in range(4)]
    callers = [(two["a"].uscc, two["ta"]), (two["b"].uscc, two["tb"])] + [
        (c.uscc, factory.token(admin.account)) for c, admin in others]
    results = []
    barrier = threading.Barrier(len(callers))

    def go(uscc, token):
        c = app.test_client()
        barrier.wait()
        results.append(c.post(f"/api/v1/companies/{uscc}/workers", json=person, headers=H(token)))

    threads = [threading.Thread(target=go, args=caller) for caller in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.status_code for r in results] == [201] * len(callers), [r.get_json() for r in results]
    assert sorted(r.get_json()["created"] for r in results) == [False] * (len(callers) - 1) + [True]
    assert len({r.get_json()["card_no"] for r in results}) == 1
    db.session.rollback()
    assert count(Worker) == 1 and count(Employment) == len(callers)
    seqs = db.session.execute(select(LogEntry.seq).order_by(LogEntry.seq)).scalars().all()
    assert seqs == list(range(len(seqs)))


# --- searching the staff list ------------------------------------------------------------

def search(client, company, token, **args):
    return client.post(f"/api/v1/companies/{company.uscc}/workers/search", json=args, headers=H(token))


def test_staff_search_by_card_number_exact_name_and_phone(client, two, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    a, ta = two["a"], two["ta"]
    wang = register(client, a, ta, name="王芳", phone="13611112222").get_json()["card_no"]
    namesake = register(client, a, ta, name="王芳", phone="13655556666").get_json()["card_no"]
    li = register(client, a, ta, name="李娟", phone="13677778888").get_json()["card_no"]
    elsewhere = register(client, two["b"], two["tb"], name="王芳", phone="13611112222").get_json()["card_no"]

    def cards(resp):
        assert resp.status_code == 200, resp.get_json()
        return sorted(r["card_no"] for r in resp.get_json())

    assert cards(search(client, a, ta, name="王芳")) == sorted([wang, namesake])
    assert cards(search(client, a, ta, phone="136 7777 8888")) == [li]
    assert cards(search(client, a, ta, name="王芳", phone="+8613611112222")) == [wang]
    assert cards(search(client, a, ta, card_no=li.lower())) == [li]
    assert cards(search(client, a, ta, card_no=elsewhere)) == []
    assert cards(search(client, a, ta, name="王")) == []
    resp = search(client, a, ta, name="王芳")
    # Rows are the list's: masked names only; the answer never echoes the typed terms.
    assert "王芳" not in resp.get_data(as_text=True) and "13611112222" not in resp.get_data(as_text=True)
    assert json.loads(resp.headers["X-Pagination"])["total"] == 2
    # Another company may not search this one's staff.
    assert search(client, a, two["tb"], name="王芳").status_code == 404
    for typed in ("王芳", "李娟", "13611112222", "13677778888", "+8613611112222", "136 7777 8888"):
        assert typed not in caplog.text


@pytest.mark.parametrize("args, field", [
    ({"phone": "12345"}, "phone"), ({"name": "王芳<b>"}, "name"), ({"card_no": "JX123"}, "card_no"),
    ({"page": 0}, "page"), ({"page_size": 101}, "page_size"), ({"page": 2**31}, "page"),
    ({"status": "purple"}, "status"), ({"nickname": "x"}, "nickname"),
])
def test_staff_search_refuses_what_cannot_match_naming_the_field(client, two, args, field):
    resp = search(client, two["a"], two["ta"], **args)
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert field in err["fields"] and err["fields"][field]["zh"] and err["fields"][field]["en"]


def test_staff_search_pages_fifty_at_a_time(client, factory, two):
    from registry.workers import services

    a = two["a"]
    admin = a.accounts[0]
    made = []
    for i in range(52):
        reg = services.register_worker(
            factory.ring, account=admin, company=a, today=shanghai_today(),
            person=services.Person(f"员工{chr(0x4E00 + i)}", new_id(birth=date(1980, 1, 1) + timedelta(days=i)),
                                   f"1360000{i:04d}"),
            engagement=services.Engagement("cleaner", "labour_contract", shanghai_today(), True))
        db.session.flush()
        made.append(reg.worker.card_no)
    db.session.commit()
    first = search(client, a, two["ta"])
    assert [r["card_no"] for r in first.get_json()] == made[:50]
    assert json.loads(first.headers["X-Pagination"]) == {
        "total": 52, "total_pages": 2, "first_page": 1, "last_page": 2, "page": 1, "next_page": 2}
    second = search(client, a, two["ta"], page=2)
    assert [r["card_no"] for r in second.get_json()] == made[50:]
    assert [r["card_no"] for r in search(client, a, two["ta"], page=3, page_size=20).get_json()] == made[40:]


def test_ending_an_employment_voids_that_companys_cards_in_one_logged_change(client, factory, two):
    from registry.cards.models import Card
    from registry.log.verify import verify_local

    card_no = register(client, two["a"], two["ta"]).get_json()["card_no"]
    worker = db.session.execute(select(Worker).where(Worker.card_no == card_no)).scalar_one()
    # Company b employs the person too (as a confirmed attachment leaves it) and issues the first card.
    worker.employments.append(Employment(company_id=two["b"].id, occupation="cook", kind="labour_contract",
                                         start_date=shanghai_today(), social_insurance=True, recorded_by="test"))
    db.session.commit()
    assert client.post(f"/api/v1/workers/{card_no}/cards", headers=H(two["tb"])).get_json()["serial"] == 1
    assert client.post(f"/api/v1/workers/{card_no}/cards", headers=H(two["ta"])).get_json()["serial"] == 2
    assert client.post(f"/api/v1/workers/{card_no}/cards", headers=H(two["ta"])).get_json()["serial"] == 3
    entries = count(LogEntry)
    end = client.post(f"/api/v1/workers/{card_no}/employment-end", json={"end_date": shanghai_today().isoformat()},
                      headers=H(two["ta"]))
    assert end.status_code == 200
    # Only company a's cards, and the answer names them.
    assert end.get_json()["voided_serials"] == [2, 3]
    db.session.rollback()
    voided = dict(db.session.execute(select(Card.serial, Card.voided_on).where(Card.worker_id == worker.id)).all())
    assert voided == {1: None, 2: shanghai_today(), 3: shanghai_today()}
    # One change of the worker: one entry, whose digest covers the void.
    assert count(LogEntry) == entries + 1
    entry = db.session.execute(select(LogEntry).order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert entry.seq == end.get_json()["log_index"] and json.loads(entry.body)["action"] == "worker:employment:end"
    assert last_digest_matches(factory, worker)
    state = canonical.state_of(factory.ring, worker)
    assert [c.get("voided_on") for c in state["cards"]] == [None, shanghai_today().isoformat(),
                                                            shanghai_today().isoformat()]
    assert "voided_on" not in state["cards"][0]  # unset: absent, so digests made before voiding existed hold
    assert verify_local(factory.ring, factory.app.config["LOG_ORIGIN"]).failures == []


def test_ending_an_employment_without_cards_voids_nothing(client, two):
    card_no = register(client, two["a"], two["ta"]).get_json()["card_no"]
    end = client.post(f"/api/v1/workers/{card_no}/employment-end", json={"end_date": shanghai_today().isoformat()},
                      headers=H(two["ta"]))
    assert end.status_code == 200 and end.get_json()["voided_serials"] == []
