"""No customer phone anywhere (issue 14): a distinct canary phone through every flow that takes one — recording a
service by API and by page, the service file (by API and by page, through the real task handler, one file with a
bad row so a report is written), a review and a reply (by API and by page, a phone typed inside each text), a
complaint (by review code on both doors, by household phone on both doors, a phone inside its text, a contact
phone), and the regulators' household query (by page and by API, a hit and a miss) — then a search for every canary
in every common spelling of:

- the database: every column of every table (text and bytes), and on SQLite the file itself and its write-ahead
  log after a checkpoint (deleted pages linger there);
- every response body, page, report and redirect the flows returned;
- the application's log output (every record at DEBUG, the app's own logger included);
- the development outbox (opened: each customer's recipient masked);
- every log entry body.

The complainant's contact phone is the one phone the registry may keep, sealed (the handling regulator reads it):
it must be in no plaintext either, and the handling regulator's view is checked to show it, so the test can fail.

This module covers together what tests/trace/test_review_canary.py, tests/complaints/test_no_phone.py and the
import canary in tests/trace/test_import.py each cover for one flow.
"""
from __future__ import annotations

import csv
import io
import json
import logging
from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect, select, text

from registry.clock import now as utcnow
from registry.extensions import db
from registry.log.models import LogEntry
from registry.notify.services import CUSTOMER_KINDS, read_outbox
from registry.trace.models import ServiceRecord
from registry.trace.services import normalise_reference, reference_of
from registry.web import LOCAL_TZ
from tests.conftest import ON_POSTGRES
from tests.support.dbfile import read_in_child
from tests.support.factory import bearer
from tests.support.importutil import run_queued_tasks
from tests.support.serviceimportutil import service_csv, service_rows
from tests.support.traceutil import last_review_code
from tests.support.traceworld import trace_world
from tests.support.webutil import login, post_form
from tests.trace.test_import import upload
from tests.trace.test_import_pages import post_file

PASSWORD = "correct horse battery"

# One canary per place a phone enters, so a find names the flow. Every one is a valid mainland mobile; the
# middle digits (what masking hides) differ between them.
CANARY = {
    "record_api": "13957246801",
    "record_page": "15857246812",
    "file_api": "18657246823",
    "file_page": "17757246834",
    "file_bad_row": "13657246845",
    "review_text": "15057246856",
    "reply_text": "18957246867",
    "review_page_text": "13557246878",
    "reply_page_text": "15957246889",
    "complaint_text": "18257246890",
    "complaint_page_text": "13757246901",
    "contact": "15157246912",
    "contact_page": "18757246923",
    "household_miss": "13857246934",
}


def spaced(p: str, sep: str = " ") -> str:
    return f"{p[:3]}{sep}{p[3:7]}{sep}{p[7:]}"


def full_width(p: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in p)


def spellings(p: str) -> list[str]:
    """Every common way the phone is written: digits only, +86, 3-4-4 with spaces or dashes, full-width."""
    return [p, "+86" + p, "86" + p, spaced(p), spaced(p, "-"), "+86 " + spaced(p), full_width(p)]


def needles(p: str) -> list[str]:
    """The spellings, and the eight digits masking hides with the last four (a mask that slipped). In hex digests
    and ciphertexts a shorter run of digits turns up by chance, so nothing shorter."""
    return spellings(p) + [p[3:]]


ALL = {(flow, n) for flow, p in CANARY.items() for n in needles(p)}


def finds(where: str, blob: str) -> list[tuple[str, str, str]]:
    return [(flow, n, where) for flow, n in ALL if n in blob]


def finds_in_bytes(where: str, blob: bytes) -> list[tuple[str, str, str]]:
    out = []
    for flow, p in CANARY.items():
        for n in spellings(p):
            for encoded in {n.encode(), n.encode("utf-16-le"), n.encode("gb18030")}:
                if encoded in blob:
                    out.append((flow, n, where))
    return out


# --- the database -------------------------------------------------------------------------------------------------

def every_column() -> list[tuple[str, str, str]]:
    """Every value of every column of every table in the database (not just the models': the inspector's list),
    text as text and bytes as bytes."""
    db.session.rollback()
    found = []
    for table in inspect(db.engine).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):
            for value in row:
                if value is None:
                    continue
                if isinstance(value, bytes | bytearray | memoryview):
                    raw = bytes(value)
                    found += finds_in_bytes(table, raw)
                    found += finds(table, raw.decode("utf-8", "replace"))
                else:
                    found += finds(table, value if isinstance(value, str) else repr(value))
    db.session.rollback()
    return found


def database_files(app) -> list[tuple[str, str, str]]:
    """On SQLite, the database file and its write-ahead log byte for byte, after a checkpoint (read by another
    process: see tests/support/dbfile.py)."""
    if ON_POSTGRES:
        return []
    db.session.remove()
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    # Search the WAL before the checkpoint folds it into the file, then the file after.
    found = []
    wal = Path(f"{path}-wal")
    if wal.exists():
        found += finds_in_bytes(wal.name, read_in_child(wal))
    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    for part in (path, wal, Path(f"{path}-journal")):
        if part.exists():
            found += finds_in_bytes(part.name, read_in_child(part))
    assert path.stat().st_size > 0
    return found


# --- the flows ----------------------------------------------------------------------------------------------------

class Seen:
    """Every answer the flows got: status, headers and body as text (a CSV decoded, JSON undecoded too)."""

    def __init__(self):
        self.answers: list[tuple[str, str]] = []

    def keep(self, label: str, resp):
        body = resp.get_data().decode("utf-8-sig", "replace")
        if resp.is_json:
            body += "\n" + json.dumps(resp.get_json(), ensure_ascii=False)
        self.answers.append((label, f"{resp.status_code}\n{resp.headers}\n{body}"))
        return resp


def signed_in(app, account, totp_secret=None):
    if totp_secret is not None:
        db.session.rollback()
        account.totp_last_step = None  # the same TOTP step may sign in a second browser
        db.session.commit()
    c = app.test_client()
    assert login(c, account.login, PASSWORD, totp_secret).status_code == 302
    return c


def window(hours_ago: int) -> tuple:
    start = (utcnow() - timedelta(hours=hours_ago)).replace(second=0, microsecond=0).astimezone(LOCAL_TZ)
    return start, start + timedelta(hours=2)


def test_no_customer_phone_is_kept_shown_or_logged_by_any_flow(app, client, factory, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=app.logger.name)
    world = trace_world(factory)
    a, card = world.a, world.worker.card_no
    uscc = a.company.uscc
    company_token = world.tokens["a"]
    seen = Seen()
    keep = seen.keep
    company = signed_in(app, a.admin)
    regulator = signed_in(app, world.regs["housekeeping"], world.totp["housekeeping"])
    reg_token = world.tokens["housekeeping"]

    # 1. One service by API, the phone typed with +86 and dashes.
    start, end = window(6)
    resp = keep("record api", client.post(f"/api/v1/companies/{uscc}/services", headers=bearer(company_token), json={
        "card_no": card, "service_type": "cleaning", "phone": "+86 " + spaced(CANARY["record_api"], "-"),
        "district": "锦江区", "start": start.isoformat(), "end": end.isoformat()}))
    assert resp.status_code == 201, resp.get_json()
    ref_api, code_api = last_review_code(factory)
    # The company reads the service number, never the customer's reference (which opens the service with the code).
    number_api = resp.get_json()["reference"]
    assert number_api != ref_api

    # 2. One by page, the phone spaced 3-4-4.
    start, end = window(9)
    resp = keep("record page", post_form(company, "/company/services/new", {
        "card_no": card, "service_type": "elder_care", "phone": spaced(CANARY["record_page"]), "district": "武侯区",
        "start": start.strftime("%Y-%m-%dT%H:%M"), "end": end.strftime("%Y-%m-%dT%H:%M"), "override_reason": ""}))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    keep("recorded page", company.get(resp.headers["Location"]))
    ref_page, code_page = last_review_code(factory)
    assert ref_page != ref_api
    number_page = reference_of(db.session.execute(select(ServiceRecord).where(
        ServiceRecord.reference == normalise_reference(ref_page))).scalar_one().ref)

    # 3. The service file by API (good rows, two spellings of its canary) and by page (a bad row kept out: a
    # report is written), each run by the real task handler.
    rows = service_rows(3, [card], now=utcnow(), seed=14, phone=CANARY["file_api"])
    rows[1]["phone"] = "+86" + CANARY["file_api"]
    rows[2]["phone"] = spaced(CANARY["file_api"], "-")
    resp = keep("import api", upload(client, uscc, company_token, service_csv(rows)))
    assert resp.status_code == 202, resp.get_json()
    task_api = resp.get_json()["task_id"]
    rows = service_rows(3, [card], now=utcnow(), seed=15, phone=CANARY["file_page"])
    rows[1]["phone"] = CANARY["file_bad_row"]
    rows[1]["district"] = ""
    resp = keep("import page", post_file(company, service_csv(rows, encoding="gb18030"), keep_good=True))
    assert resp.status_code == 302, resp.status_code
    progress = resp.headers["Location"]
    assert run_queued_tasks(app) == 2
    view = keep("import api view", client.get(f"/api/v1/companies/{uscc}/services/imports/{task_api}",
                                              headers=bearer(company_token)))
    assert view.get_json()["result"]["stored"] == 3 and view.get_json()["file_deleted"] is True
    keep("import page progress", company.get(progress))
    report = keep("import page report", company.get(progress + "/report.csv"))
    lines = list(csv.reader(io.StringIO(report.get_data().decode("utf-8-sig"))))
    assert [(line[0], line[2]) for line in lines[1:]] == [("3", "district_missing")]
    keep("import page list", company.get("/company/services/import"))
    db.session.rollback()
    assert len(db.session.execute(select(ServiceRecord)).scalars().all()) == 2 + 3 + 2

    # 4. Reviews with a phone inside each text, and the company's replies: service 1 by API, service 2 by page.
    resp = keep("review api", client.post("/api/v1/reviews", json={
        "reference": ref_api, "code": code_api, "rating": 2, "tags": ["late"],
        "text": f"阿姨迟到了，有事打我电话 {spaced(CANARY['review_text'])}，或 +86{CANARY['review_text']}。"}))
    assert resp.status_code == 201, resp.get_json()
    resp = keep("reply api", client.post(f"/api/v1/companies/{uscc}/services/{number_api}/reply",
                                         headers=bearer(company_token),
                                         json={"text": f"抱歉！请拨{full_width(CANARY['reply_text'])}找主管。"}))
    assert resp.status_code == 201, resp.get_json()
    reviewer = app.test_client()
    resp = keep("review page", post_form(reviewer, "/review", {
        "reference": ref_page, "code": code_page, "rating": "5", "tags": ["punctual"],
        "text": f"很好，推荐！我的手机{spaced(CANARY['review_page_text'], '-')}"}))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    keep("review thanks", reviewer.get(resp.headers["Location"]))
    resp = keep("reply page", post_form(company, f"/company/reviews/{number_page}/reply",
                                        {"text": f"谢谢！回访电话 {CANARY['reply_page_text']}"},
                                        page="/company/reviews"))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    page = keep("company reviews page", company.get("/company/reviews")).get_data(as_text=True)
    assert f"{CANARY['reply_page_text'][:3]}****{CANARY['reply_page_text'][7:]}" in page  # masked, not dropped

    # 5. Complaints: by review code (API, then page), by household phone (API, then page, the recorded phones typed
    # in other spellings), each with a phone in its text and a contact phone.
    resp = keep("complaint by code api", client.post("/api/v1/complaints/by-code", json={
        "reference": ref_api, "code": code_api, "about": "worker", "category": "quality",
        "text": f"服务很差，阿姨留的电话{CANARY['complaint_text']}打不通",
        "contact": {"name": "王建国", "phone": spaced(CANARY["contact"], "-")}}))
    assert resp.status_code == 201, resp.get_json()
    by_code = resp.get_json()
    resp = keep("complaint by phone api", client.post(f"/api/v1/cards/{card}/complaints/by-phone", json={
        "phone": "+86 " + spaced(CANARY["record_api"]), "category": "theft",
        "text": f"现金不见了，联系 {spaced(CANARY['complaint_text'], '-')}"}))
    assert resp.status_code == 201, resp.get_json()
    resp = keep("complaint by phone miss", client.post(f"/api/v1/cards/{card}/complaints/by-phone", json={
        "phone": CANARY["household_miss"], "category": "theft", "text": "x"}))
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "no_matching_service"
    complainant = app.test_client()
    resp = keep("complaint by code page", post_form(complainant, "/complain", {
        "reference": ref_page, "code": code_page, "about": "company", "category": "fraud",
        "text": f"多收费，客服电话{CANARY['complaint_page_text']}", "contact_name": "李",
        "contact_phone": CANARY["contact_page"]}))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    keep("complaint filed page", complainant.get(resp.headers["Location"]))
    resp = keep("complaint by phone page", post_form(complainant, f"/c/{card}/complain", {
        "category": "abuse", "text": f"辱骂，我电话 +86{CANARY['complaint_page_text']}",
        "phone": spaced(CANARY["record_page"], "-")}))
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    keep("complaint filed page 2", complainant.get(resp.headers["Location"]))
    keep("complaint track", client.post("/api/v1/complaints/track", json={
        "reference": by_code["reference"], "tracking_code": by_code["tracking_code"]}))
    # The handling regulator reads the contact in clear (kept sealed: the one phone the registry may keep) ...
    # (The worklist by API is the handling regulator's view of each complaint too, so not searched.)
    queue = client.get("/api/v1/complaints", headers=bearer(reg_token)).get_json()
    (mine,) = [c for c in queue if c["reference"] == by_code["reference"]]
    handling = client.get(f"/api/v1/complaints/{mine['ref']}", headers=bearer(reg_token))
    assert handling.status_code == 200, handling.get_json()
    assert CANARY["contact"] in json.dumps(handling.get_json()), "the contact is kept for the regulator"
    keep("complaint queue page", regulator.get("/admin/complaints"))

    # 6. The regulators' household query, by API (a hit and a miss) and by page.
    resp = keep("household api", client.post("/api/v1/households/services", headers=bearer(reg_token), json={
        "phone": spaced(CANARY["file_api"]), "purpose": "complaint", "note": "投诉核查"}))
    assert resp.status_code == 200 and len(resp.get_json()["services"]) == 3, resp.get_json()
    resp = keep("household api miss", client.post("/api/v1/households/services", headers=bearer(reg_token), json={
        "phone": CANARY["household_miss"], "purpose": "incident"}))
    assert resp.status_code == 200 and resp.get_json()["services"] == []
    resp = keep("household page", post_form(regulator, "/regulator/households", {
        "phone": "+86" + CANARY["record_page"], "purpose": "safety_check", "note": "巡查"}))
    assert resp.status_code == 200 and number_page in resp.get_data(as_text=True)

    # Everything else the flows left for someone to read.
    for label, c, url, headers in (
            ("company services api", client, f"/api/v1/companies/{uscc}/services", bearer(company_token)),
            ("worker services api (regulator)", client, f"/api/v1/workers/{card}/services", bearer(reg_token)),
            ("worker services api (company)", client, f"/api/v1/workers/{card}/services", bearer(company_token)),
            ("company reviews api", client, f"/api/v1/companies/{uscc}/reviews", bearer(company_token)),
            ("household queries api", client, "/api/v1/household-queries", bearer(world.tokens["operator"])),
            ("card api", client, f"/api/v1/cards/{card}", {}),
            ("company api", client, f"/api/v1/companies/{uscc}", {}),
            ("card page", client, f"/c/{card}", {}),
            ("company page", client, f"/companies/{uscc}", {}),
            ("company services page", company, "/company/services", {}),
            ("worker services page (regulator)", regulator, f"/workers/{card}/services", {}),
            ("company complaints page", company, "/company/complaints", {})):
        resp = keep(label, c.get(url, headers=headers))
        assert resp.status_code == 200, (label, resp.status_code)

    # --- the search ---
    found = []
    for label, body in seen.answers:
        found += finds(f"answer: {label}", body)
    outbox = read_outbox(factory.ring, limit=500)
    customer = [m for m in outbox if m["kind"] in CUSTOMER_KINDS]
    assert len(customer) == 2 + 3 + 2  # one review code per service
    found += [("outbox", m["recipient"], "recipient not masked") for m in customer if "****" not in m["recipient"]]
    found += finds("outbox", json.dumps(outbox, ensure_ascii=False, default=str))
    db.session.rollback()
    for seq, body in db.session.execute(select(LogEntry.seq, LogEntry.body)):
        found += finds(f"log entry {seq}", bytes(body).decode())
    for r in caplog.records:
        found += finds(f"log record {r.name}", r.getMessage())
    found += finds("log output", caplog.text)
    found += every_column()
    found += database_files(app)
    assert not found, "\n".join(f"{flow}: {n!r} in {where}" for flow, n, where in sorted(set(found)))
