"""The staff import pages (upload, progress, report) and `flask workers import`."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.imports.models import ImportFile
from registry.keys.crypto import state_hmac
from registry.log.models import LogEntry
from registry.tasks.models import Task
from registry.workers.models import Employment, Worker
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks

PASSWORD = "correct horse battery"
PAGE = "/company/workers/import"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REFRESH = '<meta http-equiv="refresh" content="2">'


# --- helpers --------------------------------------------------------------------------------------

def text(resp) -> str:
    return resp.get_data(as_text=True)


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def csrf_of(client, page: str = PAGE) -> str:
    resp = client.get(page)
    assert resp.status_code == 200, (page, resp.status_code)
    found = CSRF_RE.search(text(resp))
    assert found, "no csrf_token on the page"
    return found.group(1)


def signed_in(app, login: str, password: str = PASSWORD):
    client = app.test_client()
    token = csrf_of(client, "/login")
    resp = client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    assert resp.status_code == 302, text(resp)[:1000]
    return client


def company_client(app, factory, *, verified=True):
    company, admin = factory.company(verified=verified)
    return signed_in(app, admin.account.login), company, admin


def company_user_client(app, factory, company, admin, login="clerk-imp"):
    """A company_user (not an admin) of `company`, signed in."""
    from registry.accounts import services as accounts
    from registry.companies import services as companies

    new = companies.add_user(factory.ring, actor=admin.account, company=company, login=login, name="张三")
    db.session.commit()
    accounts.change_password(factory.ring, account=new.account, current=new.password, new=PASSWORD)
    db.session.commit()
    return signed_in(app, login)


def upload(client, content: bytes | None, name: str = "staff.csv", keep_good: bool = False, token: str | None = None):
    """Post the upload form as a browser does (multipart, CSRF token from the page)."""
    values: dict = {"csrf_token": csrf_of(client) if token is None else token}
    if content is not None:
        values["file"] = FileStorage(io.BytesIO(content), filename=name)
    if keep_good:
        values["keep_good"] = "y"
    # Encoded in memory: the test client's own encoder spills large bodies to a file it never closes.
    boundary, body = encode_multipart(values)
    return client.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def task_id_of(resp) -> int:
    assert resp.status_code == 302, (resp.status_code, text(resp)[:2000])
    found = re.fullmatch(r"/company/workers/import/(\d+)", resp.headers["Location"])
    assert found, resp.headers["Location"]
    return int(found.group(1))


def report_of(client, task_id) -> list[list[str]]:
    resp = client.get(f"{PAGE}/{task_id}/report.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))


def with_bad_rows(n: int, bad: dict[int, tuple[str, str]], seed: int = 1) -> list[dict]:
    rows = person_rows(n, today=shanghai_today(), seed=seed)
    for index, (key, value) in bad.items():
        rows[index][key] = value
    return rows


def stored_people() -> set[str]:
    db.session.rollback()
    return set(db.session.execute(select(Worker.id_number_state)).scalars())


def people_of(factory, rows) -> set[str]:
    return {state_hmac(factory.ring, "id_number", r["id_number"]) for r in rows}


# --- the upload page ---------------------------------------------------------------------------------

def test_the_upload_page_offers_the_form_templates_and_explains_keeping_good_rows(app, factory):
    c, _company, _admin = company_client(app, factory)
    staff = c.get("/company/workers")
    assert f'href="{PAGE}"' in text(staff)
    page = c.get(PAGE)
    body = text(page)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'enctype="multipart/form-data"' in body and 'type="file"' in body and 'name="keep_good"' in body
    assert 'accept=".csv,.xlsx,' in body
    assert 'href="/api/v1/imports/template.csv"' in body and 'href="/api/v1/imports/template.xlsx"' in body
    # The default and the checkbox are explained in both languages.
    assert "整份文件都不保存" in body and "nothing of the file is stored" in body
    assert "no-imports" in body
    assert "<script" not in body and "style=" not in body
    for path in ("/api/v1/imports/template.csv", "/api/v1/imports/template.xlsx"):
        assert c.get(path).status_code == 200
    english = c.get(PAGE + "?lang=en")
    assert "Import staff from a file" in text(english) and "Keep the good rows" in text(english)


def test_signed_out_and_regulators_are_kept_out(app, factory):
    anonymous = app.test_client()
    resp = anonymous.get(PAGE)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    regulator = factory.agency_user(factory.agency("housekeeping"))
    c = app.test_client()
    token = csrf_of(c, "/login")
    c.post("/login", data={"login": regulator.account.login, "password": regulator.password, "csrf_token": token})
    code = factory.totp_now(regulator.totp_secret)
    c.post("/login/totp", data={"code": code, "csrf_token": csrf_of(c, "/login/totp")})
    assert c.get(PAGE).status_code == 403


# --- upload, progress, done ------------------------------------------------------------------------------

def test_upload_queues_the_task_and_the_progress_page_follows_it_to_done(app, factory):
    c, company, admin = company_client(app, factory)
    clerk = company_user_client(app, factory, company, admin)
    rows = person_rows(12, today=shanghai_today())
    before = count(LogEntry)
    resp = upload(clerk, csv_bytes(rows))
    task_id = task_id_of(resp)
    assert count(ImportFile) == 1 and count(Worker) == 0 and count(LogEntry) == before

    queued = clerk.get(f"{PAGE}/{task_id}")
    body = text(queued)
    assert queued.status_code == 200 and queued.headers["Cache-Control"] == "no-store"
    assert 'data-state="queued"' in body and REFRESH in body
    assert "排队导入" in body  # the flash
    assert "report-link" not in body
    assert "<script" not in body and "style=" not in body

    assert run_queued_tasks(app) == 1
    done = clerk.get(f"{PAGE}/{task_id}")
    body = text(done)
    assert 'data-state="done"' in body and REFRESH not in body
    assert re.search(r'id="stored">12<', body) and re.search(r'id="errors">0<', body)
    assert re.search(r'id="percent">100<', body)
    assert "全部 12 行已保存" in body and "report-link" not in body
    assert count(Worker) == 12 and count(Employment) == 12
    assert count(LogEntry, LogEntry.action == "worker:register") == 12
    assert clerk.get(f"{PAGE}/{task_id}/report.csv").status_code == 404  # no errors, no report

    # The company's admin sees it among the recent imports, with the uploader.
    listing = text(c.get(PAGE))
    assert f'href="{PAGE}/{task_id}"' in listing and "staff.csv" in listing and "clerk-imp" in listing
    assert "no-imports" not in listing


def test_a_file_with_bad_rows_stores_nothing_and_shows_and_serves_its_report(app, factory):
    c, _company, _admin = company_client(app, factory)
    rows = with_bad_rows(6, {1: ("phone", "12345"), 3: ("occupation", "宇航员")})
    task_id = task_id_of(upload(c, csv_bytes(rows)))
    run_queued_tasks(app)
    body = text(c.get(f"{PAGE}/{task_id}"))
    assert 'data-state="done"' in body
    assert re.search(r'id="stored">0<', body) and re.search(r'id="errors">2<', body)
    assert "未保存任何人员" in body and "file_has_errors" in body
    assert f'href="{PAGE}/{task_id}/report.csv"' in body
    assert body.count('class="report-line"') == 2
    assert count(Worker) == 0 and count(LogEntry, LogEntry.action == "worker:register") == 0

    lines = report_of(c, task_id)
    assert lines[0] == ["行 Row", "列 Column", "原因", "Reason"]
    assert [line[0] for line in lines[1:]] == ["3", "5"]
    # The report and the page name rows and columns, never the people.
    for r in rows:
        assert r["id_number"] not in body and r["name"] not in body
    english = text(c.get(f"{PAGE}/{task_id}?lang=en"))
    assert "Per-row report" in english and "Download the report" in english


def test_keep_good_stores_exactly_the_good_rows(app, factory):
    c, _company, _admin = company_client(app, factory)
    rows = with_bad_rows(7, {0: ("phone", "12345"), 4: ("start_date", "2026-13-40")}, seed=5)
    task_id = task_id_of(upload(c, csv_bytes(rows), keep_good=True))
    run_queued_tasks(app)
    body = text(c.get(f"{PAGE}/{task_id}"))
    assert re.search(r'id="stored">5<', body) and re.search(r'id="errors">2<', body)
    assert "已保存 5 名正确的人员" in body and f"{PAGE}/{task_id}/report.csv" in body
    good = [r for i, r in enumerate(rows) if i not in (0, 4)]
    assert stored_people() == people_of(factory, good)
    assert count(Employment) == 5
    assert [line[0] for line in report_of(c, task_id)[1:]] == ["2", "6"]


def test_an_unreadable_file_is_reported_as_a_whole(app, factory):
    c, _company, _admin = company_client(app, factory)
    task_id = task_id_of(upload(c, b"<html><body>not a table</body></html>", name="staff.csv"))
    run_queued_tasks(app)
    body = text(c.get(f"{PAGE}/{task_id}"))
    assert "file_refused" in body and "整个文件" in body and body.count('class="report-line"') == 1


def test_a_running_import_shows_its_phase_and_percent_and_keeps_refreshing(app, factory):
    c, _company, _admin = company_client(app, factory)
    task_id = task_id_of(upload(c, csv_bytes(person_rows(3, today=shanghai_today()))))
    task = db.session.get(Task, task_id)
    task.state = "running"
    db.session.commit()
    validating = text(c.get(f"{PAGE}/{task_id}"))
    assert 'data-phase="validate"' in validating and REFRESH in validating and "<progress" in validating
    task = db.session.get(Task, task_id)
    task.progress_done, task.progress_total = 200, 800
    task.result = {"phase": "store", "rows": 810, "errors": 10, "stored": 200, "keep_good": True, "report": True}
    db.session.commit()
    storing = text(c.get(f"{PAGE}/{task_id}"))
    assert 'data-phase="store"' in storing and REFRESH in storing
    assert re.search(r'id="done">200<', storing) and re.search(r'id="total">800<', storing)
    assert re.search(r'id="percent">25<', storing) and 'max="800" value="200"' in storing


def test_a_failed_import_shows_its_error_code(app, factory):
    c, _company, _admin = company_client(app, factory)
    task_id = task_id_of(upload(c, csv_bytes(person_rows(2, today=shanghai_today()))))
    task = db.session.get(Task, task_id)
    task.state = "failed"
    task.error = {"code": "task_failed", "message": {"zh": "任务执行出错（KeyError）。",
                                                     "en": "The task failed (KeyError)."}}
    db.session.commit()
    body = text(c.get(f"{PAGE}/{task_id}"))
    assert 'data-state="failed"' in body and "task_failed" in body and "任务执行出错（KeyError）" in body
    assert REFRESH not in body


# --- who may see what ------------------------------------------------------------------------------------

def test_another_company_gets_404_for_the_progress_page_and_the_report(app, factory):
    c, _company, _admin = company_client(app, factory)
    task_id = task_id_of(upload(c, csv_bytes(with_bad_rows(3, {0: ("phone", "1")}))))
    run_queued_tasks(app)
    assert c.get(f"{PAGE}/{task_id}/report.csv").status_code == 200
    other, _other_company, _other_admin = company_client(app, factory)
    for path in (f"{PAGE}/{task_id}", f"{PAGE}/{task_id}/report.csv", f"{PAGE}/{task_id + 99}",
                 f"{PAGE}/{task_id + 99}/report.csv"):
        resp = other.get(path)
        assert resp.status_code == 404, path
        assert "not_found" in text(resp)
    assert "staff.csv" not in text(other.get(PAGE))


def test_a_pending_company_is_refused(app, factory):
    c, _company, _admin = company_client(app, factory, verified=False)
    page = text(c.get(PAGE))
    assert 'id="not-verified"' in page
    resp = upload(c, csv_bytes(person_rows(2, today=shanghai_today())))
    assert resp.status_code == 403
    # The refusal says why, and still offers no form the company cannot use.
    assert "company_not_verified" in text(resp) and 'id="not-verified"' in text(resp)
    assert 'id="upload-form"' not in text(resp) and 'id="upload-form"' not in page
    assert count(ImportFile) == 0 and count(Task) == 0


# --- bad uploads: the form again, nothing stored ------------------------------------------------------------

def test_no_file_is_a_field_error(app, factory):
    c, _company, _admin = company_client(app, factory)
    for resp in (upload(c, None), upload(c, b"", name="")):
        body = text(resp)
        assert resp.status_code == 400
        assert 'class="field-error" id="file-error"' in body and "请选择 CSV 或 .xlsx 文件" in body
        assert 'aria-invalid="true"' in body and "invalid_input" not in body  # no developer code for people
        assert '<a href="#file">请选择 CSV 或 .xlsx 文件' in body  # the summary links to the field
    assert count(ImportFile) == 0 and count(Task) == 0


def test_an_empty_file_is_refused(app, factory):
    c, _company, _admin = company_client(app, factory)
    resp = upload(c, b"", name="empty.csv", keep_good=True)
    body = text(resp)
    assert resp.status_code == 422 and "文件为空" in body and 'id="file-error"' in body
    assert 'id="keep_good" aria-describedby="keep_good-hint"\n      checked' in body  # the choice is kept
    assert count(ImportFile) == 0 and count(Task) == 0


def test_a_file_over_the_import_limit_is_refused(app, factory, monkeypatch):
    from registry.imports import services

    c, _company, _admin = company_client(app, factory)
    monkeypatch.setattr(services, "MAX_BYTES", 100)
    resp = upload(c, csv_bytes(person_rows(3, today=shanghai_today())))
    assert resp.status_code == 413 and "too_large" in text(resp) and 'id="file-error"' in text(resp)
    assert count(ImportFile) == 0 and count(Task) == 0


def test_the_upload_takes_files_over_max_content_length_up_to_the_import_limit(app, factory, monkeypatch):
    from registry.imports import views

    c, _company, _admin = company_client(app, factory)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4000)
    content = csv_bytes(person_rows(60, today=shanghai_today()))
    assert len(content) > 4000
    task_id_of(upload(c, content))
    assert views.UPLOAD_BODY_LIMIT > views.MAX_BYTES  # the file's own limit, whatever MAX_CONTENT_LENGTH says
    assert count(ImportFile) == 1


def test_a_body_over_the_upload_limit_shows_the_form_again(app, factory, monkeypatch):
    from registry.imports import views

    c, _company, _admin = company_client(app, factory)
    token = csrf_of(c)
    monkeypatch.setattr(views, "UPLOAD_BODY_LIMIT", 4000)
    resp = upload(c, b"x" * 5000, token=token)
    body = text(resp)
    assert resp.status_code == 413 and "too_large" in body and 'id="upload-form"' in body and 'id="file-error"' in body
    assert count(ImportFile) == 0 and count(Task) == 0


def test_an_upload_without_its_csrf_token_is_refused(app, factory):
    c, _company, _admin = company_client(app, factory)
    resp = upload(c, csv_bytes(person_rows(2, today=shanghai_today())), token="")
    assert resp.status_code == 400 and "csrf_failed" in text(resp)
    assert count(ImportFile) == 0 and count(Task) == 0


# --- flask workers import ---------------------------------------------------------------------------------

@pytest.fixture
def cli(runner):
    """The test CLI runner: the app factory adds the `workers` group like every other."""
    return runner


def test_cli_imports_a_good_file_here_and_exits_0(app, factory, cli, tmp_path):
    company, admin = factory.company()
    rows = person_rows(30, today=shanghai_today(), seed=11)
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(rows))
    result = cli.invoke(args=["workers", "import", company.uscc, str(path)])
    assert result.exit_code == 0, result.output
    assert "rows: 30, stored: 30, errors: 0" in result.output
    assert count(Worker) == 30 and count(Employment) == 30
    assert stored_people() == people_of(factory, rows)
    task = db.session.execute(select(Task)).scalar_one()
    assert task.state == "done" and task.attempts == 1 and task.created_by == admin.account.ref
    assert not (tmp_path / "staff.csv.report.csv").exists()
    # Nothing personal on the terminal.
    assert all(r["id_number"] not in result.output and r["name"] not in result.output for r in rows)


def test_cli_on_a_bad_file_exits_1_and_writes_the_report(app, factory, cli, tmp_path):
    company, _admin = factory.company()
    rows = with_bad_rows(5, {2: ("phone", "12345")}, seed=12)
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(rows))
    result = cli.invoke(args=["workers", "import", company.uscc, str(path)])
    assert result.exit_code == 1, result.output
    assert "rows: 5, stored: 0, errors: 1" in result.output
    report = tmp_path / "staff.csv.report.csv"
    lines = list(csv.reader(io.StringIO(report.read_bytes().decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == ["4"]
    assert count(Worker) == 0

    kept = cli.invoke(args=["workers", "import", company.uscc, str(path), "--keep-good"])
    assert kept.exit_code == 1, kept.output
    assert "rows: 5, stored: 4, errors: 1" in kept.output
    assert stored_people() == people_of(factory, [r for i, r in enumerate(rows) if i != 2])


def test_cli_exits_1_and_says_why_when_it_stored_nothing(app, factory, cli, tmp_path):
    """A script must never read "stored nothing" as success, whatever kept the rows out."""
    company, _admin = factory.company()
    rows = with_bad_rows(3, {0: ("phone", "12345"), 1: ("start_date", "yesterday"), 2: ("id_number", "1")}, seed=16)
    all_bad = tmp_path / "all-bad.csv"
    all_bad.write_bytes(csv_bytes(rows))
    kept = cli.invoke(args=["workers", "import", company.uscc, str(all_bad), "--keep-good"])
    assert kept.exit_code == 1, kept.output
    assert "rows: 3, stored: 0, errors: 3" in kept.stdout
    assert "nothing stored: none of the 3 rows is valid" in kept.stderr
    assert (tmp_path / "all-bad.csv.report.csv").exists()

    # Headers and no rows: refused as a whole, and the reason is named on the terminal.
    header_only = tmp_path / "header-only.csv"
    header_only.write_bytes(csv_bytes([]))
    refused = cli.invoke(args=["workers", "import", company.uscc, str(header_only)])
    assert refused.exit_code == 1, refused.output
    assert "rows: 0, stored: 0" in refused.stdout
    assert "nothing stored: the file as a whole was refused: The file has no staff rows." in refused.stderr

    bad_default = cli.invoke(args=["workers", "import", company.uscc, str(all_bad)])
    assert bad_default.exit_code == 1 and "--keep-good" in bad_default.stderr
    assert count(Worker) == 0


def test_cli_runs_only_its_own_task_and_imports_as_the_named_user(app, factory, cli, tmp_path):
    from registry.companies import services as companies
    from registry.imports.services import start_import
    from registry.keys import keyring

    company, admin = factory.company()
    other, other_admin = factory.company()
    waiting = start_import(keyring(), account=other_admin.account, company=other, filename="other.csv",
                           content=csv_bytes(person_rows(2, today=shanghai_today(), seed=13)), keep_good=False).id
    db.session.commit()
    clerk = companies.add_user(factory.ring, actor=admin.account, company=company, login="clerk-cli", name="李四")
    db.session.commit()
    path = tmp_path / "mine.csv"
    path.write_bytes(csv_bytes(person_rows(3, today=shanghai_today(), seed=14)))

    result = cli.invoke(args=["workers", "import", company.uscc, str(path), "--as", "clerk-cli"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.get(Task, waiting).state == "queued", "another company's queued import was left alone"
    mine = db.session.execute(select(Task).where(Task.id != waiting)).scalar_one()
    assert mine.created_by == clerk.account.ref and count(Worker) == 3


@pytest.mark.parametrize("args,message", [
    (["91510100MA0000000X"], "No such company"),
    (["--as", "nobody-here"], "no account 'nobody-here'"),
])
def test_cli_refusals_exit_2_and_store_nothing(app, factory, cli, tmp_path, args, message):
    company, _admin = factory.company()
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(person_rows(2, today=shanghai_today())))
    if args[0].startswith("--"):
        args = ["workers", "import", company.uscc, str(path), *args]
    else:
        args = ["workers", "import", args[0], str(path)]
    result = cli.invoke(args=args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert count(ImportFile) == 0 and count(Task) == 0


def test_cli_refuses_another_companys_user_and_a_pending_company(app, factory, cli, tmp_path):
    company, _admin = factory.company()
    _other, other_admin = factory.company()
    pending, _p_admin = factory.company(verified=False)
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(person_rows(2, today=shanghai_today())))
    foreign = cli.invoke(args=["workers", "import", company.uscc, str(path), "--as", other_admin.account.login])
    assert foreign.exit_code == 2 and "forbidden" in foreign.output, foreign.output
    unverified = cli.invoke(args=["workers", "import", pending.uscc, str(path)])
    assert unverified.exit_code == 2 and "company_not_verified" in unverified.output, unverified.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "empty_file" in cli.invoke(args=["workers", "import", company.uscc, str(empty)]).output
    assert count(ImportFile) == 0 and count(Task) == 0


def test_cli_ctrl_c_stops_after_a_committed_batch_and_gives_the_task_back(app, factory, cli, tmp_path, monkeypatch):
    import signal

    from registry.imports import services

    company, _admin = factory.company()
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(person_rows(6, today=shanghai_today(), seed=15)))
    monkeypatch.setitem(app.config, "IMPORT_BATCH", 2)
    store_batch = services.store_batch

    def interrupted_once(*args, **kwargs):
        if not interrupted_once.sent:
            interrupted_once.sent = True
            signal.raise_signal(signal.SIGINT)  # Ctrl-C while the first batch is being stored
        return store_batch(*args, **kwargs)

    interrupted_once.sent = False
    monkeypatch.setattr(services, "store_batch", interrupted_once)
    result = cli.invoke(args=["workers", "import", company.uscc, str(path)])
    assert result.exit_code == 2, result.output
    assert "stopped after 2 of 6 rows" in result.output and "queued again" in result.output
    task = db.session.execute(select(Task)).scalar_one()
    assert (task.state, task.progress_done, task.attempts, task.lease_owner) == ("queued", 2, 0, None)
    assert count(Worker) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    # The jobs process (here: in-process) finishes it.
    assert run_queued_tasks(app) == 1
    assert count(Worker) == 6 and db.session.get(Task, task.id).state == "done"
