"""Market access: a listed company registers, imports and attaches nobody; a barred worker is registered by nobody;
other listings warn and the employment records the warning; a listed worker's card is red and neither issued nor
printed (docs/rules.md, "Market access")."""
from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry import canonical
from registry.cards import services as cards
from registry.clock import today as shanghai_today
from registry.errors import ApiError
from registry.extensions import db
from registry.imports.models import ImportFile
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction
from registry.tasks.models import Task
from registry.workers import idnumber
from registry.workers import services as workers
from registry.workers.models import Employment, Worker
from tests.support.attachutil import last_confirmation_code
from tests.support.cardworld import green_worker
from tests.support.factory import bearer
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks
from tests.support.logutil import ORIGIN, sign
from tests.support.sanctionutil import NOTICE_REASONS, list_serious, record, regulators
from tests.support.webutil import count, log_actions, login, post_form, text

START = date(2026, 5, 29)  # a Friday


@pytest.fixture
def world(app, factory, clock):
    """A worker employed (green) by one company, another verified company, two regulators of one agency."""
    clock.freeze(START)
    w = green_worker(factory)
    other, other_admin = factory.company()
    proposer, approver = regulators(factory, "housekeeping", code="hk-access")
    return w, (other, other_admin), proposer, approver


def person_json(factory, worker, today, **over) -> dict:
    """The worker's own name and ID number, as a company registering them would type them."""
    data = workers.open_personal_data(factory.ring, worker)
    return {"name": data["name"], "id_number": data["id_number"], "phone": "13911112222", "occupation": "cleaner",
            "employment_kind": "labour_contract", "start_date": today.isoformat(), "social_insurance": True, **over}


def decided_listing(factory, proposer, clock, **subject) -> Sanction:
    """A serious listing noticed, past its objection window and decided, awaiting the second regulator."""
    clock.freeze(START)
    s = record(factory, proposer, kind="serious_list", severity="serious", months=12, today=START, **subject)
    delivery = {} if "worker" in subject else {"delivery_method": "post", "delivered_on": START}
    sanctions.notify_sanction(factory.ring, regulator=proposer, sanction=s, today=START,
                              reasons=NOTICE_REASONS, **delivery)
    db.session.commit()
    clock.freeze(sanctions.objection_until(s).day + timedelta(days=1))
    sanctions.decide_sanction(factory.ring, regulator=proposer, sanction=s, today=shanghai_today(),
                              decision_no="商务信〔2026〕9号")
    db.session.commit()
    return s


def approve(factory, approver, sanction_id: int) -> None:
    s = db.session.get(Sanction, sanction_id)
    sanctions.approve_sanction(factory.ring, regulator=approver, sanction=s, today=shanghai_today())
    db.session.commit()


def new_id(seed: int) -> str:
    """A valid ID number nobody holds yet."""
    return idnumber.generate(random.Random(seed), birth=date(1990, 3, 7))


def error_of(resp) -> dict:
    return resp.get_json()["error"]


# --- a listed company -------------------------------------------------------------------------------------------

def test_a_listed_company_registers_nobody_from_approval_to_the_windows_end(client, factory, clock, world):
    w, (other, other_admin), proposer, approver = world
    s = decided_listing(factory, proposer, clock, company=other)
    token = factory.token(other_admin.account)
    url = f"/api/v1/companies/{other.uscc}/workers"
    newcomer = {"name": "林小红", "id_number": new_id(1), "phone": "13900001111", "occupation": "cleaner",
                "employment_kind": "labour_contract", "start_date": shanghai_today().isoformat(),
                "social_insurance": True}
    # Decided but not yet approved by a second regulator: it does not bind.
    assert client.post(url, json=newcomer, headers=bearer(token)).status_code == 201
    approve(factory, approver, s.id)
    before = count(LogEntry)
    resp = client.post(url, json={**newcomer, "id_number": new_id(2)}, headers=bearer(token))
    assert resp.status_code == 403
    assert error_of(resp)["code"] == "company_listed"
    message = error_of(resp)["message"]
    assert "严重失信主体名单" in message["zh"] and "serious-dishonesty" in message["en"]
    # Nor does it attach someone already registered.
    resp = client.post(url, json=person_json(factory, w.worker, shanghai_today()), headers=bearer(token))
    assert resp.status_code == 403 and error_of(resp)["code"] == "company_listed"
    assert count(LogEntry) == before
    # Not published, and it binds all the same; the day after its window it no longer does.
    assert db.session.get(Sanction, s.id).published_dt is None
    clock.freeze(db.session.get(Sanction, s.id).window_end + timedelta(days=1))
    resp = client.post(url, json={**newcomer, "id_number": new_id(2),
                                  "start_date": shanghai_today().isoformat()}, headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()


def test_the_registration_page_of_a_listed_company_shows_the_refusal(client, factory, clock, world):
    _w, (other, other_admin), proposer, approver = world
    s = decided_listing(factory, proposer, clock, company=other)
    login(client, other_admin.account.login, other_admin.password)
    form = {"name": "林小红", "id_number": new_id(1), "phone": "13900001111", "occupation": "cleaner",
            "employment_kind": "labour_contract", "start_date": shanghai_today().isoformat(),
            "social_insurance": "true"}
    token_page = client.get("/company/workers/new")
    assert 'id="register-form"' in text(token_page) and 'id="company-listed"' not in text(token_page)
    approve(factory, approver, s.id)
    page = client.get("/company/workers/new?lang=en")
    assert page.status_code == 200
    assert 'id="company-listed"' in text(page) and 'id="register-form"' not in text(page)
    assert "serious-dishonesty list" in text(page)
    # A form posted anyway (an open tab) is refused with the reason.
    from tests.support.webutil import csrf_from

    resp = client.post("/company/workers/new?lang=zh", data={**form, "csrf_token": csrf_from(text(token_page))})
    assert resp.status_code == 403
    assert 'data-code="company_listed"' in text(resp) and "严重失信主体名单" in text(resp)
    assert count(Worker) == 1


def test_a_listed_company_cannot_start_an_import(app, client, factory, clock, world):
    _w, (other, other_admin), proposer, approver = world
    s = decided_listing(factory, proposer, clock, company=other)
    approve(factory, approver, s.id)
    resp = upload(client, other, factory.token(other_admin.account), csv_bytes(person_rows(2, today=shanghai_today())))
    assert resp.status_code == 403 and error_of(resp)["code"] == "company_listed"
    assert count(ImportFile) == 0 and count(Task) == 0
    # The page says so too.
    login(client, other_admin.account.login, other_admin.password)
    from werkzeug.datastructures import FileStorage

    from tests.support.webutil import csrf

    token = csrf(client, "/company/workers/import")
    page = client.post("/company/workers/import", data={
        "csrf_token": token, "file": FileStorage(io.BytesIO(csv_bytes(person_rows(1, today=shanghai_today()))),
                                                 filename="staff.csv")}, content_type="multipart/form-data")
    assert page.status_code == 403 and 'data-code="company_listed"' in text(page)


def upload(client, company, token, content: bytes):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename="staff.csv")})
    return client.post(f"/api/v1/companies/{company.uscc}/imports", data=body, headers=bearer(token),
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_listing_approved_between_two_batches_stops_the_import_after_the_stored_ones(
        app, client, factory, clock, world, monkeypatch):
    from jobs.runner import task_worker_tick

    _w, (other, other_admin), proposer, approver = world
    s = decided_listing(factory, proposer, clock, company=other)
    sanction_id = s.id
    monkeypatch.setitem(app.config, "IMPORT_BATCH", 2)
    token = factory.token(other_admin.account)
    rows = person_rows(5, today=shanghai_today())
    resp = upload(client, other, token, csv_bytes(rows))
    assert resp.status_code == 202
    task_id = resp.get_json()["task_id"]
    commits = []

    def between_batches() -> bool:
        # Called after each committed batch: the validation, then each stored batch. After the first stored
        # batch a second regulator approves the listing, as another request would.
        commits.append(1)
        if len(commits) == 2:
            approve(factory, approver, sanction_id)
        return False

    db.session.rollback()
    assert task_worker_tick(app, "test-worker", stop_requested=between_batches)
    assert len(commits) == 3  # validation, one stored batch, the refused one that ended the task
    view = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(token)).get_json()
    assert view["state"] == "done"
    result = view["result"]
    assert result["stored"] == 2 and result["refused"]["code"] == "company_listed"
    assert "严重失信主体名单" in result["refused"]["message"]["zh"]
    # The first batch's two rows stayed, one entry each, before the approval; nothing after.
    assert count(Worker) == 3  # the world's worker and the two rows
    assert log_actions()[-3:] == ["worker:register", "worker:register", "sanction:approve"]
    stored = {workers.open_personal_data(factory.ring, x)["id_number"]
              for x in db.session.execute(select(Worker).where(Worker.registered_by == other.log_ref)).scalars()}
    assert stored == {rows[0]["id_number"], rows[1]["id_number"]}
    report = client.get(f"/api/v1/companies/{other.uscc}/imports/{task_id}/report", headers=bearer(token))
    lines = list(csv.reader(io.StringIO(report.get_data().decode("utf-8-sig"))))
    assert lines[-1][0] == "" and "严重失信主体名单" in lines[-1][2] and "2" in lines[-1][2]
    assert "serious-dishonesty list" in lines[-1][3]
    # Running the queue again does nothing more.
    assert run_queued_tasks(app) == 0
    # The progress page says why it stopped.
    login(client, other_admin.account.login, other_admin.password)
    page = client.get(f"/company/workers/import/{task_id}")
    assert page.status_code == 200 and 'data-code="company_listed"' in text(page)
    assert 'id="outcome"' not in text(page)


# --- attaching ---------------------------------------------------------------------------------------------------

def test_a_listed_company_neither_attaches_nor_completes_an_attachment(client, factory, clock, world):
    w, (other, other_admin), proposer, approver = world
    s = decided_listing(factory, proposer, clock, company=other)
    token = factory.token(other_admin.account)
    today = shanghai_today()
    resp = client.post(f"/api/v1/companies/{other.uscc}/workers", json=person_json(factory, w.worker, today),
                       headers=bearer(token))
    assert resp.status_code == 201 and resp.get_json()["pending"]
    employment_id = resp.get_json()["employment_id"]
    code = last_confirmation_code(factory, "13800005678")
    approve(factory, approver, s.id)
    base = f"/api/v1/workers/{w.card_no}/employments/{employment_id}"
    resp = client.post(f"{base}/confirm", json={"code": code}, headers=bearer(token))
    assert resp.status_code == 403 and error_of(resp)["code"] == "company_listed"
    resp = client.post(f"{base}/confirmation-code", headers=bearer(token))
    assert resp.status_code == 403 and error_of(resp)["code"] == "company_listed"
    # The staff page's confirmation form says why.
    login(client, other_admin.account.login, other_admin.password)
    page = post_form(client, f"/company/workers/{w.card_no}/employments/{employment_id}/confirm?lang=zh",
                     {"code": code}, page="/company/workers", follow_redirects=True)
    assert page.status_code == 200 and "贵单位已被列入严重失信主体名单" in text(page)
    # Nor may the worker complete it in self-service.
    from registry.workers import attach

    worker = db.session.get(Worker, w.worker.id)
    with pytest.raises(ApiError) as refused:
        attach.confirm_by_worker(factory.ring, worker=worker, employment_id=employment_id, today=shanghai_today(),
                                 now=clock_now())
    assert refused.value.code == "company_listed"
    db.session.rollback()
    assert not db.session.get(Employment, employment_id).active


def clock_now():
    from registry import clock

    return clock.now()


# --- a barred worker ---------------------------------------------------------------------------------------------

def test_a_worker_whose_listing_bars_the_work_is_neither_registered_nor_attached(
        app, client, factory, clock, world, monkeypatch):
    w, (other, other_admin), proposer, approver = world
    monkeypatch.setitem(app.config, "ATTACH_CONFIRM_DAYS", 30)  # the attachment outlives the objection window
    token = factory.token(other_admin.account)
    # Attached before the listing: the confirmation waits.
    resp = client.post(f"/api/v1/companies/{other.uscc}/workers", json=person_json(factory, w.worker, START),
                       headers=bearer(token))
    assert resp.status_code == 201
    employment_id = resp.get_json()["employment_id"]
    list_serious(factory, proposer, approver, clock, worker=w.worker, start=START, bars_home_service=True,
                 publish=False)
    today = shanghai_today()
    third, third_admin = factory.company()
    third_token = factory.token(third_admin.account)
    before = count(LogEntry)
    resp = client.post(f"/api/v1/companies/{third.uscc}/workers", json=person_json(factory, w.worker, today),
                       headers=bearer(third_token))
    assert resp.status_code == 409 and error_of(resp)["code"] == "worker_listed"
    assert "家政上门服务" in error_of(resp)["message"]["zh"]
    code = last_confirmation_code(factory, "13800005678")
    resp = client.post(f"/api/v1/workers/{w.card_no}/employments/{employment_id}/confirm", json={"code": code},
                       headers=bearer(token))
    assert resp.status_code == 409 and error_of(resp)["code"] == "worker_listed"
    assert count(LogEntry) == before
    # A staff import refuses the row, with the same code on the ID number's column; the other rows are stored.
    rows = person_rows(2, today=today, with_records=False)
    data = workers.open_personal_data(factory.ring, w.worker)
    rows.append({**rows[0], "name": data["name"], "id_number": data["id_number"]})
    resp = upload(client, third, third_token, csv_bytes(rows))
    task_id = resp.get_json()["task_id"]
    run_queued_tasks(app)
    report = client.get(f"/api/v1/companies/{third.uscc}/imports/{task_id}/report", headers=bearer(third_token))
    lines = list(csv.reader(io.StringIO(report.get_data().decode("utf-8-sig"))))
    assert [(line[0], line[1].split()[0]) for line in lines[1:]] == [("4", "证件号码")]
    assert "严重失信主体名单" in lines[1][2]
    # keep_good is off: a file with a refused row stores nothing.
    assert count(Worker) == 1


# --- warnings ------------------------------------------------------------------------------------------------

def test_other_listings_warn_and_the_employment_records_them(app, client, factory, clock, world):
    w, (other, other_admin), proposer, approver = world
    watch = record(factory, proposer, worker=w.worker, kind="watch_list", severity="general", months=6,
                   today=START, decision_no="商务关注〔2026〕3号")
    serious = list_serious(factory, proposer, approver, clock, worker=w.worker, start=START,
                           bars_home_service=False, publish=False)
    today = shanghai_today()
    resp = client.post(f"/api/v1/companies/{other.uscc}/workers", json=person_json(factory, w.worker, today),
                       headers=bearer(factory.token(other_admin.account)))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["pending"]
    warnings = body["warnings"]
    assert [x["ref"] for x in warnings] == [watch.ref, serious.ref]
    first = warnings[0]
    assert first["code"] == "listing_in_effect" and first["kind"] == "watch_list" and first["severity"] == "general"
    assert first["decision_no"] == "商务关注〔2026〕3号" and first["decision_date"] == START.isoformat()
    assert first["agency"]["code"] == "hk-access"
    assert "重点关注名单" in first["message"]["zh"] and "close attention" in first["message"]["en"]
    assert warnings[1]["kind"] == "serious_list" and warnings[1]["decision_no"] == "商务信〔2026〕9号"
    # The employment records which warnings were shown, and so does the worker's canonical state (logged).
    employment = db.session.get(Employment, body["employment_id"])
    assert employment.listing_warnings == [watch.ref, serious.ref]
    worker = db.session.get(Worker, w.worker.id)
    state = canonical.state_of(factory.ring, worker)
    assert [e.get("listing_warnings") for e in state["employments"]] == [None, [watch.ref, serious.ref]]
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == worker.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert entry.action == "worker:employ:pending"
    assert json.loads(entry.body)["digest"] == canonical.digest(state)
    sign(factory.ring)
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures[:5]
    # A registration with no warning leaves the state as it always was: no key at all.
    assert "listing_warnings" not in state["employments"][0]


def test_the_registration_page_shows_the_warnings(client, factory, clock, world):
    w, (other, other_admin), proposer, _approver = world
    record(factory, proposer, worker=w.worker, kind="watch_list", severity="general", months=6, today=START,
           decision_no="商务关注〔2026〕3号")
    data = workers.open_personal_data(factory.ring, w.worker)
    login(client, other_admin.account.login, other_admin.password)
    resp = post_form(client, "/company/workers/new", {
        "name": data["name"], "id_number": data["id_number"], "phone": "13911112222", "occupation": "cleaner",
        "employment_kind": "labour_contract", "start_date": START.isoformat(), "social_insurance": "true"},
        follow_redirects=True)
    assert resp.status_code == 200
    page = text(resp)
    assert "flash-warning" in page and "重点关注名单" in page and "商务关注〔2026〕3号" in page


def test_an_import_row_attaching_a_watch_listed_worker_is_stored_with_its_warning(app, client, factory, clock, world):
    w, (other, other_admin), proposer, _approver = world
    watch = record(factory, proposer, worker=w.worker, kind="watch_list", severity="general", months=6,
                   today=START, decision_no="商务关注〔2026〕3号")
    token = factory.token(other_admin.account)
    data = workers.open_personal_data(factory.ring, w.worker)
    rows = person_rows(1, today=START, with_records=False)
    rows.append({**rows[0], "name": data["name"], "id_number": data["id_number"]})
    task_id = upload(client, other, token, csv_bytes(rows)).get_json()["task_id"]
    run_queued_tasks(app)
    result = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(token)).get_json()["result"]
    assert result["stored"] == 2 and result["pending"] == 1 and result["warnings"] == 1 and "refused" not in result
    attached = db.session.execute(select(Employment).where(Employment.worker_id == w.worker.id,
                                                           Employment.company_id == other.id)).scalar_one()
    assert attached.listing_warnings == [watch.ref]
    report = client.get(f"/api/v1/companies/{other.uscc}/imports/{task_id}/report", headers=bearer(token))
    lines = list(csv.reader(io.StringIO(report.get_data().decode("utf-8-sig"))))
    assert any(line[0] == "3" and "商务关注〔2026〕3号" in line[2] for line in lines[1:])
    # The digests the import computed without reading back match the stored rows.
    worker = db.session.get(Worker, w.worker.id)
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == worker.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(factory.ring, worker))


# --- the red card ------------------------------------------------------------------------------------------------

def test_a_listed_worker_reads_red_and_gets_no_card(app, client, factory, clock, world):
    w, _other, proposer, approver = world
    assert client.get(f"/api/v1/cards/{w.card_no}").get_json()["status"]["colour"] == "green"
    cards.issue_card(factory.ring, account=w.admin, company=w.company, worker=w.worker, today=START)
    db.session.commit()
    s = decided_listing(factory, proposer, clock, worker=w.worker)
    # Decided, not approved: not yet binding.
    assert client.get(f"/api/v1/cards/{w.card_no}").get_json()["status"]["colour"] == "green"
    approve(factory, approver, s.id)
    view = client.get(f"/api/v1/cards/{w.card_no}").get_json()
    assert view["status"]["colour"] == "red"
    assert [r["code"] for r in view["status"]["reasons"]] == ["serious_listing"]
    assert view["sanctions"] == []  # binding, but not published
    page = client.get(f"/c/{w.card_no}")
    assert "被列入严重失信主体名单" in text(page)
    worker = db.session.get(Worker, w.worker.id)
    today = shanghai_today()
    assert workers.status_of(worker, today).colour == "red"
    with pytest.raises(ApiError) as refused:
        cards.issue_card(factory.ring, account=w.admin, company=w.company, worker=worker, today=today)
    assert refused.value.code == "card_refused_red"
    db.session.rollback()
    with pytest.raises(ApiError) as refused:
        cards.printable_card(db.session.get(Worker, w.worker.id), today)
    assert refused.value.code == "card_refused_red"
    db.session.rollback()
    # The staff list shows the same colour, and a bulk print run skips the card.
    token = factory.token(w.admin)
    rows = client.get(f"/api/v1/companies/{w.company.uscc}/workers", headers=bearer(token)).get_json()
    assert [r["status"]["colour"] for r in rows] == ["red"]
    resp = client.post(f"/api/v1/companies/{w.company.uscc}/card-prints", json={"card_nos": [w.card_no]},
                       headers=bearer(token))
    assert resp.status_code == 202, resp.get_json()
    run_queued_tasks(app)
    task = client.get(f"/api/v1/tasks/{resp.get_json()['task_id']}", headers=bearer(token)).get_json()
    assert task["result"]["cards"] == 0 and task["result"]["skipped"] == [{"card_no": w.card_no, "reason": "red"}]
