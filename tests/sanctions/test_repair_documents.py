"""Documents on credit repair applications (issue #15 item 3): the subject attaches up to 5 PDF, JPEG or PNG files
proving the obligations met; they are stored sealed in the application's one entry, listed to the subject and the
regulators, opened only by the issuing agency; bad files are refused by position with nothing stored; `log verify`
names a swapped or replaced document; an application without documents keeps the state it always had."""
from __future__ import annotations

import json
from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.attachments.models import Attachment
from registry.extensions import db
from registry.keys.crypto import aad, seal_bytes
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.sanctions import repair
from registry.sanctions.models import Sanction, SanctionRepair
from tests.support.cardworld import green_worker
from tests.support.logutil import ORIGIN, sign, sql
from tests.support.sanctionutil import record, regulators
from tests.support.webutil import csrf, login, text

START = date(2026, 6, 1)
STATEMENT = "已全额缴纳罚款，附缴款凭证和整改报告。"
PDF = b"%PDF-1.7\n% the receipt of the fine paid\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(START)
    issuer, second = regulators(factory, "housekeeping", code="hk-repdoc")
    other, _ = regulators(factory, "property", code="prop-repdoc")
    company, admin = factory.company()
    s = record(factory, issuer, company=company, kind="warning", severity="minor", months=1, today=START)
    return {"issuer": issuer, "second": second, "other": other, "company": company, "admin": admin, "s": s}


def bearer(factory, account) -> dict:
    return {"Authorization": f"Bearer {factory.token(account)}"}


def apply(client, factory, world, files, *, statement=STATEMENT, pledge="true"):
    return client.post(f"/api/v1/companies/{world['company'].uscc}/sanctions/{world['s'].ref}/repairs",
                       data={"statement": statement, "pledge": pledge,
                             "documents": [(BytesIO(body), name) for name, body in files]},
                       content_type="multipart/form-data", headers=bearer(factory, world["admin"].account))


def stored(s: Sanction) -> tuple[int, int, int]:
    """(applications, documents, log entries) of the sanction."""
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(SanctionRepair)
                              .where(SanctionRepair.sanction_id == s.id)),
            db.session.scalar(select(func.count()).select_from(Attachment)
                              .where(Attachment.owner_kind == repair.OWNER_KIND)),
            db.session.scalar(select(func.count()).select_from(LogEntry).where(LogEntry.subject == s.log_ref)))


def documents_of(ref: str) -> list[Attachment]:
    db.session.rollback()
    application = db.session.execute(select(SanctionRepair).where(SanctionRepair.ref == ref)).scalar_one()
    return list(db.session.execute(select(Attachment).where(
        Attachment.owner_kind == repair.OWNER_KIND, Attachment.owner_id == application.id)
        .order_by(Attachment.position)).scalars())


def test_documents_are_stored_sealed_in_the_one_entry_and_listed(client, factory, world):
    s = world["s"]
    resp = apply(client, factory, world, [("receipt.pdf", PDF), ("report.png", PNG), ("photo.jpg", JPEG)])
    assert resp.status_code == 201, resp.get_json()
    ref = resp.get_json()["ref"]
    assert stored(s) == (1, 3, 2)  # record + the one application entry
    rows = documents_of(ref)
    assert [(r.position, r.content_type, r.size) for r in rows] == [
        (0, "application/pdf", len(PDF)), (1, "image/png", len(PNG)), (2, "image/jpeg", len(JPEG))]
    # Sealed: the bytes are not in the row, and open only under the row's own associated data.
    assert all(b"receipt of the fine" not in bytes(r.content_enc) for r in rows)
    assert rows[0].uploaded_by == world["admin"].account.ref
    # The entry's digest covers them: the sanction's state lists each document's HMAC and the digest matches.
    sanction = db.session.get(Sanction, s.id)
    state = canonical.state_of(factory.ring, sanction)
    [entry] = state["repairs"]
    assert [d["content"] for d in entry["documents"]] == [r.content_state for r in rows]
    last = db.session.execute(select(LogEntry).where(LogEntry.subject == s.log_ref)
                              .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    assert last.action == "sanction:repair:apply"
    assert json.loads(last.body)["digest"] == canonical.digest(state)
    # The subject sees its documents listed (without their bytes).
    mine = client.get(f"/api/v1/companies/{world['company'].uscc}/sanctions",
                      headers=bearer(factory, world["admin"].account)).get_json()
    [own] = [x for x in mine if x["ref"] == s.ref]
    assert [(d["position"], d["content_type"], d["size"]) for d in own["repairs"][0]["documents"]] == [
        (0, "application/pdf", len(PDF)), (1, "image/png", len(PNG)), (2, "image/jpeg", len(JPEG))]


def test_an_application_without_documents_keeps_the_state_it_always_had(client, factory, world):
    resp = apply(client, factory, world, [])
    assert resp.status_code == 201, resp.get_json()
    db.session.rollback()
    [entry] = canonical.state_of(factory.ring, db.session.get(Sanction, world["s"].id))["repairs"]
    assert "documents" not in entry
    assert set(entry) == {"ref", "applicant_kind", "applicant", "statement", "pledge", "applied", "state",
                          "decided_by", "decided", "reason"}


@pytest.mark.parametrize("files, code, field", [
    ([("x.pdf", b"GIF89a not a pdf")], "file_type", "documents.0"),
    ([("a.pdf", PDF), ("evil.pdf", b"<html>%PDF-1.7</html>")], "file_type", "documents.1"),
    ([("a.pdf", PDF), ("b.png", PNG), ("big.pdf", PDF + b"\0" * 200)], "file_too_large", "documents.2"),
    ([("empty.pdf", b"")], "file_empty", "documents.0"),
    ([("a.pdf", PDF)] * 6, "too_many_files", "documents"),
])
def test_bad_documents_are_refused_by_position_and_nothing_is_stored(client, factory, world, monkeypatch, files,
                                                                     code, field):
    # The 5 MiB limit scaled down (as for objections), so no test body spools to a temporary file.
    from registry.attachments import rules as arules

    assert arules.MAX_BYTES == 5 * 1024 * 1024
    monkeypatch.setattr(arules, "MAX_BYTES", len(PDF) + 100)
    before = stored(world["s"])
    resp = apply(client, factory, world, files)
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and set(error["fields"]) == {field}
    assert error["fields"][field]["zh"] and error["fields"][field]["en"]
    assert stored(world["s"]) == before


def test_a_bad_document_and_a_missing_pledge_are_named_together(client, factory, world):
    before = stored(world["s"])
    resp = apply(client, factory, world, [("a.pdf", PDF), ("x.gif", b"GIF89a")], pledge="false")
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_input" and set(error["fields"]) == {"pledge", "documents.1"}
    assert stored(world["s"]) == before


def test_only_the_issuing_agency_downloads_the_documents(client, factory, world):
    s = world["s"]
    ref = apply(client, factory, world, [("receipt.pdf", PDF), ("report.png", PNG)]).get_json()["ref"]
    url = f"/api/v1/sanctions/{s.ref}/repairs/{ref}/documents"
    for account in (world["issuer"], world["second"]):
        resp = client.get(f"{url}/1", headers=bearer(factory, account))
        assert resp.status_code == 200 and resp.data == PNG and resp.mimetype == "image/png"
        assert resp.headers["Cache-Control"] == "no-store" and "attachment" in resp.headers["Content-Disposition"]
    assert client.get(f"{url}/0", headers=bearer(factory, world["issuer"])).data == PDF
    assert client.get(f"{url}/2", headers=bearer(factory, world["issuer"])).status_code == 404
    # Another agency's regulator reads the application, never its documents; the public and the company neither.
    forbidden = client.get(f"{url}/0", headers=bearer(factory, world["other"]))
    assert forbidden.status_code == 403 and forbidden.get_json()["error"]["code"] == "not_issuing_agency"
    assert client.get(f"{url}/0").status_code == 401
    assert client.get(f"{url}/0", headers=bearer(factory, world["admin"].account)).status_code == 403


def test_the_pages_take_documents_and_only_the_issuer_opens_them(app, factory, clock):
    """The company applies with a document on its page (a bad file: refused with its number, nothing stored); the
    issuing agency's sanction page links the document, another agency's lists it without a link and is refused."""
    clock.freeze(START)
    w = green_worker(factory)
    agency = factory.agency("housekeeping")
    issuer = factory.agency_user(agency)
    other = factory.agency_user(factory.agency("property"))
    s = record(factory, issuer.account, company=w.company, kind="warning", severity="minor", months=1, today=START)
    c = app.test_client()
    login(c, w.admin.login, "correct horse battery")
    page = text(c.get("/company/sanctions"))
    assert 'enctype="multipart/form-data"' in page and f'id="documents-{s.ref}"' in page
    before = stored(s)
    token = csrf(c, "/company/sanctions")
    bad = c.post(f"/company/sanctions/{s.ref}/repairs",
                 data={"csrf_token": token, "statement": STATEMENT, "pledge": "y",
                       "documents": [(BytesIO(PDF), "a.pdf"), (BytesIO(b"GIF89a..."), "x.gif")]},
                 content_type="multipart/form-data", follow_redirects=True)
    assert "第 2 份材料" in text(bad) and "PDF、JPEG 或 PNG" in text(bad)
    assert stored(s) == before
    ok = c.post(f"/company/sanctions/{s.ref}/repairs",
                data={"csrf_token": token, "statement": STATEMENT, "pledge": "y",
                      "documents": [(BytesIO(PDF), "receipt.pdf")]},
                content_type="multipart/form-data")
    assert ok.status_code == 302
    assert stored(s)[:2] == (1, 1)
    assert "证明材料 1 份" in text(c.get("/company/sanctions"))
    application = db.session.execute(select(SanctionRepair)).scalar_one()
    link = f"/admin/sanctions/{s.ref}/repairs/{application.ref}/documents/0"
    a = _regulator(app, issuer)
    page = text(a.get(f"/admin/sanctions/{s.ref}"))
    assert link in page
    doc = a.get(link)
    assert doc.status_code == 200 and doc.data == PDF and doc.mimetype == "application/pdf"
    o = _regulator(app, other)
    page = text(o.get(f"/admin/sanctions/{s.ref}"))
    assert "application/pdf" in page and link not in page
    assert o.get(link).status_code == 403


def _regulator(app, reg):
    db.session.rollback()
    reg.account.totp_last_step = None
    db.session.commit()
    c = app.test_client()
    assert login(c, reg.account.login, reg.password, reg.totp_secret).status_code == 302
    return c


def test_an_application_may_carry_more_than_the_usual_body_limit(client, app, factory, world, monkeypatch):
    """Five documents of the full size fit in one application, though the body is over MAX_CONTENT_LENGTH (scaled
    down: a 1,000-byte document limit and a 2,000-byte body limit elsewhere); beyond them, 413 before any read."""
    from registry.attachments import rules as arules

    monkeypatch.setattr(arules, "MAX_BYTES", 1000)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    full = PDF + b"\0" * (1000 - len(PDF))
    resp = apply(client, factory, world, [(f"{i}.pdf", full) for i in range(5)])
    assert resp.status_code == 201, resp.get_json()
    assert [a.size for a in documents_of(resp.get_json()["ref"])] == [1000] * 5
    too_big = apply(client, factory, world, [(f"{i}.pdf", full + b"\0" * 20_000) for i in range(5)])
    assert too_big.status_code == 413


def verify(factory):
    db.session.expire_all()
    return verify_local(factory.ring, ORIGIN)


def test_log_verify_names_a_swapped_or_replaced_repair_document(client, factory, world):
    s = world["s"]
    ref = apply(client, factory, world, [("receipt.pdf", PDF), ("report.png", PNG)]).get_json()["ref"]
    sign(factory.ring)
    assert verify(factory).ok
    first, second = documents_of(ref)
    ids, label = (first.id, second.id), ref[:8]
    sealed = (bytes(first.content_enc), bytes(second.content_enc))
    # The two documents swapped: each is sealed for the other row and opens under neither.
    sql("UPDATE attachments SET content_enc = :e WHERE id = :i", e=sealed[1], i=ids[0])
    sql("UPDATE attachments SET content_enc = :e WHERE id = :i", e=sealed[0], i=ids[1])
    assert verify(factory).failures == [
        f"sanction {s.log_ref}: repair application {label}: document 0 does not decrypt for this row",
        f"sanction {s.log_ref}: repair application {label}: document 1 does not decrypt for this row"]
    # Another file sealed correctly for the row, but not the one the log's state names.
    sql("UPDATE attachments SET content_enc = :e WHERE id = :i", e=sealed[1], i=ids[1])
    sql("UPDATE attachments SET content_enc = :e WHERE id = :i",
        e=seal_bytes(factory.ring, b"%PDF-1.7 forged receipt", aad("attachments", "content", first.ref)), i=ids[0])
    assert verify(factory).failures == [
        f"sanction {s.log_ref}: repair application {label}: document 0 does not match its state HMAC"]
