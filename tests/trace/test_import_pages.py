"""The service import pages: upload form with the template, progress with its polling, report, another company's
import not found."""
from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from registry.clock import now as utcnow
from tests.support.cardworld import green_worker
from tests.support.importutil import run_queued_tasks
from tests.support.serviceimportutil import service_csv, service_rows
from tests.support.webutil import csrf, login, text

PAGE = "/company/services/import"
REFRESH = '<meta http-equiv="refresh" content="2">'
CANARY = "13957240077"


def signed_in(app, account_login):
    client = app.test_client()
    assert login(client, account_login, "correct horse battery").status_code == 302
    return client


def post_file(client, content: bytes, name="services.csv", keep_good=False):
    values = {"file": FileStorage(io.BytesIO(content), filename=name), "csrf_token": csrf(client, PAGE)}
    if keep_good:
        values["keep_good"] = "y"
    boundary, body = encode_multipart(values)
    return client.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_upload_follow_and_read_the_report(app, factory):
    world = green_worker(factory)
    client = signed_in(app, world.admin.login)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = text(page)
    assert 'id="upload-form"' in html and "/api/v1/services/imports/template.csv" in html and "例外原因" in html
    assert 'id="no-imports"' in html

    rows = service_rows(4, [world.card_no], now=utcnow(), phone=CANARY)
    rows[2]["phone"] = "12"
    resp = post_file(client, service_csv(rows))
    assert resp.status_code == 302
    progress_url = resp.headers["Location"]
    queued = text(client.get(progress_url))
    assert REFRESH in queued and 'data-state="queued"' in queued

    run_queued_tasks(app)
    done = text(client.get(progress_url))
    assert REFRESH not in done and 'data-state="done"' in done
    assert 'id="file-deleted"' in done and "file_has_errors" in done
    assert "phone_invalid" in done and 'class="report-line"' in done
    assert CANARY not in done and CANARY[3:7] not in done
    report = client.get(progress_url + "/report.csv")
    assert report.status_code == 200 and report.mimetype == "text/csv"
    assert "phone_invalid" in report.get_data().decode("utf-8-sig") and CANARY not in report.get_data(as_text=True)
    listing = text(client.get(PAGE))
    assert 'class="import-row"' in listing and "services.csv" in listing

    # Another company's member finds nothing there.
    _other, other_admin = factory.company()
    stranger = signed_in(app, other_admin.account.login)
    assert stranger.get(progress_url).status_code == 404
    assert stranger.get(progress_url + "/report.csv").status_code == 404


def test_keep_good_from_the_page(app, factory):
    world = green_worker(factory)
    client = signed_in(app, world.admin.login)
    rows = service_rows(3, [world.card_no], now=utcnow())
    rows[0]["service_type"] = "unknown"
    progress_url = post_file(client, service_csv(rows), keep_good=True).headers["Location"]
    run_queued_tasks(app)
    html = text(client.get(progress_url))
    assert '<dd id="stored">2</dd>' in html and '<dd id="errors">1</dd>' in html


def test_no_file_chosen_is_a_field_error(app, factory):
    world = green_worker(factory)
    client = signed_in(app, world.admin.login)
    boundary, body = encode_multipart({"csrf_token": csrf(client, PAGE)})
    resp = client.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert resp.status_code == 400 and "请选择 CSV 或 .xlsx 文件" in text(resp)
