"""Objections (异议) to a service's review over HTTP: filed by its company's members or its worker in self-service
with sealed documents, answered by a regulator of the company's sector or market supervision, each step one entry
of the service; `objection_pending` on the public summaries while one is pending; an upheld objection withdraws the
review from every public summary in the same entry; log verify checks the documents."""
from __future__ import annotations

import hashlib
import json
from io import BytesIO

import pytest
from sqlalchemy import select

from registry import canonical
from registry.attachments.models import Attachment
from registry.extensions import db
from registry.keys.crypto import state_hmac
from registry.log.models import LogEntry
from registry.log.verify import verify_local
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
    hk = factory.agency_user(factory.agency(sector="housekeeping", code="hk")).account
    market = factory.agency_user(factory.agency(sector="market", code="mkt")).account
    prop = factory.agency_user(factory.agency(sector="property", code="prop")).account
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
