"""Objections (异议) to substantiated complaints over HTTP: filed by the subject (a company's members, the worker in
self-service) with sealed documents, answered only by the agency that concluded the complaint, each step one entry
of the complaint; `objection_pending` on every public appearance while one is pending; an upheld objection
withdraws the complaint from every public answer (or corrects its category) in the same entry."""
from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.attachments.models import Attachment
from registry.complaints.models import Complaint, ComplaintObjection
from registry.extensions import db
from registry.keys.crypto import state_hmac
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.sanctions import objection_rules as orules
from registry.sanctions import worklist
from registry.workers.services import self_actor
from tests.support.cardworld import green_worker
from tests.support.complaintutil import file_card, file_code, serve, walk
from tests.support.factory import bearer
from tests.support.logutil import ORIGIN, sql

START = date(2027, 3, 1)  # a Monday, no holiday in the weeks after it
PDF = b"%PDF-1.7\n% evidence: the service record and the customer's signature\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake but sniffed as PNG"
REASONS = "当天服务按合同完成，附客户签收单。"


def entries(subject: str) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.subject == subject)
                                   .order_by(LogEntry.seq)).scalars())


def table_counts() -> dict:
    db.session.rollback()
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


@pytest.fixture
def w(app, client, factory, clock):
    """Made once a run (`made_once`); each test starts from its rows and clock."""
    from tests.support.snapshot import world_once

    return world_once("complaint_objections", lambda: _world(factory, clock), factory=factory, clock=clock)


def _world(factory, clock):
    clock.freeze(START)
    world = green_worker(factory)
    hk = factory.agency_user(factory.agency(sector="housekeeping", code="hk")).account
    hk2 = factory.agency_user(hk.agency).account
    market = factory.agency_user(factory.agency(sector="market", code="mkt")).account
    prop = factory.agency_user(factory.agency(sector="property", code="prop")).account
    other = green_worker(factory, name="李桂兰", seed=9)
    # A substantiated complaint about the company (by a service's review code), and one about the worker, both
    # concluded by the housekeeping regulator.
    _s, reference, code = serve(factory, company=world.company, admin=world.admin, worker=world.worker,
                                phone="13912340101")
    about_company = walk(factory, hk, file_code(factory, reference=reference, code=code, about="company",
                                                category="quality").complaint, "substantiated")
    about_worker = walk(factory, hk, file_card(factory, world.worker, category="abuse").complaint, "substantiated")

    class W:
        pass

    x = W()
    x.world, x.company, x.admin, x.worker, x.other = world, world.company, world.admin, world.worker, other
    x.hk, x.hk2, x.market, x.prop = hk, hk2, market, prop
    x.about_company, x.about_worker = about_company, about_worker
    x.t_admin, x.t_other = factory.token(world.admin), factory.token(other.admin)
    x.t_hk, x.t_hk2, x.t_market, x.t_prop = (factory.token(a) for a in (hk, hk2, market, prop))
    return x


def file(client, uscc, ref, token, *, reasons=REASONS, documents=(("a.pdf", PDF), ("b.png", PNG))):
    data = {"reasons": reasons, "documents": [(BytesIO(b), name) for name, b in documents]}
    return client.post(f"/api/v1/companies/{uscc}/complaints/{ref}/objections", data=data,
                       content_type="multipart/form-data", headers=bearer(token))


def step(client, complaint_ref, objection_ref, token, **body):
    return client.post(f"/api/v1/complaints/{complaint_ref}/objections/{objection_ref}/steps", json=body,
                       headers=bearer(token))


def worker_token(factory, world) -> str:
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice

    issued = selfservice.issue_activation_code(factory.ring, actor=world.admin, worker=world.worker, now=utcnow())
    db.session.commit()
    started = selfservice.activate(factory.ring, card_no=world.card_no, code=issued.code, pin="204937",
                                   now=utcnow())
    db.session.commit()
    return started.token


def public(client, w) -> dict:
    return {"card": client.get(f"/api/v1/cards/{w.world.card_no}").get_json()["complaints"],
            "company": client.get(f"/api/v1/companies/{w.company.uscc}").get_json()["complaints"]}


# --- filing --------------------------------------------------------------------------------------

def test_a_company_objects_with_sealed_documents_in_one_entry_of_the_complaint(client, factory, w):
    c = w.about_company
    before = entries(c.log_ref)
    resp = file(client, w.company.uscc, c.ref, w.t_admin)
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert got["state"] == "received" and set(got) == {"log_index", "ref", "state"}
    assert entries(c.log_ref) == before + ["complaint:objection:file"]
    logged = json.loads(db.session.get(LogEntry, got["log_index"]).body)
    assert logged["actor"] == w.admin.ref
    state = canonical.state_of(factory.ring, db.session.get(Complaint, c.id))
    assert logged["digest"] == canonical.digest(state)
    (o,) = state["objections"]
    assert (o["state"], o["filed_by_kind"], o["outcome"]) == ("received", "company", None)
    assert [d["content"] for d in o["documents"]] == [
        state_hmac(factory.ring, "attachment", hashlib.sha256(b).hexdigest()) for b in (PDF, PNG)]
    # Sealed: neither the reasons nor any file's bytes in clear, in the database or the state.
    rows = db.session.execute(select(Attachment).where(Attachment.owner_kind == "complaint_objection")
                              .order_by(Attachment.position)).scalars().all()
    assert [r.size for r in rows] == [len(PDF), len(PNG)]
    assert all(b"evidence" not in bytes(r.content_enc) for r in rows)
    assert REASONS not in db.session.execute(select(ComplaintObjection.reasons_enc)).scalar_one()
    assert REASONS not in json.dumps(state, ensure_ascii=False)
    # The company reads it back; the concluding agency opens each document; a market regulator, who handles the
    # complaint, reads the objection but not its documents.
    mine = client.get(f"/api/v1/companies/{w.company.uscc}/complaints/{c.ref}/objections",
                      headers=bearer(w.t_admin)).get_json()
    assert [(m["ref"], m["reasons"], len(m["documents"])) for m in mine] == [(got["ref"], REASONS, 2)]
    assert mine[0]["deadline"]["kind"] == "accept" and mine[0]["deadline"]["day"] == "2027-03-03"
    doc = client.get(f"/api/v1/complaints/{c.ref}/objections/{got['ref']}/documents/1", headers=bearer(w.t_hk))
    assert doc.status_code == 200 and doc.data == PNG and doc.mimetype == "image/png"
    assert client.get(f"/api/v1/complaints/{c.ref}/objections", headers=bearer(w.t_market)).status_code == 200
    assert client.get(f"/api/v1/complaints/{c.ref}/objections/{got['ref']}/documents/0",
                      headers=bearer(w.t_market)).status_code == 403
    # A regulator of a sector the company is not in neither reads nor answers (404, as for the complaint).
    assert client.get(f"/api/v1/complaints/{c.ref}/objections", headers=bearer(w.t_prop)).status_code == 404


def test_only_the_subject_objects_only_to_a_substantiated_complaint_and_one_at_a_time(client, factory, w):
    counts = table_counts()
    c = w.about_company
    assert file(client, w.company.uscc, c.ref, w.t_other).status_code == 403  # not a member of this company
    assert file(client, w.other.company.uscc, c.ref, w.t_other).status_code == 404  # not about the other company
    assert file(client, w.company.uscc, w.about_worker.ref, w.t_admin).status_code == 404  # about its worker
    assert file(client, w.company.uscc, c.ref, w.t_hk).status_code == 403
    # Not substantiated: nothing public to object to.
    for state in ("received", "investigating", "unfounded", "rejected"):
        _s, reference, code = serve(factory, company=w.company, admin=w.admin, worker=w.worker,
                                    phone=f"139123402{len(state):02d}")
        other = walk(factory, w.hk, file_code(factory, reference=reference, code=code, about="company").complaint,
                     state)
        counts = table_counts()
        resp = file(client, w.company.uscc, other.ref, w.t_admin)
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_objectable"
        assert table_counts() == counts
    assert file(client, w.company.uscc, c.ref, w.t_admin, reasons="").get_json()["error"]["fields"].keys() == {
        "reasons"}
    bad = file(client, w.company.uscc, c.ref, w.t_admin, documents=[("x.gif", b"GIF89a....")])
    assert bad.status_code == 422 and "documents.0" in bad.get_json()["error"]["fields"]
    assert table_counts() == counts
    assert file(client, w.company.uscc, c.ref, w.t_admin).status_code == 201
    again = file(client, w.company.uscc, c.ref, w.t_admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "objection_pending"


def test_the_worker_objects_in_self_service_as_their_actor_on_this_complaint(client, factory, w):
    token = worker_token(factory, w.world)
    c = w.about_worker
    resp = client.post(f"/api/v1/self/complaints/{c.ref}/objections",
                       data={"reasons": REASONS, "documents": [(BytesIO(PDF), "x.pdf")]},
                       content_type="multipart/form-data", headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    logged = json.loads(db.session.get(LogEntry, resp.get_json()["log_index"]).body)
    actor = self_actor(w.worker, c.log_ref)
    assert (logged["action"], logged["actor"], logged["subject"]) == ("complaint:objection:file", actor, c.log_ref)
    assert actor not in (w.worker.log_ref, w.worker.actor_ref)
    got = client.get(f"/api/v1/self/complaints/{c.ref}/objections", headers=bearer(token)).get_json()
    assert [(g["filed_by_kind"], g["reasons"]) for g in got] == [("worker", REASONS)]
    # Not the worker's: the complaint about the company.
    assert client.post(f"/api/v1/self/complaints/{w.about_company.ref}/objections", data={"reasons": REASONS},
                       content_type="multipart/form-data", headers=bearer(token)).status_code == 404


# --- the concluding agency's steps ---------------------------------------------------------------

# Each objection state and the steps that lead there from `received`.
PATHS = {"received": [], "accepted": ["accept"], "rejected": ["reject"], "upheld": ["accept", "uphold"],
         "dismissed": ["accept", "dismiss"]}
BODY = {"accept": {}, "reject": {"reason": "材料不全。"}, "dismiss": {"reason": "经复核，原认定无误。"},
        "uphold": {"reason": "经复核，服务记录证明投诉不实。", "outcome": "withdraw"}}


def _walk(client, w, state) -> str:
    ref = file(client, w.company.uscc, w.about_company.ref, w.t_admin).get_json()["ref"]
    for name in PATHS[state]:
        assert step(client, w.about_company.ref, ref, w.t_hk, step=name, **BODY[name]).status_code == 200
    return ref


@pytest.mark.parametrize("state", sorted(PATHS))
@pytest.mark.parametrize("name", sorted(orules.STEPS))
def test_every_step_from_every_state_is_allowed_or_refused_as_the_table_says(client, w, state, name):
    ref = _walk(client, w, state)
    before = entries(w.about_company.log_ref)
    resp = step(client, w.about_company.ref, ref, w.t_hk2, step=name, **BODY[name])
    target = orules.transition(state, name)
    if isinstance(target, orules.Refused):
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == target.code
        assert entries(w.about_company.log_ref) == before
    else:
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["state"] == target
        assert entries(w.about_company.log_ref) == before + [f"complaint:objection:{name}"]


def test_only_the_concluding_agency_answers_and_refused_steps_store_nothing(client, w):
    ref = _walk(client, w, "received")
    c = w.about_company
    counts = table_counts()
    resp = step(client, c.ref, ref, w.t_market, step="accept")  # handles the complaint, did not conclude it
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_concluding_agency"
    assert step(client, c.ref, ref, w.t_prop, step="accept").status_code == 404
    assert step(client, c.ref, ref, w.t_admin, step="accept").status_code == 403
    assert step(client, c.ref, ref, w.t_hk, step="reject").get_json()["error"]["fields"].keys() == {"reason"}
    assert step(client, c.ref, ref, w.t_hk, step="accept", outcome="withdraw").status_code == 422
    assert step(client, c.ref, "0" * 32, w.t_hk, step="accept").status_code == 404
    assert table_counts() == counts
    assert step(client, c.ref, ref, w.t_hk, step="accept").status_code == 200
    before = entries(c.log_ref)
    for body in ({"reason": "成立"}, {"reason": "成立", "outcome": "correct"},
                 {"reason": "成立", "outcome": "correct", "category": "quality"},
                 {"reason": "成立", "outcome": "correct", "category": "nonsense"}):
        assert step(client, c.ref, ref, w.t_hk, step="uphold", **body).status_code == 422, body
    assert entries(c.log_ref) == before
    assert db.session.get(Complaint, c.id).state == "substantiated"


# --- public appearances --------------------------------------------------------------------------

def test_the_pending_mark_appears_and_goes_and_an_upheld_withdrawal_leaves_every_public_answer(client, factory, w):
    seen = public(client, w)
    assert [i["objection_pending"] for i in seen["card"]["list"]] == [False]
    assert [i["objection_pending"] for i in seen["company"]["list"]] == [False]
    ref = file(client, w.company.uscc, w.about_company.ref, w.t_admin).get_json()["ref"]
    seen = public(client, w)
    assert [i["objection_pending"] for i in seen["company"]["list"]] == [True]
    assert [i["objection_pending"] for i in seen["card"]["list"]] == [False]  # the worker's: not objected
    page = client.get(f"/companies/{w.company.uscc}?lang=zh").get_data(as_text=True)
    assert "异议处理中" in page
    assert "Objection pending" in client.get(f"/companies/{w.company.uscc}?lang=en").get_data(as_text=True)
    assert "异议处理中" not in client.get(f"/c/{w.world.card_no}?lang=zh").get_data(as_text=True)
    assert step(client, w.about_company.ref, ref, w.t_hk, step="accept").status_code == 200
    assert public(client, w)["company"]["list"][0]["objection_pending"] is True
    resp = step(client, w.about_company.ref, ref, w.t_hk, step="uphold", reason="服务记录证明投诉不实。",
                outcome="withdraw")
    assert resp.status_code == 200 and resp.get_json() | {"log_index": 0} == {
        "log_index": 0, "state": "upheld", "complaint_state": "withdrawn"}
    # One entry, the complaint's: its state withdrawn, the objection upheld.
    logged = json.loads(db.session.get(LogEntry, resp.get_json()["log_index"]).body)
    state = canonical.state_of(factory.ring, db.session.get(Complaint, w.about_company.id))
    assert logged["action"] == "complaint:objection:uphold" and logged["digest"] == canonical.digest(state)
    assert state["state"] == "withdrawn" and state["objections"][0]["outcome"] == "withdraw"
    seen = public(client, w)
    assert seen["company"] == {"substantiated": 0, "list": []}
    assert "异议处理中" not in client.get(f"/companies/{w.company.uscc}?lang=zh").get_data(as_text=True)
    # The worker's own complaint stays, now objected to in self-service and the mark on the card.
    token = worker_token(factory, w.world)
    mine = client.post(f"/api/v1/self/complaints/{w.about_worker.ref}/objections", data={"reasons": REASONS},
                       content_type="multipart/form-data", headers=bearer(token)).get_json()["ref"]
    assert public(client, w)["card"]["list"][0]["objection_pending"] is True
    assert "异议处理中" in client.get(f"/c/{w.world.card_no}?lang=zh").get_data(as_text=True)
    # Rejected: the mark goes, the complaint stays.
    assert step(client, w.about_worker.ref, mine, w.t_hk, step="reject", reason="材料不全。").status_code == 200
    seen = public(client, w)
    assert seen["card"]["substantiated"] == 1 and seen["card"]["list"][0]["objection_pending"] is False
    # A withdrawn complaint takes no further objection.
    again = file(client, w.company.uscc, w.about_company.ref, w.t_admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_objectable"


def test_an_upheld_correction_changes_the_public_category_and_a_dismissal_changes_nothing(client, factory, w):
    ref = _walk(client, w, "accepted")
    resp = step(client, w.about_company.ref, ref, w.t_hk, step="uphold", reason="实为收费争议。", outcome="correct",
                category="fraud")
    assert resp.status_code == 200 and resp.get_json()["complaint_state"] == "substantiated"
    item, = public(client, w)["company"]["list"]
    assert (item["category"], item["objection_pending"]) == ("fraud", False)
    got = client.get(f"/api/v1/companies/{w.company.uscc}/complaints/{w.about_company.ref}/objections",
                     headers=bearer(w.t_admin)).get_json()
    assert (got[0]["outcome"], got[0]["corrected_from"], got[0]["answer"]) == ("correct", "quality", "实为收费争议。")
    # A second objection, dismissed: the complaint stays as it is.
    second = file(client, w.company.uscc, w.about_company.ref, w.t_admin).get_json()["ref"]
    assert step(client, w.about_company.ref, second, w.t_hk, step="accept").status_code == 200
    assert step(client, w.about_company.ref, second, w.t_hk, step="dismiss", reason="经复核无误。").status_code == 200
    item, = public(client, w)["company"]["list"]
    assert (item["category"], item["objection_pending"]) == ("fraud", False)


# --- deadlines, the worklist, log verify ---------------------------------------------------------

def test_the_concluding_agencys_worklist_shows_each_pending_objection_with_its_deadline(client, factory, w, clock):
    ref = _walk(client, w, "received")
    work = worklist.worklist(w.hk, START)
    (d,) = work.complaint_objections_due
    assert (d.objection.ref, d.kind, d.deadline.day, d.overdue) == (ref, "accept", date(2027, 3, 3), False)
    assert worklist.worklist(w.market, START).complaint_objections_due == []
    from tests.support.webutil import login, text

    reg = factory.agency_user(w.hk.agency)
    browser = client.application.test_client()
    assert login(browser, reg.account.login, reg.password, reg.totp_secret).status_code == 302
    page = text(browser.get("/regulator"))
    assert f'id="worklist-complaint-objection-{ref}"' in page
    assert f'/admin/complaints/{w.about_company.ref}#objections' in page
    later = worklist.worklist(w.hk, START + timedelta(days=3))
    assert later.complaint_objections_due[0].overdue and later.objections_overdue == 1
    assert step(client, w.about_company.ref, ref, w.t_hk, step="accept").status_code == 200
    (d,) = worklist.worklist(w.hk, START).complaint_objections_due
    # 10 working days from Monday 1 March: Monday 15 March.
    assert (d.kind, d.deadline.day) == ("answer", date(2027, 3, 15))
    assert step(client, w.about_company.ref, ref, w.t_hk, step="dismiss", reason="无误。").status_code == 200
    assert worklist.worklist(w.hk, START).complaint_objections_due == []


def last_message() -> int:
    from registry.notify.models import OutboxMessage

    db.session.rollback()
    return db.session.execute(select(func.max(OutboxMessage.id))).scalar() or 0


def messages(factory, since: int) -> list[dict]:
    """The text messages sent after the outbox's row `since`, oldest first."""
    from registry.notify.services import read_outbox

    db.session.rollback()
    return [m for m in reversed(read_outbox(factory.ring, limit=500)) if m["id"] > since]


def test_the_subject_is_told_each_step_of_an_objection_to_a_complaint_about_it(client, factory, w):
    def told(path, token):
        return [(n["record_kind"], n["record_ref"], n["kind"], n["agency"]["en"], n["sanction_ref"])
                for n in client.get(path, headers=bearer(token)).get_json()]

    company_path = f"/api/v1/companies/{w.company.uscc}/notifications"
    assert told(company_path, w.t_admin) == []
    before = last_message()
    ref = file(client, w.company.uscc, w.about_company.ref, w.t_admin).get_json()["ref"]
    assert step(client, w.about_company.ref, ref, w.t_hk, step="accept").status_code == 200
    assert step(client, w.about_company.ref, ref, w.t_hk, step="uphold", reason="记录不符。",
                outcome="withdraw").status_code == 200
    # A text message at each step, to the company's contact mobile, in the concluding agency's name; no reasons.
    sent = messages(factory, before)
    assert [m["recipient"] for m in sent] == ["+8613800138000"] * 3
    assert ["回执" in sent[0]["text"], "已受理" in sent[1]["text"], "异议成立" in sent[2]["text"]] == [True] * 3
    assert all(w.hk.agency.name_zh in m["text"] and "家信企业工作台" in m["text"] and REASONS not in m["text"]
               and "记录不符" not in m["text"] for m in sent)
    hk, number = w.hk.agency.name_en, w.about_company.reference
    assert told(company_path, w.t_admin) == [("complaint", number, "objection_upheld_withdraw", hk, None),
                                             ("complaint", number, "objection_accepted", hk, None),
                                             ("complaint", number, "objection_filed", hk, None)]
    # The worker's complaint is theirs alone: the company's list does not carry it, nor the worker's the company's.
    token = worker_token(factory, w.world)
    assert told("/api/v1/self/notifications", token) == []
    before = last_message()
    resp = client.post(f"/api/v1/self/complaints/{w.about_worker.ref}/objections", data={"reasons": "当天不是我。"},
                       content_type="multipart/form-data", headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    [receipt] = messages(factory, before)
    assert receipt["recipient"] == "+8613800005678" and "家信个人服务页面" in receipt["text"]
    assert told("/api/v1/self/notifications", token) == [
        ("complaint", w.about_worker.reference, "objection_filed", hk, None)]
    assert len(told(company_path, w.t_admin)) == 3


def test_log_verify_checks_the_objections_sealed_texts_and_documents(client, factory, w):
    ref = _walk(client, w, "accepted")
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures
    o = db.session.execute(select(ComplaintObjection).where(ComplaintObjection.ref == ref)).scalar_one()
    doc = db.session.execute(select(Attachment).where(Attachment.owner_kind == "complaint_objection",
                                                      Attachment.owner_id == o.id, Attachment.position == 0)
                             ).scalar_one()
    sql("UPDATE attachments SET content_enc = (SELECT content_enc FROM attachments WHERE id = :other) WHERE id = :i",
        other=doc.id + 1, i=doc.id)
    db.session.expire_all()
    failures = verify_local(factory.ring, ORIGIN).failures
    assert failures == [f"complaint {w.about_company.log_ref}: objection {ref[:8]}: document 0 does not decrypt for "
                        "this row"]


# --- pages ---------------------------------------------------------------------------------------

def test_the_subjects_object_on_their_pages_and_the_concluding_agency_answers_on_the_complaints_page(
        app, client, factory, w):
    from tests.support.selfutil import PIN, activate, last_activation_code
    from tests.support.webutil import log_actions, login, post_form, text

    # The company's admin objects from its complaints page, with a document.
    company = app.test_client()
    assert login(company, w.admin.login, "correct horse battery").status_code == 302
    page = text(company.get("/company/complaints"))
    action = f"/company/complaints/{w.about_company.ref}/objections"
    assert f'action="{action}"' in page and "提出异议" in page
    resp = post_form(company, action, {"reasons": REASONS, "documents": [(BytesIO(PDF), "a.pdf")]},
                     page="/company/complaints", content_type="multipart/form-data")
    assert resp.status_code == 302 and log_actions()[-1] == "complaint:objection:file"
    page = text(company.get("/company/complaints"))
    assert REASONS in page and f'action="{action}"' not in page  # one pending at a time: no second form
    assert "异议处理中" in text(client.get(f"/companies/{w.company.uscc}"))
    # A second one while the first is pending: refused with its reason, nothing stored.
    before = log_actions()
    resp = post_form(company, action, {"reasons": REASONS}, page="/company/complaints",
                     content_type="multipart/form-data")
    assert resp.status_code == 302 and log_actions() == before
    assert "对该记录的异议正在处理中" in text(company.get("/company/complaints"))
    # The worker, signed in, objects to the complaint about them.
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice

    selfservice.issue_activation_code(factory.ring, actor=w.admin, worker=w.worker, now=utcnow())
    db.session.commit()
    assert activate(client, w.world.card_no, last_activation_code(factory, "13800005678")).status_code == 200
    assert post_form(client, "/me/login", {"card_no": w.world.card_no, "pin": PIN}).status_code == 302
    resp = post_form(client, f"/me/complaints/{w.about_worker.ref}/objections", {"reasons": "当天不是我。"},
                     page="/me/complaints", content_type="multipart/form-data")
    assert resp.status_code == 302 and log_actions()[-1] == "complaint:objection:file"
    assert "当天不是我。" in text(client.get("/me/complaints"))
    # The concluding agency's regulator sees both, opens the document, accepts and upholds by withdrawing.
    reg = factory.agency_user(w.hk.agency)
    hk = app.test_client()
    assert login(hk, reg.account.login, reg.password, reg.totp_secret).status_code == 302
    (o,) = db.session.get(Complaint, w.about_company.id).objections
    page = text(hk.get(f"/admin/complaints/{w.about_company.ref}"))
    assert 'id="objections"' in page and REASONS in page
    doc = hk.get(f"/admin/complaints/{w.about_company.ref}/objections/{o.ref}/documents/0")
    assert doc.status_code == 200 and doc.data == PDF
    step_url = f"/admin/complaints/{w.about_company.ref}/objections/{o.ref}"
    assert post_form(hk, step_url, {"step": "accept"}, page=f"/admin/complaints/{w.about_company.ref}"
                     ).status_code == 302
    assert post_form(hk, step_url, {"step": "uphold", "reason": "服务记录证明投诉不实。"},
                     page=f"/admin/complaints/{w.about_company.ref}").status_code == 302
    assert log_actions()[-2:] == ["complaint:objection:accept", "complaint:objection:uphold"]
    assert db.session.get(Complaint, w.about_company.id).state == "withdrawn"
    public_page = text(client.get(f"/companies/{w.company.uscc}?lang=zh"))
    assert "异议处理中" not in public_page and "无经查属实的投诉" in public_page
    # A market regulator handles the complaint but did not conclude it: no step form, no document.
    market = factory.agency_user(w.market.agency)
    m = app.test_client()
    assert login(m, market.account.login, market.password, market.totp_secret).status_code == 302
    page = text(m.get(f"/admin/complaints/{w.about_worker.ref}"))
    assert "当天不是我。" in page and 'id="objection-step-' not in page
    (mine,) = db.session.get(Complaint, w.about_worker.id).objections
    assert m.get(f"/admin/complaints/{w.about_worker.ref}/objections/{mine.ref}/documents/0").status_code == 403
