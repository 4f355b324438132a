"""The card pages: see and print the card, issue or reissue it, upload the photo, print all staff's cards."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.cards import services
from registry.extensions import db
from registry.workers.models import WorkerPhoto
from tests.support.cardutil import make_red, picture, read_pdf, staff
from tests.support.importutil import run_queued_tasks
from tests.support.webutil import csrf, log_actions, login, post_form, text


@pytest.fixture
def world(app, factory):
    company, admin = factory.company()
    s = staff(factory, 2, company=(company, admin.account))
    s.client = app.test_client()
    assert login(s.client, admin.account.login, admin.password).status_code == 302
    return s


def card_page(world, i: int = 0) -> str:
    return f"/company/workers/{world.card_nos[i]}/card"


def test_the_detailed_record_offers_the_card_and_the_photo(world):
    resp = world.client.get(f"/workers/{world.card_nos[0]}")
    page = text(resp)
    assert resp.status_code == 200
    assert 'id="card-and-photo"' in page and 'id="detail-issue"' in page and 'id="detail-photo"' in page
    assert f'action="/company/workers/{world.card_nos[0]}/card/issue"' in page
    assert f'action="/company/workers/{world.card_nos[0]}/photo"' in page
    assert 'enctype="multipart/form-data"' in page and "尚未发放服务证" in page


def test_issue_see_print_and_reissue_from_the_pages(app, factory, world):
    page = card_page(world)
    assert 'id="no-card"' in text(world.client.get(page))
    resp = post_form(world.client, f"{page}/issue", page=page)
    assert resp.status_code == 302 and resp.headers["Location"] == page
    assert log_actions()[-1] == "card:issue"
    shown = text(world.client.get(page))
    worker = world.workers[0]
    card = services.latest_card(worker.id)
    url = services.qr_payload(factory.ring, worker, card, app.config["PUBLIC_URL"])
    assert 'class="jx-card"' in shown and worker.name_masked in shown and world.names[0] not in shown
    assert "居家上门服务证" in shown and url.replace("&", "&amp;") not in shown  # the URL travels as the QR image only
    assert 'id="print-card"' in shown and "/static/card-print.js" in shown and "/static/card.css" in shown
    # The CSP stays strict: no inline script or style on the page.
    assert "<script>" not in shown and not re.search(r"<style", shown) and " style=" not in shown
    pdf = world.client.get(f"{page}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert read_pdf(pdf.data).page_sizes_mm and worker.name_masked in read_pdf(pdf.data).text
    # The detailed record now offers a reissue and the printable card.
    detail = text(world.client.get(f"/workers/{worker.card_no}"))
    assert 'id="card-print-link"' in detail and "补发服务证" in detail
    # A reissue first says what it does to the card the worker carries, and changes nothing yet.
    before = log_actions()
    resp = post_form(world.client, f"{page}/issue", page=page)
    confirm = text(resp)
    assert resp.status_code == 200 and 'id="consequence"' in confirm
    assert "第 1 张证件不再是现行证件" in confirm and "已换发新证" in confirm
    assert log_actions() == before and services.latest_serial(worker.id) == 1
    resp = post_form(world.client, f"{page}/issue", {"confirmed": "yes"}, page=page)
    assert resp.status_code == 302 and services.latest_serial(worker.id) == 2
    assert 'data-serial="2"' in text(world.client.get(page))


def test_a_red_worker_is_refused_on_the_page(factory, world):
    page = card_page(world)
    token = csrf(world.client, page)
    make_red(factory, world, world.workers[0])
    before = log_actions()
    resp = world.client.post(f"{page}/issue", data={"csrf_token": token})
    assert resp.status_code == 409 and "card_refused_red" in text(resp)
    assert log_actions() == before
    assert 'id="red-notice"' in text(world.client.get(page))


def test_the_pages_are_for_the_current_employer_only(app, factory, world):
    company, admin = factory.company()
    other = app.test_client()
    assert login(other, admin.account.login, admin.password).status_code == 302
    assert other.get(card_page(world)).status_code == 404
    assert other.get(f"{card_page(world)}.pdf").status_code == 404
    token = csrf(other, "/company/workers")
    assert other.post(f"{card_page(world)}/issue", data={"csrf_token": token}).status_code == 404
    assert app.test_client().get(card_page(world)).status_code in (302, 401)
    # No card yet: no PDF either.
    assert world.client.get(f"{card_page(world)}.pdf").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(world):
    resp = world.client.post(f"{card_page(world)}/issue", data={})
    assert resp.status_code == 400
    assert services.latest_card(world.workers[0].id) is None


def photo_post(world, data: bytes, consent, filename="me.jpg"):
    token = csrf(world.client, card_page(world))
    return world.client.post(f"/company/workers/{world.card_nos[0]}/photo",
                             data={"csrf_token": token, "photo": (io.BytesIO(data), filename),
                                   "consent_on": consent}, content_type="multipart/form-data")


def test_upload_the_photo_from_the_page(world):
    resp = photo_post(world, picture("JPEG"), world.today.isoformat())
    assert resp.status_code == 302 and resp.headers["Location"] == card_page(world)
    assert log_actions()[-1] == "worker:photo:set"
    page = text(world.client.get(card_page(world)))
    assert 'id="photo-on-file"' in page
    # Said to be on file, never shown: no image of it anywhere on the worker's pages.
    for path in (card_page(world), f"/workers/{world.card_nos[0]}"):
        html = text(world.client.get(path))
        sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', html)
        assert all(src.startswith("data:image/svg+xml") for src in sources), sources  # the card's QR code only
        assert "data:image/jpeg" not in html and "data:image/png" not in html


@pytest.mark.parametrize("data,consent,field_id,code", [
    (b"GIF89a....", "today", "form-photo-photo-error", "photo_type"),
    (None, "future", "consent_on-error", "consent_in_future"),
    (None, "", "consent_on-error", "invalid_input"),
])
def test_bad_photo_uploads_show_the_form_again(world, data, consent, field_id, code):
    day = {"today": world.today, "future": world.today + timedelta(days=3)}.get(consent)
    before = log_actions()
    resp = photo_post(world, data or picture("PNG"), day.isoformat() if day else "")
    body = text(resp)
    assert resp.status_code in (400, 422), resp.status_code
    assert 'id="form-photo"' in body
    # A refusal's code is shown as the small support code; a plain field error needs none.
    assert (f"<span>{code}</span>" in body) == (code != "invalid_input")
    assert re.search(r'class="field-error"', body)
    assert log_actions() == before
    db.session.rollback()
    assert db.session.execute(select(WorkerPhoto)).first() is None


def test_print_all_staff_from_the_staff_list(app, factory, world):
    staff_page = text(world.client.get("/company/workers"))
    assert 'id="print-all-cards"' in staff_page
    resp = post_form(world.client, "/company/workers/cards/print", page="/company/workers")
    assert resp.status_code == 302
    progress = resp.headers["Location"]
    task_id = int(re.fullmatch(r"/company/workers/cards/print/(\d+)", progress).group(1))
    page = text(world.client.get(progress))
    assert 'http-equiv="refresh"' in page and 'id="print-pdf"' not in page
    run_queued_tasks(app)
    page = text(world.client.get(progress))
    assert 'http-equiv="refresh"' not in page and 'id="print-pdf"' in page
    pdf = world.client.get(f"{progress}.pdf")
    assert pdf.status_code == 200 and len(read_pdf(pdf.data).page_sizes_mm) == 2
    assert log_actions()[-2:] == ["card:issue", "card:issue"]
    # Another company's user can neither follow nor download it.
    _company, admin = factory.company()
    other = app.test_client()
    assert login(other, admin.account.login, admin.password).status_code == 302
    assert other.get(progress).status_code == 404 and other.get(f"{progress}.pdf").status_code == 404
    assert world.client.get(f"/company/workers/cards/print/{task_id + 99}").status_code == 404


def test_an_oversized_photo_for_someone_elses_worker_is_a_413_not_a_500(app, factory, world):
    company, admin = factory.company()
    other = app.test_client()
    assert login(other, admin.account.login, admin.password).status_code == 302
    token = csrf(other, "/company/workers")
    big = b"\xff\xd8\xff" + b"0" * (3 * 1024 * 1024)
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    for number in (world.card_nos[0], "JX123", "bogus"):
        # Encoded in memory: the test client's own encoder spills large bodies to a file it never closes.
        boundary, body = encode_multipart({"csrf_token": token, "consent_on": world.today.isoformat(),
                                           "photo": FileStorage(io.BytesIO(big), filename="big.jpg")})
        resp = other.post(f"/company/workers/{number}/photo", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
        assert resp.status_code == 413, (number, resp.status_code)


def test_ending_the_employment_says_first_which_cards_become_void_and_then_they_never_print(factory, world):
    from registry.workers.models import Employment

    worker = world.workers[0]
    for _ in range(2):
        services.issue_card(factory.ring, account=world.admin, company=world.company, worker=worker,
                            today=world.today)
    db.session.commit()
    # Before the company confirms, the page states the consequence.
    page = text(world.client.get(f"/workers/{world.card_nos[0]}"))
    assert 'id="end-voids"' in page and "第 1、2 张" in page and "作废" in page
    resp = post_form(world.client, f"/workers/{world.card_nos[0]}/end", {"end_date": world.today.isoformat()},
                     page=f"/workers/{world.card_nos[0]}")
    assert resp.status_code == 200 and "服务证随即失效" in text(resp)  # the confirmation step says it again
    resp = post_form(world.client, f"/workers/{world.card_nos[0]}/end",
                     {"end_date": world.today.isoformat(), "confirmed": "yes"}, page=f"/workers/{world.card_nos[0]}")
    assert resp.status_code == 302
    after = text(world.client.get(resp.headers["Location"]))
    assert "第 1, 2 张" in after and "已作废" in after
    # Employed again later: the card page shows the void card, with nothing to print it from.
    db.session.expire_all()
    worker = db.session.get(type(worker), worker.id)
    worker.employments.append(Employment(company_id=world.company.id, occupation="cleaner", kind="labour_contract",
                                         start_date=world.today, social_insurance=True, recorded_by=world.admin.ref))
    db.session.commit()
    card = world.client.get(card_page(world))
    html = text(card)
    assert card.status_code == 200 and 'id="card-void"' in html
    assert 'id="card-pdf"' not in html and 'id="card-sheet"' not in html
    assert world.client.get(f"{card_page(world)}.pdf").status_code == 409
    detail = text(world.client.get(f"/workers/{world.card_nos[0]}"))
    assert 'id="card-summary-void"' in detail and 'id="end-voids"' not in detail
