"""The staff import end to end: upload (202), task, report, one entry per row, replayable digests."""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.imports.models import ImportFile
from registry.log.models import LogEntry
from registry.tasks.models import Task
from registry.workers.models import Employment, Worker, WorkerRecord
from tests.support.attachutil import confirmation_texts, last_confirmation_code
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks


def H(token):
    return {"Authorization": f"Bearer {token}"}


def count(model):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def company(app, factory):
    company, admin = factory.company()
    return company, factory.token(admin.account)


def upload(client, company, token, content: bytes, name="staff.csv", keep_good=False):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    values = {"file": FileStorage(io.BytesIO(content), filename=name)}
    if keep_good:
        values["keep_good"] = "true"
    # Encoded in memory: the test client's own encoder spills large bodies to a file it never closes.
    boundary, body = encode_multipart(values)
    return client.post(f"/api/v1/companies/{company.uscc}/imports", data=body, headers=H(token),
                       content_type=f"multipart/form-data; boundary={boundary}")


def task_view(client, token, task_id):
    return client.get(f"/api/v1/tasks/{task_id}", headers=H(token)).get_json()


def digests_replay(factory):
    """Every worker's canonical-state digest equals its latest log entry's."""
    db.session.rollback()
    for w in db.session.execute(select(Worker)).scalars():
        entry = db.session.execute(select(LogEntry).where(LogEntry.subject == w.log_ref)
                                   .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
        assert json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(factory.ring, w))


def test_a_good_file_registers_every_row_with_one_entry_each(app, client, factory, company):
    comp, token = company
    rows = person_rows(25, today=shanghai_today())
    before = count(LogEntry)
    resp = upload(client, comp, token, csv_bytes(rows))
    assert resp.status_code == 202, resp.get_json()
    task_id = resp.get_json()["task_id"]
    assert set(resp.get_json()) == {"task_id"}
    assert count(LogEntry) == before  # queuing writes no entry
    assert task_view(client, token, task_id)["state"] == "queued"
    run_queued_tasks(app)
    view = task_view(client, token, task_id)
    assert view["state"] == "done" and view["result"]["stored"] == 25 and view["result"]["errors"] == 0
    assert view["progress"]["percent"] == 100
    assert count(Worker) == 25 and count(Employment) == 25 and count(WorkerRecord) == 50
    actions = db.session.execute(select(LogEntry.action).where(LogEntry.seq >= before)).scalars().all()
    assert actions == ["worker:register"] * 25
    digests_replay(factory)
    # The stored file is sealed: no name or ID number readable in the row.
    f = db.session.execute(select(ImportFile)).scalar_one()
    assert rows[0]["id_number"].encode() not in f.content_enc and rows[0]["name"].encode() not in f.content_enc


def test_by_default_a_file_with_errors_stores_nothing_and_reports_every_bad_row(app, client, company):
    comp, token = company
    rows = person_rows(6, today=shanghai_today())
    rows[1]["id_number"] = rows[1]["id_number"][:-1] + ("0" if rows[1]["id_number"][-1] != "0" else "1")
    rows[3]["occupation"] = "宇航员"
    rows[4]["start_date"] = "2026-13-40"
    rows[5]["id_number"] = rows[0]["id_number"]
    task_id = upload(client, comp, token, csv_bytes(rows)).get_json()["task_id"]
    run_queued_tasks(app)
    view = task_view(client, token, task_id)
    assert view["state"] == "done" and view["result"]["stored"] == 0 and view["result"]["errors"] == 4
    assert count(Worker) == 0 and count(LogEntry) == count(LogEntry)
    report = client.get(f"/api/v1/companies/{comp.uscc}/imports/{task_id}/report", headers=H(token))
    assert report.status_code == 200 and report.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(report.get_data().decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["3", "5", "6", "7"]
    assert all(line[2] and line[3] for line in lines[1:])
    # The report names rows and columns, never the people.
    text = report.get_data().decode("utf-8-sig")
    assert all(r["id_number"] not in text and r["name"] not in text for r in rows)


def test_keep_good_stores_exactly_the_valid_rows(app, client, company):
    comp, token = company
    rows = person_rows(5, today=shanghai_today())
    rows[2]["phone"] = "12345"
    task_id = upload(client, comp, token, csv_bytes(rows), keep_good=True).get_json()["task_id"]
    run_queued_tasks(app)
    view = task_view(client, token, task_id)
    assert view["result"]["stored"] == 4 and view["result"]["errors"] == 1
    assert count(Worker) == 4


def test_rows_repeating_registered_people_attach_employments_awaiting_confirmation(app, client, factory, company):
    comp, token = company
    other, other_admin = factory.company()
    rows = person_rows(4, today=shanghai_today())
    upload(client, other, factory.token(other_admin.account), csv_bytes(rows[:2]))
    run_queued_tasks(app)
    # The importing company lists its own phone numbers: the codes must still go to the phones on record.
    mine = [{**r, "phone": "13900000000"} if i < 2 else r for i, r in enumerate(rows)]
    task_id = upload(client, comp, token, csv_bytes(mine)).get_json()["task_id"]
    run_queued_tasks(app)
    result = task_view(client, token, task_id)["result"]
    assert result["stored"] == 4 and result["errors"] == 0 and result["pending"] == 2 and result["report"] is True
    assert count(Worker) == 4 and count(Employment) == 6
    actions = db.session.execute(select(LogEntry.action).order_by(LogEntry.seq.desc()).limit(4)).scalars().all()
    assert sorted(actions) == ["worker:employ:pending", "worker:employ:pending", "worker:register", "worker:register"]
    attached = db.session.execute(select(Employment).where(Employment.company_id == comp.id,
                                                           Employment.pending_until.is_not(None))).scalars().all()
    assert len(attached) == 2 and not any(e.active for e in attached)
    # The attached rows' records wait for the confirmation; the new people's are stored.
    assert count(WorkerRecord) == 2 * 2 + 2 * 2
    assert db.session.execute(select(func.count()).select_from(WorkerRecord).where(
        WorkerRecord.company_id == comp.id, WorkerRecord.worker_id.in_([e.worker_id for e in attached]))
    ).scalar_one() == 0
    for r in rows[:2]:
        assert last_confirmation_code(factory, r["phone"])
    assert confirmation_texts(factory, "13900000000") == []
    # The report says so per row, in Chinese and English, and names no one.
    report = client.get(f"/api/v1/companies/{comp.uscc}/imports/{task_id}/report", headers=H(token))
    assert report.status_code == 200
    text = report.get_data().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert [line[0] for line in lines[1:]] == ["2", "3"]  # the file's own row numbers, after its header
    assert all(line[2].startswith("已存在的从业人员：已向其登记手机发送确认码，待本人确认") for line in lines[1:])
    assert all("awaiting their confirmation" in line[3] for line in lines[1:])
    assert all(r["id_number"] not in text and r["name"] not in text for r in rows)
    digests_replay(factory)


@pytest.mark.parametrize("content,name,code", [
    (b"", "empty.csv", None),
    (bytes(range(256)) * 40000, "garbage.csv", "not_a_table"),
])
def test_unreadable_files_are_refused_or_reported(app, client, company, content, name, code):
    comp, token = company
    resp = upload(client, comp, token, content, name=name)
    if code is None:
        assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "empty_file"
        assert count(Task) == 0
        return
    task_id = resp.get_json()["task_id"]
    run_queued_tasks(app)
    view = task_view(client, token, task_id)
    assert view["state"] == "done" and view["result"]["stored"] == 0 and view["result"]["errors"] == 1
    report = client.get(f"/api/v1/companies/{comp.uscc}/imports/{task_id}/report", headers=H(token))
    assert report.status_code == 200


def test_only_members_of_a_verified_company_import(app, client, factory, company):
    comp, token = company
    other, other_admin = factory.company()
    assert upload(client, comp, factory.token(other_admin.account), b"x").status_code == 404
    pending, p_admin = factory.company(verified=False)
    resp = upload(client, pending, factory.token(p_admin.account), csv_bytes(person_rows(1, today=shanghai_today())))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "company_not_verified"


def test_templates_download(client):
    csv_resp = client.get("/api/v1/imports/template.csv")
    assert csv_resp.status_code == 200 and "姓名" in csv_resp.get_data().decode("utf-8-sig")
    xlsx = client.get("/api/v1/imports/template.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


@pytest.mark.parametrize("fmt,keep_good", [("csv", False), ("xlsx", False), ("csv", True)],
                         ids=["csv", "xlsx", "csv_keep_good"])
def test_the_template_uploaded_unchanged_stores_nobody_and_says_why(app, client, company, fmt, keep_good):
    """A careless upload of the template must not register its example person as real staff."""
    comp, token = company
    template = client.get(f"/api/v1/imports/template.{fmt}").data
    before = count(LogEntry)
    task_id = upload(client, comp, token, template, name=f"模板.{fmt}", keep_good=keep_good).get_json()["task_id"]
    run_queued_tasks(app)
    view = task_view(client, token, task_id)
    assert view["state"] == "done" and view["result"]["stored"] == 0 and view["result"]["errors"] == 1
    assert count(Worker) == 0 and count(Employment) == 0 and count(LogEntry) == before
    report = client.get(f"/api/v1/companies/{comp.uscc}/imports/{task_id}/report", headers=H(token))
    lines = list(csv.reader(io.StringIO(report.get_data().decode("utf-8-sig"))))
    assert lines[1:] == [["2", "证件号码 ID number",
                          "这是模板中的示例行，并非真实人员：请删除此行，填写本单位的从业人员。",
                          "This is the template's example row, not a real person: delete it and list your own "
                          "staff."]]


def test_people_stored_meanwhile_are_refused_at_storing_time(app, client, factory, company):
    """Two overlapping imports of the same people: the second finds them at storing time, not twice employed."""
    from registry.imports import services

    comp, token = company
    today = shanghai_today()
    content = csv_bytes(person_rows(5, today=today))
    # Validated before the first import stored anything…
    validation = services.validate_file(factory.ring, content, "s.csv", company=comp, today=today)
    assert validation.errors == [] and len(validation.valid) == 5
    upload(client, comp, token, content)
    run_queued_tasks(app)
    assert count(Employment) == 5
    # …stored after it: every row is refused as already employed, nothing is added.
    stored = services.store_batch(factory.ring, company=db.session.merge(comp),
                                  actor="x" * 32, rows=validation.valid)
    db.session.commit()
    assert stored.seqs == []
    assert [e.code for e in stored.conflicts] == ["already_employed"] * 5
    assert count(Employment) == 5 and count(Worker) == 5


def test_attaching_a_worker_who_holds_a_card_and_a_photo_logs_their_whole_state(app, client, factory, company):
    """The import builds attached workers' states itself: their cards and photo must be in them."""
    from registry.cards import services as cards
    from registry.log.verify import verify_local
    from registry.workers import photos
    from tests.support.cardutil import picture

    comp, token = company
    other, other_admin = factory.company()
    rows = person_rows(2, today=shanghai_today())
    upload(client, other, factory.token(other_admin.account), csv_bytes(rows))
    run_queued_tasks(app)
    db.session.rollback()
    worker = db.session.execute(select(Worker).order_by(Worker.id)).scalars().first()
    cards.issue_card(factory.ring, account=other_admin.account, company=other, worker=worker, today=shanghai_today())
    db.session.commit()
    photos.set_photo(factory.ring, account=other_admin.account, company=other, worker=worker, data=picture(),
                     consent_on=shanghai_today(), today=shanghai_today())
    db.session.commit()
    upload(client, comp, token, csv_bytes(rows))
    run_queued_tasks(app)
    assert count(Employment) == 4
    digests_replay(factory)
    db.session.rollback()
    report = verify_local(factory.ring, app.config["LOG_ORIGIN"])
    assert report.ok, report.failures
