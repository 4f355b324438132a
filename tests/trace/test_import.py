"""Service records by file, end to end: upload (202), task, report, one entry and one message per row, the file
deleted when the task ends, another company's import invisible, no customer phone anywhere after."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from registry import canonical
from registry.clock import now as utcnow
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify.local import verify_local
from registry.notify.models import OutboxMessage
from registry.notify.services import read_outbox
from registry.tasks.models import Task
from registry.trace.import_models import ServiceFile
from registry.trace.models import ReviewCode, ServiceRecord
from registry.trace.service_file import SHANGHAI
from tests.conftest import ON_POSTGRES
from tests.support.cardworld import green_worker
from tests.support.dbfile import file_hits
from tests.support.importutil import run_queued_tasks
from tests.support.logutil import ORIGIN, sign
from tests.support.serviceimportutil import service_csv, service_rows, service_xlsx

CANARY = "13957240099"


def H(token):
    return {"Authorization": f"Bearer {token}"}


def count(model, *where):
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


@pytest.fixture
def world(app, factory):
    w = green_worker(factory)
    w.token = factory.token(w.admin)
    return w


def upload(client, uscc, token, content: bytes, name="services.csv", keep_good=False):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    values = {"file": FileStorage(io.BytesIO(content), filename=name)}
    if keep_good:
        values["keep_good"] = "true"
    boundary, body = encode_multipart(values)
    return client.post(f"/api/v1/companies/{uscc}/services/imports", data=body, headers=H(token),
                       content_type=f"multipart/form-data; boundary={boundary}")


def imported(app, client, world, content: bytes, **kw) -> tuple[int, dict]:
    resp = upload(client, world.company.uscc, world.token, content, **kw)
    assert resp.status_code == 202, resp.get_json()
    task_id = resp.get_json()["task_id"]
    run_queued_tasks(app)
    view = client.get(f"/api/v1/companies/{world.company.uscc}/services/imports/{task_id}", headers=H(world.token))
    assert view.status_code == 200, view.get_json()
    return task_id, view.get_json()


def report_lines(client, world, task_id) -> list[list[str]]:
    resp = client.get(f"/api/v1/companies/{world.company.uscc}/services/imports/{task_id}/report",
                      headers=H(world.token))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    body = resp.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def the_file(task_id) -> ServiceFile:
    db.session.rollback()
    return db.session.execute(select(ServiceFile).where(ServiceFile.task_id == task_id)).scalar_one()


def assert_deleted(task_id):
    f = the_file(task_id)
    assert f.content_enc is None and f.deleted_dt is not None
    assert f.size > 0 and len(f.sha256) == 64


def test_a_good_file_records_every_row_with_one_entry_and_one_masked_message_each(app, client, factory, world):
    rows = service_rows(20, [world.card_no], now=utcnow())
    rows[0]["phone"] = CANARY
    before = count(LogEntry)
    task_id, view = imported(app, client, world, service_csv(rows))
    assert view["state"] == "done" and view["file_deleted"] is True
    assert view["result"] == {"phase": "done", "rows": 20, "errors": 0, "stored": 20, "keep_good": False,
                              "report": False}
    assert view["progress"]["percent"] == 100
    assert count(ServiceRecord) == 20 and count(ReviewCode) == 20
    actions = db.session.execute(select(LogEntry.action).where(LogEntry.seq >= before)).scalars().all()
    assert actions == ["service:record"] * 20
    messages = [m for m in read_outbox(factory.ring, limit=100) if m["kind"] == "review_code"]
    assert len(messages) == 20
    assert all("*" in m["recipient"] for m in messages)
    assert "+86*******0099" in {m["recipient"] for m in messages}
    # Every service's digest is its canonical state's, and the log verifies.
    db.session.rollback()
    for s in db.session.execute(select(ServiceRecord)).scalars():
        entry = db.session.execute(select(LogEntry).where(LogEntry.subject == s.log_ref)).scalar_one()
        assert json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(factory.ring, s))
        assert s.overrides is None and s.override_reason is None and s.recorded_by == world.admin.ref
    sign(factory.ring)
    db.session.expire_all()
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures
    assert_deleted(task_id)


def test_english_headers_and_the_words_of_a_type_are_accepted(app, client, world):
    rows = service_rows(3, [world.card_no], now=utcnow())
    rows[0]["service_type"], rows[1]["service_type"], rows[2]["service_type"] = "深度保洁", "Elder care at home", \
        "repair"
    _task_id, view = imported(app, client, world, service_csv(rows, headers="en"))
    assert view["result"]["stored"] == 3
    db.session.rollback()
    assert sorted(db.session.execute(select(ServiceRecord.service_type)).scalars()) == \
        ["deep_cleaning", "elder_care", "repair"]


def test_a_bad_row_stops_the_whole_file_and_the_report_names_row_column_and_code(app, client, factory, world):
    other = green_worker(factory, seed=9)
    rows = service_rows(7, [world.card_no], now=utcnow(), phone=CANARY)
    rows[1]["phone"] = "1395724009"           # row 3: ten digits
    rows[2]["service_type"] = "按摩"          # row 4
    rows[3]["start"] = "2026-02-30 08:00"      # row 5: no such day
    rows[4]["card_no"] = other.card_no[:-1] + ("2" if other.card_no[-1] != "2" else "3")  # row 6: a typo
    rows[5]["card_no"] = other.card_no        # row 7: another company's worker, no reason
    task_id, view = imported(app, client, world, service_csv(rows))
    assert view["state"] == "done" and view["result"]["stored"] == 0 and view["result"]["errors"] == 5
    assert count(ServiceRecord) == 0 and count(LogEntry, LogEntry.action == "service:record") == 0
    assert count(OutboxMessage) == 0 or not [m for m in read_outbox(factory.ring) if m["kind"] == "review_code"]
    lines = report_lines(client, world, task_id)
    assert lines[0] == ["行 Row", "列 Column", "代码 Code", "原因", "Reason"]
    assert [(line[0], line[1], line[2]) for line in lines[1:]] == [
        ("3", "客户手机号 Customer mobile", "phone_invalid"),
        ("4", "服务类型 Service type", "service_type_unknown"),
        ("5", "开始时间 Start", "no_such_time"),
        ("6", "服务证号 Card number", "card_no_typo"),
        ("7", "例外原因 Override reason", "override_reason_required"),
    ]
    raw = json.dumps(lines, ensure_ascii=False)
    assert CANARY not in raw and "1395724009" not in raw and CANARY[3:7] not in raw
    assert_deleted(task_id)


def test_keep_good_stores_exactly_the_good_rows(app, client, world):
    rows = service_rows(6, [world.card_no], now=utcnow())
    rows[2]["district"] = ""
    rows[4]["end"] = rows[4]["start"]
    task_id, view = imported(app, client, world, service_csv(rows), keep_good=True)
    assert view["result"] == {"phase": "done", "rows": 6, "errors": 2, "stored": 4, "keep_good": True,
                              "report": True}
    assert count(ServiceRecord) == 4 and count(LogEntry, LogEntry.action == "service:record") == 4
    assert [line[2] for line in report_lines(client, world, task_id)[1:]] == ["district_missing",
                                                                               "end_before_start"]
    db.session.rollback()
    stored = sorted(s.district for s in db.session.execute(select(ServiceRecord)).scalars())
    assert stored == sorted(r["district"] for i, r in enumerate(rows) if i not in (2, 4))


def test_an_override_reason_records_another_companys_worker_and_is_kept(app, client, factory, world):
    other = green_worker(factory, seed=9)
    rows = service_rows(2, [other.card_no], now=utcnow(), override_reason="原公司临时借调，已报备")
    _task_id, view = imported(app, client, world, service_csv(rows))
    assert view["result"]["stored"] == 2
    db.session.rollback()
    for s in db.session.execute(select(ServiceRecord)).scalars():
        assert s.overrides == ["not_employee"] and s.override_reason == "原公司临时借调，已报备"
        assert s.worker_id == other.worker.id and s.company_id == world.company.id


def test_an_xlsx_file_with_date_time_cells_and_a_numeric_phone(app, client, world):
    rows = service_rows(4, [world.card_no], now=utcnow())
    task_id, view = imported(app, client, world, service_xlsx(rows), name="services.xlsx")
    assert view["result"]["stored"] == 4, report_lines(client, world, task_id) if view["result"]["report"] else view
    db.session.rollback()
    starts = sorted(s.start_dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
                    for s in db.session.execute(select(ServiceRecord)).scalars())
    assert starts == sorted(r["start"] for r in rows)


def test_iso_times_with_an_offset_are_accepted(app, client, world):
    rows = service_rows(2, [world.card_no], now=utcnow())
    rows[0]["start"] = rows[0]["start"].replace(" ", "T") + ":00+08:00"
    rows[1]["start"] = datetime.strptime(rows[1]["start"], "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI) \
        .astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")
    _task_id, view = imported(app, client, world, service_csv(rows))
    assert view["result"]["stored"] == 2 and view["result"]["errors"] == 0


def test_an_unreadable_file_is_reported_whole_and_deleted(app, client, world):
    task_id, view = imported(app, client, world, b"\x00\x01garbage" * 50)
    assert view["state"] == "done" and view["result"]["rows"] == 0 and view["result"]["stored"] == 0
    assert [line[2] for line in report_lines(client, world, task_id)[1:]] == ["not_a_table"]
    assert_deleted(task_id)


def test_a_failing_task_keeps_its_file_for_the_retry_and_deletes_it_when_it_fails_for_good(app, client, world):
    resp = upload(client, world.company.uscc, world.token, service_csv(service_rows(3, [world.card_no],
                                                                                       now=utcnow(), phone=CANARY)))
    task_id = resp.get_json()["task_id"]
    # A sealed copy that no longer opens (its tag broken): every attempt raises.
    f = the_file(task_id)
    broken = bytearray(f.content_enc)
    broken[-1] ^= 0xFF
    f.content_enc = bytes(broken)
    db.session.commit()
    from jobs.runner import task_worker_tick

    db.session.rollback()
    assert task_worker_tick(app, "test-worker")
    task = db.session.get(Task, task_id)
    assert task.state == "queued" and task.error["code"] == "task_failed"
    assert the_file(task_id).content_enc is not None, "kept for the next attempt"
    run_queued_tasks(app)
    db.session.rollback()
    task = db.session.get(Task, task_id)
    assert task.state == "failed" and task.attempts == 3
    assert_deleted(task_id)
    view = client.get(f"/api/v1/companies/{world.company.uscc}/services/imports/{task_id}", headers=H(world.token))
    assert view.get_json()["state"] == "failed" and view.get_json()["file_deleted"] is True
    # Retried by an operator, it ends at once: the file is gone.
    from registry.tasks import services as tasks

    tasks.retry(task_id)
    db.session.commit()
    run_queued_tasks(app)
    db.session.rollback()
    assert db.session.get(Task, task_id).state == "done"
    assert [line[2] for line in report_lines(client, world, task_id)[1:]] == ["file_deleted"]
    assert count(ServiceRecord) == 0


def test_another_company_cannot_see_an_import(app, client, factory, world):
    task_id, _view = imported(app, client, world, service_csv([{**service_rows(1, [world.card_no], now=utcnow())[0],
                                                                 "phone": "123"}]))
    other, other_admin = factory.company()
    token = factory.token(other_admin.account)
    for path in (f"/api/v1/companies/{other.uscc}/services/imports/{task_id}",
                 f"/api/v1/companies/{other.uscc}/services/imports/{task_id}/report",
                 f"/api/v1/companies/{world.company.uscc}/services/imports/{task_id}",
                 f"/api/v1/companies/{world.company.uscc}/services/imports/{task_id}/report"):
        resp = client.get(path, headers=H(token))
        assert resp.status_code == 404, (path, resp.status_code)
        assert resp.get_json()["error"]["code"] == "not_found"


def test_the_template_is_headers_only(client):
    resp = client.get("/api/v1/services/imports/template.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert lines == [["服务证号", "服务类型", "客户手机号", "服务区县", "开始时间", "结束时间", "例外原因"]]


def test_the_customer_phone_is_nowhere_in_the_database_after_imports(app, client, factory, world, base_config):
    good = service_rows(5, [world.card_no], now=utcnow(), phone=CANARY)
    imported(app, client, world, service_csv(good))
    bad = service_rows(3, [world.card_no], now=utcnow(), phone=CANARY)
    bad[1]["district"] = ""
    imported(app, client, world, service_csv(bad))
    upload(client, world.company.uscc, world.token, service_csv(good, encoding="gb18030"))
    run_queued_tasks(app)
    db.session.rollback()
    assert count(ServiceRecord) == 10
    needles = [CANARY, "86" + CANARY, CANARY[3:7] + CANARY[-4:], CANARY[-8:]]
    for needle in needles:
        assert needle not in json.dumps(read_outbox(factory.ring, limit=100), ensure_ascii=False, default=str)
    if ON_POSTGRES:
        for table in db.metadata.sorted_tables:
            for (row,) in db.session.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" t')):
                assert not any(n in row for n in needles), table.name
        db.session.rollback()
    else:
        db.session.rollback()
        # The database file and its write-ahead log (what is not yet checkpointed is there).
        assert file_hits(base_config["SQLALCHEMY_DATABASE_URI"], needles) == []
