"""Objections (异议) to a service's review over HTTP: filed by its company's members or its worker in self-service
with sealed documents, answered by a regulator of the company's sector or market supervision, each step one entry
of the service; `objection_pending` on the public summaries while one is pending; an upheld objection withdraws the
review from every public summary in the same entry; log verify checks the documents."""
from __future__ import annotations

import hashlib
import json
from io import BytesIO

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.attachments.models import Attachment
from registry.clock import SHANGHAI
from registry.extensions import db
from registry.keys.crypto import state_hmac
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.notify.models import OutboxMessage
from registry.notify.services import read_outbox
from registry.sanctions import objection_rules as orules
from registry.trace.models import ReviewObjection, ServiceRecord
from registry.trace.services import reference_of
from registry.workers.services import self_actor
from tests.support.cardworld import green_worker
from tests.support.factory import bearer
from tests.support.logutil import ORIGIN, sql
from tests.support.traceutil import last_review_code, record

PDF = b"%PDF-1.7\n% evidence: the signed service sheet\n"
REASONS = "该评价所述情况与服务记录不符，附签收单。"


def entries(subject: str) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.subject == subject)
                                   .order_by(LogEntry.seq)).scalars())


@pytest.fixture
def w(app, client, factory):
    world = green_worker(factory)

    def reviewed(n, rating, tags):
        service = record(factory, world, phone=f"139{n:08d}")
        reference, code = last_review_code(factory)
        resp = client.post("/api/v1/reviews", json={"reference": reference, "code": code, "rating": rating,
                                                    "tags": tags})
        assert resp.status_code == 201, resp.get_json()
        return service

    class W:
        pass

    x = W()
    x.world, x.company, x.admin, x.worker = world, world.company, world.admin, world.worker
    x.good = reviewed(1, 5, ["punctual"])
    x.bad = reviewed(2, 1, ["rude"])
    x.number = reference_of(x.bad.ref)
    x.hk_user = factory.agency_user(factory.agency(sector="housekeeping", code="hk"))
    market = factory.agency_user(factory.agency(sector="market", code="mkt")).account
    x.prop_user = factory.agency_user(factory.agency(sector="property", code="prop"))
    hk, prop = x.hk_user.account, x.prop_user.account
    other = green_worker(factory, name="李桂兰", seed=9)
    x.other = other
    x.t_admin, x.t_other = factory.token(world.admin), factory.token(other.admin)
    x.t_hk, x.t_market, x.t_prop = factory.token(hk), factory.token(market), factory.token(prop)
    return x


def file(client, w, token, *, reasons=REASONS, documents=(("a.pdf", PDF),), uscc=None, number=None):
    data = {"reasons": reasons, "documents": [(BytesIO(b), name) for name, b in documents]}
    return client.post(f"/api/v1/companies/{uscc or w.company.uscc}/services/{number or w.number}/review/objections",
                       data=data, content_type="multipart/form-data", headers=bearer(token))


def step(client, w, objection_ref, token, **body):
    return client.post(f"/api/v1/services/{w.number}/review/objections/{objection_ref}/steps", json=body,
                       headers=bearer(token))


def summaries(client, w) -> dict:
    return {"card": client.get(f"/api/v1/cards/{w.world.card_no}").get_json()["reviews"],
            "company": client.get(f"/api/v1/companies/{w.company.uscc}").get_json()["reviews"]}


def test_the_company_objects_in_one_entry_of_the_service_and_only_the_right_regulators_answer(client, factory, w):
    before = entries(w.bad.log_ref)
    resp = file(client, w, w.t_admin)
    assert resp.status_code == 201, resp.get_json()
    got = resp.get_json()
    assert entries(w.bad.log_ref) == before + ["service:objection:file"]
    logged = json.loads(db.session.get(LogEntry, got["log_index"]).body)
    state = canonical.state_of(factory.ring, db.session.get(ServiceRecord, w.bad.id))
    assert logged["digest"] == canonical.digest(state) and logged["actor"] == w.admin.ref
    (o,) = state["objections"]
    assert o["state"] == "received" and [d["content"] for d in o["documents"]] == [
        state_hmac(factory.ring, "attachment", hashlib.sha256(PDF).hexdigest())]
    assert REASONS not in db.session.execute(select(ReviewObjection.reasons_enc)).scalar_one()
    again = file(client, w, w.t_admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "objection_pending"
    # Not a member; not the other company's service.
    assert file(client, w, w.t_other).status_code == 403
    assert file(client, w, w.t_other, uscc=w.other.company.uscc).status_code == 404
    # A regulator of a sector the company is not in: 404; housekeeping and market read and answer.
    assert client.get(f"/api/v1/services/{w.number}/review/objections", headers=bearer(w.t_prop)).status_code == 404
    assert step(client, w, got["ref"], w.t_prop, step="accept").status_code == 404
    listed = client.get(f"/api/v1/services/{w.number}/review/objections", headers=bearer(w.t_market)).get_json()
    assert [(x["ref"], x["reasons"]) for x in listed] == [(got["ref"], REASONS)]
    doc = client.get(f"/api/v1/services/{w.number}/review/objections/{got['ref']}/documents/0",
                     headers=bearer(w.t_hk))
    assert doc.status_code == 200 and doc.data == PDF
    assert step(client, w, got["ref"], w.t_hk, step="accept").status_code == 200
    bad = step(client, w, got["ref"], w.t_hk, step="uphold", reason="不实", outcome=None)
    assert bad.status_code == 422 and "outcome" in bad.get_json()["error"]["fields"]


PATHS = {"received": [], "accepted": ["accept"], "rejected": ["reject"], "upheld": ["accept", "uphold"],
         "dismissed": ["accept", "dismiss"]}
BODY = {"accept": {}, "reject": {"reason": "材料不全。"}, "dismiss": {"reason": "评价属实。"},
        "uphold": {"reason": "评价与记录不符。", "outcome": "withdraw"}}


@pytest.mark.parametrize("state", sorted(PATHS))
@pytest.mark.parametrize("name", sorted(orules.STEPS))
def test_every_step_from_every_state_is_allowed_or_refused_as_the_table_says(client, w, state, name):
    ref = file(client, w, w.t_admin).get_json()["ref"]
    for taken in PATHS[state]:
        assert step(client, w, ref, w.t_hk, step=taken, **BODY[taken]).status_code == 200
    before = entries(w.bad.log_ref)
    resp = step(client, w, ref, w.t_market, step=name, **BODY[name])
    target = orules.transition(state, name)
    if isinstance(target, orules.Refused):
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == target.code
        assert entries(w.bad.log_ref) == before
    else:
        assert resp.status_code == 200 and resp.get_json()["state"] == target
        assert entries(w.bad.log_ref) == before + [f"service:objection:{name}"]


def test_the_pending_mark_shows_and_an_upheld_objection_withdraws_the_review_from_every_summary(client, factory, w):
    assert summaries(client, w)["card"] | {"recent_tags": None} == {
        "count": 2, "average": "3.0", "recent_tags": None, "objection_pending": False}
    # The worker objects in self-service, as their actor on this service.
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice

    issued = selfservice.issue_activation_code(factory.ring, actor=w.admin, worker=w.worker, now=utcnow())
    db.session.commit()
    token = selfservice.activate(factory.ring, card_no=w.world.card_no, code=issued.code, pin="204937",
                                 now=utcnow()).token
    db.session.commit()
    resp = client.post(f"/api/v1/self/services/{w.number}/review/objections", data={"reasons": REASONS},
                       content_type="multipart/form-data", headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    logged = json.loads(db.session.get(LogEntry, resp.get_json()["log_index"]).body)
    assert logged["actor"] == self_actor(w.worker, w.bad.log_ref) != w.worker.log_ref
    ref = resp.get_json()["ref"]
    seen = summaries(client, w)
    assert seen["card"]["objection_pending"] is True and seen["company"]["objection_pending"] is True
    assert "异议处理中" in client.get(f"/c/{w.world.card_no}?lang=zh").get_data(as_text=True)
    assert "Objection pending" in client.get(f"/companies/{w.company.uscc}?lang=en").get_data(as_text=True)
    assert step(client, w, ref, w.t_hk, step="accept").status_code == 200
    resp = step(client, w, ref, w.t_hk, step="uphold", reason="评价与服务记录不符。", outcome="withdraw")
    assert resp.status_code == 200 and resp.get_json()["review_withdrawn"] is True
    state = canonical.state_of(factory.ring, db.session.get(ServiceRecord, w.bad.id))
    assert json.loads(db.session.get(LogEntry, resp.get_json()["log_index"]).body)["digest"] == \
        canonical.digest(state)
    assert state["review"]["withdrawn_by"] is not None and state["review"]["rating"] == 1  # kept in the log
    seen = summaries(client, w)
    for s in seen.values():
        assert (s["count"], s["average"], s["objection_pending"]) == (1, "5.0", False)
        assert [t["code"] for t in s["recent_tags"]] == ["punctual"]
    page = client.get(f"/c/{w.world.card_no}?lang=zh").get_data(as_text=True)
    assert "异议处理中" not in page
    # A withdrawn review takes no further objection.
    again = file(client, w, w.t_admin)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_objectable"


def test_log_verify_checks_the_objections_documents(client, factory, w):
    ref = file(client, w, w.t_admin).get_json()["ref"]
    file(client, w, w.t_admin, number=reference_of(w.good.ref))
    assert verify_local(factory.ring, ORIGIN).ok
    o = db.session.execute(select(ReviewObjection).where(ReviewObjection.ref == ref)).scalar_one()
    doc = db.session.execute(select(Attachment).where(Attachment.owner_kind == "review_objection",
                                                      Attachment.owner_id == o.id)).scalar_one()
    other = db.session.execute(select(Attachment.id).where(Attachment.owner_kind == "review_objection",
                                                           Attachment.id != doc.id)).scalar_one()
    sql("UPDATE attachments SET content_enc = (SELECT content_enc FROM attachments WHERE id = :other) WHERE id = :i",
        other=other, i=doc.id)
    db.session.expire_all()
    assert verify_local(factory.ring, ORIGIN).failures == [
        f"service {w.bad.log_ref}: objection {ref[:8]}: document 0 does not decrypt for this row"]


def test_the_regulators_who_decide_see_each_pending_objection_on_their_worklist(client, factory, w):
    from datetime import timedelta

    from registry.accounts.models import Account
    from registry.clock import today
    from registry.sanctions import worklist

    ref = file(client, w, w.t_admin).get_json()["ref"]
    hk, market, prop = (db.session.execute(select(Account).where(Account.agency_id.is_not(None))
                                           .order_by(Account.id)).scalars().all()[-3:])
    day = today()
    for regulator in (hk, market):
        (d,) = worklist.worklist(regulator, day).review_objections_due
        assert (d.objection.ref, d.kind, d.overdue) == (ref, "accept", False)
    assert worklist.worklist(prop, day).review_objections_due == []
    assert worklist.worklist(hk, day + timedelta(days=10)).objections_overdue == 1
    # The worklist page lists it.
    from tests.support.webutil import login, text

    reg = factory.agency_user(hk.agency)
    browser = client.application.test_client()
    assert login(browser, reg.account.login, reg.password, reg.totp_secret).status_code == 302
    page = text(browser.get("/regulator"))
    assert f'id="worklist-review-objection-{ref}"' in page and w.company.name in page
    assert step(client, w, ref, w.t_hk, step="reject", reason="材料不全。").status_code == 200
    assert worklist.worklist(hk, day).review_objections_due == []


# --- pages ---------------------------------------------------------------------------------------

def test_the_subjects_object_on_their_review_pages_and_a_regulator_answers_on_the_review_page(app, client, factory, w):
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice
    from tests.support.selfutil import PIN, activate, last_activation_code
    from tests.support.webutil import log_actions, login, post_form, text

    # A review nobody objected to has no regulator's page: its text is its company's.
    hk = app.test_client()
    assert login(hk, w.hk_user.account.login, w.hk_user.password, w.hk_user.totp_secret).status_code == 302
    assert hk.get(f"/admin/reviews/{w.number}").status_code == 404
    # The company's admin sees both reviews, each with an objection form, and objects to the bad one.
    company = app.test_client()
    assert login(company, w.admin.login, "correct horse battery").status_code == 302
    action = f"/company/reviews/{w.number}/objections"
    page = text(company.get("/company/reviews"))
    assert f'action="{action}"' in page and f'action="/company/reviews/{reference_of(w.good.ref)}/objections"' in page
    # Refused (no reasons; a file that is no PDF, JPEG or PNG): the reasons shown, nothing stored.
    before = log_actions()
    resp = post_form(company, action, {"reasons": "", "documents": [(BytesIO(b"MZ\x90\x00"), "a.exe")]},
                     page="/company/reviews", content_type="multipart/form-data")
    assert resp.status_code == 302 and log_actions() == before
    page = text(company.get(resp.headers["Location"]))
    assert "请填写异议理由" in page and "PDF" in page
    resp = post_form(company, action, {"reasons": REASONS, "documents": [(BytesIO(PDF), "a.pdf")]},
                     page="/company/reviews", content_type="multipart/form-data")
    assert resp.status_code == 302 and log_actions()[-1] == "service:objection:file"
    page = text(company.get("/company/reviews"))
    assert REASONS in page and f'action="{action}"' not in page  # one pending at a time: no second form
    assert "异议处理中" in page
    assert "异议处理中" in text(client.get(f"/companies/{w.company.uscc}?lang=zh"))
    # Another company's member cannot file against this service.
    other = app.test_client()
    assert login(other, w.other.admin.login, "correct horse battery").status_code == 302
    assert post_form(other, action, {"reasons": REASONS}, page="/company/reviews",
                     content_type="multipart/form-data").status_code == 404
    # The worker, signed in, finds the reviews of their services from their record and objects to the good one.
    selfservice.issue_activation_code(factory.ring, actor=w.admin, worker=w.worker, now=utcnow())
    db.session.commit()
    assert activate(client, w.world.card_no, last_activation_code(factory, "13800005678")).status_code == 200
    assert post_form(client, "/me/login", {"card_no": w.world.card_no, "pin": PIN}).status_code == 302
    assert 'href="/me/reviews"' in text(client.get("/me"))
    mine = text(client.get("/me/reviews"))
    good = reference_of(w.good.ref)
    assert f'id="review-{good}"' in mine and f'id="review-{w.number}"' in mine
    assert w.bad.district not in mine  # not where (nor when) the service was
    assert f'action="/me/reviews/{w.number}/objections"' not in mine  # the company's objection is pending
    resp = post_form(client, f"/me/reviews/{good}/objections", {"reasons": "客户当天并未在场。"}, page="/me/reviews",
                     content_type="multipart/form-data")
    assert resp.status_code == 302 and log_actions()[-1] == "service:objection:file"
    assert "客户当天并未在场。" in text(client.get("/me/reviews"))
    actors = db.session.execute(select(LogEntry.body).where(LogEntry.subject == w.good.log_ref)
                                .order_by(LogEntry.seq)).scalars().all()
    assert json.loads(actors[-1])["actor"] == self_actor(w.worker, w.good.log_ref)
    assert client.get("/me/reviews").status_code == 200 and app.test_client().get("/me/reviews").status_code == 302
    # A housekeeping regulator follows the worklist to the review, opens the document, accepts and upholds.
    review_url = f"/admin/reviews/{w.number}"
    assert f'href="{review_url}#objections"' in text(hk.get("/regulator"))
    (o,) = db.session.get(ServiceRecord, w.bad.id).objections
    page = text(hk.get(review_url))
    assert REASONS in page and f'id="objection-step-{o.ref}"' in page
    doc = hk.get(f"{review_url}/objections/{o.ref}/documents/0")
    assert doc.status_code == 200 and doc.data == PDF and doc.headers["Cache-Control"] == "no-store"
    step_url = f"{review_url}/objections/{o.ref}"
    assert post_form(hk, step_url, {"step": "uphold", "reason": "未受理"}, page=review_url).status_code == 302
    assert log_actions()[-1] == "service:objection:file"  # upheld before acceptance: refused, nothing stored
    assert post_form(hk, step_url, {"step": "accept"}, page=review_url).status_code == 302
    assert post_form(hk, step_url, {"step": "uphold", "reason": ""}, page=review_url).status_code == 302
    assert log_actions()[-1] == "service:objection:accept"  # an uphold without reasons: refused
    assert post_form(hk, step_url, {"step": "uphold", "reason": "评价与服务记录不符。"}, page=review_url
                     ).status_code == 302
    assert log_actions()[-2:] == ["service:objection:accept", "service:objection:uphold"]
    db.session.expire_all()
    assert db.session.get(ServiceRecord, w.bad.id).review.withdrawn_dt is not None
    page = text(hk.get(review_url))
    assert f'id="objection-step-{o.ref}"' not in page and "评价已撤下" in page
    assert "评价已撤下" in text(company.get("/company/reviews"))
    # A regulator of a sector the company is not in: no page, no document, no step.
    prop = app.test_client()
    assert login(prop, w.prop_user.account.login, w.prop_user.password, w.prop_user.totp_secret).status_code == 302
    assert prop.get(review_url).status_code == 404
    assert prop.get(f"{review_url}/objections/{o.ref}/documents/0").status_code == 404


def test_the_worker_lists_the_reviews_of_their_services_in_self_service(client, factory, w):
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice

    assert client.get("/api/v1/self/reviews").status_code == 401
    issued = selfservice.issue_activation_code(factory.ring, actor=w.admin, worker=w.worker, now=utcnow())
    db.session.commit()
    token = selfservice.activate(factory.ring, card_no=w.world.card_no, code=issued.code, pin="204937",
                                 now=utcnow()).token
    db.session.commit()
    listed = client.get("/api/v1/self/reviews", headers=bearer(token)).get_json()
    assert [(r["service_reference"], r["rating"], r["objection_pending"], r["withdrawn_dt"]) for r in listed] == [
        (w.number, 1, False, None), (reference_of(w.good.ref), 5, False, None)]
    # Not when or where the service was: the worker was there, and the visit would name the household.
    assert not {"start", "end", "district", "reviewed_dt"} & set(listed[0])
    assert listed[0]["reviewed_on"] == db.session.get(ServiceRecord, w.bad.id).review.reviewed_dt.astimezone(
        SHANGHAI).date().isoformat()
    assert file(client, w, w.t_admin).status_code == 201
    listed = client.get("/api/v1/self/reviews?limit=1", headers=bearer(token)).get_json()
    assert [(r["service_reference"], r["objection_pending"]) for r in listed] == [(w.number, True)]
    bad = client.get("/api/v1/self/reviews?limit=0", headers=bearer(token))
    assert bad.status_code == 422 and "limit" in bad.get_json()["error"]["fields"]


def test_the_worker_and_the_company_are_told_each_step_of_an_objection_to_a_review(client, factory, w):
    from registry.clock import now as utcnow
    from registry.selfservice import services as selfservice

    def told(path, token):
        return [(n["record_kind"], n["record_ref"], n["kind"], n["agency"]["en"], n["sanction_ref"])
                for n in client.get(path, headers=bearer(token)).get_json()]

    issued = selfservice.issue_activation_code(factory.ring, actor=w.admin, worker=w.worker, now=utcnow())
    db.session.commit()
    token = selfservice.activate(factory.ring, card_no=w.world.card_no, code=issued.code, pin="204937",
                                 now=utcnow()).token
    db.session.commit()
    company_path = f"/api/v1/companies/{w.company.uscc}/notifications"
    assert told("/api/v1/self/notifications", token) == [] == told(company_path, w.t_admin)
    db.session.rollback()
    before = db.session.execute(select(func.max(OutboxMessage.id))).scalar() or 0
    ref = file(client, w, w.t_admin).get_json()["ref"]
    filed = ("review", w.number, "objection_filed", "The regulators", None)
    assert told(company_path, w.t_admin) == [filed]
    assert told("/api/v1/self/notifications", token) == []  # the company's objection, not the worker's
    receipt = client.get(company_path, headers=bearer(w.t_admin)).get_json()[0]["text"]
    assert receipt["en"].startswith("Your objection was received") and "监管部门将决定是否受理" in receipt["zh"]
    assert step(client, w, ref, w.t_hk, step="accept").status_code == 200
    assert step(client, w, ref, w.t_hk, step="dismiss", reason="评价属实。").status_code == 200
    hk = w.hk_user.account.agency.name_en
    # A text message at each step to the one who filed (the company's contact mobile); no reasons in it.
    db.session.rollback()
    sent = [m for m in reversed(read_outbox(factory.ring, limit=100)) if m["id"] > before]
    assert [m["recipient"] for m in sent] == ["+8613800138000"] * 3
    assert "监管部门" in sent[0]["text"] and "回执" in sent[0]["text"]
    assert all(w.hk_user.account.agency.name_zh in m["text"] for m in sent[1:]) and "异议不成立" in sent[2]["text"]
    assert all(REASONS not in m["text"] and "评价属实" not in m["text"] for m in sent)
    assert told(company_path, w.t_admin) == [("review", w.number, "objection_dismissed", hk, None),
                                             ("review", w.number, "objection_accepted", hk, None), filed]
    assert told("/api/v1/self/notifications", token) == []
    # The worker's own objection to the other review: theirs alone.
    resp = client.post(f"/api/v1/self/services/{reference_of(w.good.ref)}/review/objections",
                       data={"reasons": "客户当天并未在场。"}, content_type="multipart/form-data",
                       headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    assert told("/api/v1/self/notifications", token) == [
        ("review", reference_of(w.good.ref), "objection_filed", "The regulators", None)]
    assert len(told(company_path, w.t_admin)) == 3
    # Nobody else reads them.
    assert told(f"/api/v1/companies/{w.other.company.uscc}/notifications", w.t_other) == []
