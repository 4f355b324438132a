"""Report this card: filing from the door (API and page), the regulators' queue, closing a report."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, text

from registry.cards import services as cards
from registry.clock import now as utcnow
from registry.extensions import db
from registry.keys.crypto import aad, state_hmac, unseal
from registry.log.models import LogEntry
from registry.log.services import ANONYMOUS_ACTOR
from registry.reports.models import CardReport
from registry.reports.services import file_report, reference_of
from registry.workers import attach, cardno
from registry.workers import services as workers
from tests.support.cardworld import green_worker, issue
from tests.support.factory import bearer
from tests.support.webutil import login, post_form

SECRET_TEXT = "来人自称王建国，手机 13912345678，证件照片明显不是本人"


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def log_count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()


def reports() -> list[CardReport]:
    db.session.rollback()
    return db.session.execute(select(CardReport).order_by(CardReport.id)).scalars().all()


def scanned_q(factory, world) -> str:
    card = issue(factory, world)
    url = cards.qr_payload(factory.ring, world.worker, card, "http://registry.test")
    return parse_qs(urlsplit(url).query)["q"][0]


def regulator(factory, sector: str):
    new = factory.agency_user(factory.agency(sector=sector))
    return new


def file(world, factory, reason="fake", text=None):
    filed = file_report(factory.ring, actor=ANONYMOUS_ACTOR, worker=world.worker, reason=reason, text=text)
    db.session.commit()
    return filed.report


# --- filing through the API -----------------------------------------------------------

def test_filing_writes_one_entry_and_seals_the_text(client, factory, world):
    before = log_count()
    resp = client.post(f"/api/v1/cards/{world.card_no}/reports", json={"reason": "not_holder", "text": SECRET_TEXT})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert set(body) == {"log_index", "reference"}
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", body["reference"])
    assert log_count() == before + 1
    (report,) = reports()
    entry = db.session.get(LogEntry, body["log_index"])
    fields = json.loads(entry.body)
    assert fields["action"] == "report:file" and fields["actor"] == ANONYMOUS_ACTOR
    assert fields["subject"] == report.log_ref
    assert body["reference"] == reference_of(report)
    assert report.ref.startswith(body["reference"].replace("-", "").lower())
    assert report.log_ref not in json.dumps(body)
    assert (report.reason, report.state, report.worker_id, report.qr_verdict, report.serial) == (
        "not_holder", "open", world.worker.id, None, None)
    # Sealed: not in any column of the row, nor in the log; the state HMAC matches the decrypted text.
    row = db.session.execute(text("SELECT * FROM card_reports")).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    for fragment in ("王建国", "13912345678", "照片"):
        assert fragment not in stored and fragment not in entry.body.decode()
    assert unseal(factory.ring, report.text_enc, aad("card_reports", "text", report.ref)) == SECRET_TEXT
    assert report.text_state == state_hmac(factory.ring, "text", SECRET_TEXT)


def test_the_text_is_optional_and_blank_text_is_none(client, world):
    for payload in ({"reason": "other"}, {"reason": "other", "text": "   "}, {"reason": "other", "text": None}):
        assert client.post(f"/api/v1/cards/{world.card_no}/reports", json=payload).status_code == 201
    assert [(r.text_enc, r.text_state) for r in reports()] == [(None, None)] * 3


def test_a_signed_in_account_files_under_its_own_ref(client, factory, world):
    token = factory.token(world.admin)
    resp = client.post(f"/api/v1/cards/{world.card_no}/reports", json={"reason": "other"}, headers=bearer(token))
    assert resp.status_code == 201
    entry = db.session.get(LogEntry, resp.get_json()["log_index"])
    assert json.loads(entry.body)["actor"] == world.admin.ref


def test_the_scanned_qrs_verdict_is_recorded(client, factory, world):
    q = scanned_q(factory, world)
    assert client.post(f"/api/v1/cards/{world.card_no}/reports", json={"reason": "fake", "q": q}).status_code == 201
    altered = q[:-1] + ("A" if q[-1] != "A" else "B")
    assert client.post(f"/api/v1/cards/{world.card_no}/reports",
                       json={"reason": "fake", "q": altered}).status_code == 201
    assert client.post(f"/api/v1/cards/{world.card_no}/reports",
                       json={"reason": "fake", "q": "x" * 300}).status_code == 201
    assert [(r.qr_verdict, r.serial) for r in reports()] == [("genuine", 1), ("altered", None), ("altered", None)]


def test_a_typo_and_an_unknown_card_store_nothing(client, world):
    good = world.card_no
    typo = good[:-1] + next(c for c in "0123456789" if c != good[-1])
    assert not cardno.validate(typo).ok
    before = log_count()
    resp = client.post(f"/api/v1/cards/{typo}/reports", json={"reason": "fake"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "card_no_typo"
    assert "card_no" in resp.get_json()["error"]["fields"]
    unknown = cardno.new_card_no()
    resp = client.post(f"/api/v1/cards/{unknown}/reports", json={"reason": "fake"})
    assert resp.status_code == 404
    # A card number typed in groups, lower case, finds the card.
    spaced = f"{good[:5].lower()} {good[5:9]}-{good[9:]}"
    assert client.post(f"/api/v1/cards/{spaced}/reports", json={"reason": "other"}).status_code == 201
    assert log_count() == before + 1 and len(reports()) == 1


@pytest.mark.parametrize("payload,field", [
    ({"reason": "bogus"}, "reason"),
    ({}, "reason"),
    ({"reason": "fake", "text": "字" * 501}, "text"),
    ({"reason": "fake", "text": 5}, "text"),
    ({"reason": "fake", "q": "q" * 301}, "q"),
    ({"reason": "fake", "extra": 1}, "extra"),
])
def test_bad_input_names_the_field_and_stores_nothing(client, world, payload, field):
    before = log_count()
    resp = client.post(f"/api/v1/cards/{world.card_no}/reports", json=payload)
    assert resp.status_code == 422, resp.get_json()
    err = resp.get_json()["error"]
    assert field in err["fields"] and err["fields"][field]["zh"] and err["fields"][field]["en"]
    assert log_count() == before and reports() == []


def test_the_service_checks_its_rules_too(factory, world):
    from registry.errors import ApiError

    for kwargs, field in [({"reason": "nope"}, "reason"), ({"reason": "fake", "text": "x" * 501}, "text"),
                          ({"reason": "fake", "qr_verdict": "maybe"}, "q")]:
        with pytest.raises(ApiError) as caught:
            file_report(factory.ring, actor=ANONYMOUS_ACTOR, worker=world.worker, **kwargs)
        assert field in caught.value.fields
        db.session.rollback()
    assert reports() == []


# --- the regulators' queue --------------------------------------------------------------

def queue(client, account_token, **query):
    resp = client.get("/api/v1/reports", query_string=query, headers=bearer(account_token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_the_queue_goes_to_the_employers_sector_and_market_supervision(client, factory, world):
    report = file(world, factory, text=SECRET_TEXT)
    hk, prop, market = (factory.token(regulator(factory, s).account) for s in ("housekeeping", "property", "market"))
    (row,) = queue(client, hk)
    assert row["ref"] == report.ref and row["reference"] == reference_of(report)
    assert row["card_no"] == world.card_no and row["name_masked"] == "欧阳**"
    assert row["text"] == SECRET_TEXT and row["reason"] == "fake"
    assert row["reason_label"] == {"zh": "疑似假证", "en": "Suspected fake card"}
    assert row["employers"] == [{"uscc": world.company.uscc, "name": world.company.name}]
    assert row["state"] == "open" and row["closing_note"] is None
    assert queue(client, prop) == []
    assert [r["ref"] for r in queue(client, market)] == [report.ref]
    # A property company employs the worker too: now the property regulators see it as well.
    pc, pc_admin = factory.company(sectors=("property",))
    reg = workers.register_worker(factory.ring, account=pc_admin.account, company=pc, today=world.today,
                                  person=workers.Person("欧阳明华", workers.open_personal_data(
                                      factory.ring, world.worker)["id_number"], "13800005678"),
                                  engagement=workers.Engagement("security", "labour_contract", world.today, True))
    db.session.commit()
    # ... once the worker confirms it: an attachment awaiting confirmation employs no one yet.
    assert queue(client, prop) == []
    attach.confirm_by_worker(factory.ring, worker=reg.worker, employment_id=reg.employment.id, today=world.today,
                             now=utcnow())
    db.session.commit()
    assert [r["ref"] for r in queue(client, prop)] == [report.ref]
    # Companies and anonymous callers have no queue.
    assert client.get("/api/v1/reports", headers=bearer(factory.token(world.admin))).status_code == 403
    assert client.get("/api/v1/reports").status_code == 401


def test_a_worker_with_no_employer_is_for_market_supervision(client, factory, world):
    report = file(world, factory)
    workers.end_employment(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                           end_date=world.today, today=world.today)
    db.session.commit()
    hk, market = (factory.token(regulator(factory, s).account) for s in ("housekeeping", "market"))
    assert queue(client, hk) == []
    (row,) = queue(client, market)
    assert row["ref"] == report.ref and row["employers"] == []


def test_the_queue_filters_by_state_and_reference(client, factory, world):
    first, second = file(world, factory), file(world, factory, reason="not_holder")
    hk = factory.token(regulator(factory, "housekeeping").account)
    assert [r["ref"] for r in queue(client, hk)] == [second.ref, first.ref]  # newest first
    assert [r["ref"] for r in queue(client, hk, reference=reference_of(first).lower())] == [first.ref]
    assert [r["ref"] for r in queue(client, hk, reference=reference_of(first).replace("-", ""))] == [first.ref]
    assert queue(client, hk, state="closed") == []
    assert [r["ref"] for r in queue(client, hk, limit=1, offset=1)] == [first.ref]
    for bad, field in [({"state": "pending"}, "state"), ({"reference": "XYZ"}, "reference"),
                       ({"limit": 0}, "limit")]:
        resp = client.get("/api/v1/reports", query_string=bad, headers=bearer(hk))
        assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"], (bad, resp.get_json())


def test_closing_writes_one_entry_and_only_the_handling_regulators_may(client, factory, world):
    report = file(world, factory)
    hk_reg = regulator(factory, "housekeeping").account
    hk, prop = factory.token(hk_reg), factory.token(regulator(factory, "property").account)
    url = f"/api/v1/reports/{report.ref}/close"
    before = log_count()
    # Another sector's regulator: the same 404 as a report that does not exist.
    refused = client.post(url, json={"note": "查无此事"}, headers=bearer(prop))
    missing = client.post(f"/api/v1/reports/{'0' * 32}/close", json={"note": "查无此事"}, headers=bearer(hk))
    assert refused.status_code == missing.status_code == 404
    assert refused.get_json() == missing.get_json()
    for payload, field in [({}, "note"), ({"note": ""}, "note"), ({"note": "x" * 501}, "note")]:
        resp = client.post(url, json=payload, headers=bearer(hk))
        assert resp.status_code == 422 and field in resp.get_json()["error"]["fields"]
    assert log_count() == before
    resp = client.post(url, json={"note": "已约谈企业，证件真实，持证人本人。"}, headers=bearer(hk))
    assert resp.status_code == 200, resp.get_json()
    entry = db.session.get(LogEntry, resp.get_json()["log_index"])
    assert (entry.action, entry.subject) == ("report:close", report.log_ref)
    assert json.loads(entry.body)["actor"] == hk_reg.ref
    assert log_count() == before + 1
    db.session.refresh(report)
    assert (report.state, report.closed_by) == ("closed", hk_reg.ref)
    # Sealed at rest like the report's text: the row does not hold the note in plain text.
    assert "已约谈企业" not in (report.closing_note_enc or "")
    from registry.reports.services import closing_note

    assert closing_note(factory.ring, report) == "已约谈企业，证件真实，持证人本人。"
    assert report.closed_dt is not None
    again = client.post(url, json={"note": "再次办结"}, headers=bearer(hk))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "report_closed"
    assert queue(client, hk) == []
    assert [r["closing_note"] for r in queue(client, hk, state="closed")] == ["已约谈企业，证件真实，持证人本人。"]


# --- the pages ---------------------------------------------------------------------------

def regulator_client(app, factory, sector="housekeeping"):
    reg = regulator(factory, sector)
    c = app.test_client()
    assert login(c, reg.account.login, reg.password, totp_secret=reg.totp_secret).status_code == 302
    return c, reg


def test_the_card_page_links_to_the_report_form_with_the_scanned_q(client, factory, world):
    q = scanned_q(factory, world)
    page = client.get(f"/c/{world.card_no}", query_string={"q": q}).get_data(as_text=True)
    link = re.search(r'id="report-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    parts = urlsplit(link)
    assert parts.path == f"/c/{world.card_no}/report" and parse_qs(parts.query)["q"] == [q]
    form = client.get(link)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert f'name="q" value="{q}"' in html and 'name="csrf_token"' in html
    assert "欧阳**" in html and "欧阳明华" not in html
    for code in ("fake", "not_holder", "misconduct", "other"):
        assert f'value="{code}"' in html


def test_a_resident_files_a_report_from_the_page(client, factory, world):
    q = scanned_q(factory, world)
    page = f"/c/{world.card_no}/report?q={q}"
    before = log_count()
    # No reason: the form comes back, nothing stored.
    resp = post_form(client, f"/c/{world.card_no}/report", {"q": q, "text": "说明"}, page=page)
    assert resp.status_code == 400 and "请选择举报原因" in resp.get_data(as_text=True)
    assert log_count() == before
    # Too long a text: named on the form.
    resp = post_form(client, f"/c/{world.card_no}/report", {"reason": "fake", "text": "字" * 501}, page=page)
    assert resp.status_code == 400 and "最多 500 个字符" in resp.get_data(as_text=True)
    # Without the CSRF token: refused.
    assert client.post(f"/c/{world.card_no}/report", data={"reason": "fake"}).status_code == 400
    assert log_count() == before
    resp = post_form(client, f"/c/{world.card_no}/report", {"reason": "fake", "text": SECRET_TEXT, "q": q},
                     page=page)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/c/{world.card_no}/report/thanks")
    assert log_count() == before + 1
    (report,) = reports()
    assert (report.reason, report.qr_verdict, report.serial) == ("fake", "genuine", 1)
    thanks = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert f'<code id="reference">{reference_of(report)}</code>' in thanks
    assert "王建国" not in thanks
    # Another browser gets no reference, only the card.
    other = client.application.test_client().get(resp.headers["Location"])
    assert other.status_code == 302 and other.headers["Location"].endswith(f"/c/{world.card_no}")


def test_the_report_page_answers_typos_and_unknown_cards(client, world):
    typo = world.card_no[:-1] + next(c for c in "0123456789" if c != world.card_no[-1])
    assert client.get(f"/c/{typo}/report").status_code == 422
    assert client.get(f"/c/{cardno.new_card_no()}/report").status_code == 404


def test_regulators_handle_the_queue_on_their_pages(app, factory, world):
    report = file(world, factory, text=SECRET_TEXT)
    c, _reg = regulator_client(app, factory)
    home = c.get("/regulator/companies").get_data(as_text=True)
    assert 'href="/admin/reports"' in home
    page = c.get("/admin/reports").get_data(as_text=True)
    assert f'id="report-{report.ref}"' in page and SECRET_TEXT in page and reference_of(report) in page
    before = log_count()
    resp = post_form(c, f"/admin/reports/{report.ref}/close", {"note": ""}, page="/admin/reports")
    assert resp.status_code == 400 and "请填写处理结果" in resp.get_data(as_text=True)
    assert log_count() == before
    resp = post_form(c, f"/admin/reports/{report.ref}/close", {"note": "已核实处理"}, page="/admin/reports")
    assert resp.status_code == 302
    assert log_count() == before + 1
    assert f'id="report-{report.ref}"' not in c.get("/admin/reports").get_data(as_text=True)
    closed = c.get("/admin/reports?state=closed").get_data(as_text=True)
    assert f'id="report-{report.ref}"' in closed and "已核实处理" in closed
    found = c.get(f"/admin/reports?state=closed&reference={reference_of(report)}").get_data(as_text=True)
    assert f'id="report-{report.ref}"' in found
    assert c.get("/admin/reports?reference=nope").status_code == 422


def test_other_regulators_and_companies_do_not_see_the_report_pages(app, client, factory, world):
    report = file(world, factory, text=SECRET_TEXT)
    c, _reg = regulator_client(app, factory, sector="property")
    page = c.get("/admin/reports").get_data(as_text=True)
    assert report.ref not in page and SECRET_TEXT not in page
    resp = post_form(c, f"/admin/reports/{report.ref}/close", {"note": "越权"}, page="/admin/reports")
    assert resp.status_code == 404
    login(client, world.admin.login, "correct horse battery")
    assert client.get("/admin/reports").status_code == 403
    assert reports()[0].state == "open"


def test_a_note_of_control_characters_is_no_note(client, factory, world):
    report = file(world, factory)
    hk = factory.token(regulator(factory, "housekeeping").account)
    before = log_count()
    for note in ("\u0000", "\u0000 \u0007\n", "\u200b\u0000"):
        resp = client.post(f"/api/v1/reports/{report.ref}/close", json={"note": note}, headers=bearer(hk))
        assert resp.status_code == 422 and "note" in resp.get_json()["error"]["fields"], (note, resp.get_json())
    assert log_count() == before


def test_each_report_links_to_the_worker_the_card_and_the_employer(app, client, factory, world):
    """From the queue a regulator reaches the worker's record (asked for a purpose first), the public card page
    and the employer's public page."""
    report = file(world, factory)
    c, _reg = regulator_client(app, factory)
    page = c.get("/admin/reports").get_data(as_text=True)
    item = page.split(f'id="report-{report.ref}"')[1].split("</article>")[0]
    card_no, uscc = world.worker.card_no, world.company.uscc
    worker_link = re.search(r'class="report-worker" href="([^"]+)"', item).group(1)
    card_link = re.search(r'class="report-card" href="([^"]+)"', item).group(1)
    employer_link = re.search(r'class="report-employer" href="([^"]+)"', item).group(1)
    assert (card_link, employer_link) == (f"/c/{card_no}", f"/companies/{uscc}")
    # The worker link opens nothing personal by itself: the search form, the card number filled in.
    form = c.get(worker_link.replace("&amp;", "&"))
    assert form.status_code == 200 and f'value="{card_no}"' in form.get_data(as_text=True)
    assert client.get(card_link).status_code == 200
    assert client.get(employer_link).status_code == 200
