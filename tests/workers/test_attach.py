"""Attaching an existing worker to a new employer needs the worker's confirmation.

A company that knows a person's name and ID number (they leak widely) must not
thereby read the person's phone and the records other employers entered, issue
them a card or appear as their employer. Until the worker confirms — giving the
code sent to their phone on record to the company, or in self-service — the
attachment is pending; it lapses after ATTACH_CONFIRM_DAYS.
"""
from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry import canonical
from registry.clock import now as utcnow
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.workers import attach, idnumber
from registry.workers import services as workers
from registry.workers.models import AccessRecord, Employment, Worker
from tests.support.attachutil import confirmation_texts, last_confirmation_code
from tests.support.factory import bearer

ORIGIN = "jiaxin.example/log"
PHONE = "13611112222"  # the phone on record, given by the first employer
RNG = random.Random(404)


class Attached:
    """Company A employs a worker with records; company B has just attached the same person (pending)."""

    def __init__(self, client, factory):
        self.client, self.f = client, factory
        self.today = shanghai_today()
        self.a, a_admin = factory.company()
        self.b, b_admin = factory.company()
        self.ta, self.tb = factory.token(a_admin.account), factory.token(b_admin.account)
        self.b_admin = b_admin
        self.person = {"name": "欧阳明华", "id_number": idnumber.generate(RNG, birth=date(1984, 2, 3)),
                       "occupation": "cleaner", "employment_kind": "labour_contract",
                       "start_date": self.today.isoformat(), "social_insurance": True}
        first = self.register(self.a, self.ta, phone=PHONE)
        assert first.status_code == 201 and first.get_json()["pending"] is False, first.get_json()
        self.card_no = first.get_json()["card_no"]
        rec = client.post(f"/api/v1/workers/{self.card_no}/records", headers=bearer(self.ta),
                          json={"kind": "background", "result": "passed", "checked_on": self.today.isoformat(),
                                "authority": "成都市公安局"})
        assert rec.status_code == 201, rec.get_json()
        # Company B types its own phone number for the person: the code must not go there.
        self.attached = self.register(self.b, self.tb, phone="13999998888")

    def register(self, company, token, **over):
        return self.client.post(f"/api/v1/companies/{company.uscc}/workers", json={**self.person, **over},
                                headers=bearer(token))

    @property
    def employment_id(self) -> int:
        return self.attached.get_json()["employment_id"]

    def confirm(self, code, token=None):
        return self.client.post(f"/api/v1/workers/{self.card_no}/employments/{self.employment_id}/confirm",
                                json={"code": code}, headers=bearer(token or self.tb))

    def resend(self, token=None):
        return self.client.post(
            f"/api/v1/workers/{self.card_no}/employments/{self.employment_id}/confirmation-code",
            headers=bearer(token or self.tb))

    def code(self) -> str:
        return last_confirmation_code(self.f, PHONE)

    def worker(self) -> Worker:
        db.session.rollback()
        return db.session.execute(select(Worker).where(Worker.card_no == self.card_no)).scalar_one()

    def employment(self) -> Employment:
        db.session.rollback()
        return db.session.get(Employment, self.employment_id)

    def b_acts(self) -> dict:
        """What company B may do to the worker as an employer (each would change something if allowed)."""
        c, h = self.client, bearer(self.tb)
        return {
            "record": c.post(f"/api/v1/workers/{self.card_no}/records", headers=h, json={
                "kind": "identity", "result": "verified", "checked_on": self.today.isoformat()}).status_code,
            "card": c.post(f"/api/v1/workers/{self.card_no}/cards", headers=h).status_code,
            "activation": c.post(f"/api/v1/workers/{self.card_no}/activation-code", headers=h).status_code,
            "end": c.post(f"/api/v1/workers/{self.card_no}/employment-end", headers=h,
                          json={"end_date": self.today.isoformat()}).status_code,
            "print": c.post(f"/api/v1/companies/{self.b.uscc}/card-prints", headers=h,
                            json={"card_nos": [self.card_no]}).status_code,
        }

    def b_sees(self) -> dict:
        """What company B can read of the worker, endpoint by endpoint."""
        c, h = self.client, bearer(self.tb)
        staff = c.get(f"/api/v1/companies/{self.b.uscc}/workers", headers=h).get_json()
        states = c.get(f"/api/v1/companies/{self.b.uscc}/states", headers=h).get_json()
        return {
            "detail": c.get(f"/api/v1/workers/{self.card_no}", headers=h).status_code,
            "staff": [(r["card_no"], r["awaiting_confirmation"]) for r in staff],
            "states": [w["state"]["card_no"] for w in states["workers"]],
            "public_employers": [e["uscc"] for e in c.get(f"/api/v1/cards/{self.card_no}").get_json()["employers"]],
            "public_staff": c.get(f"/api/v1/companies/{self.b.uscc}").get_json()["staff_by_occupation"],
        }


@pytest.fixture
def w(client, factory):
    return Attached(client, factory)


def log_actions(subject: str) -> list[str]:
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.subject == subject)
                                   .order_by(LogEntry.seq)).scalars())


def digest_matches(factory, worker: Worker) -> bool:
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == worker.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    return json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(factory.ring, worker))


def verifies(factory) -> None:
    db.session.rollback()
    db.session.expire_all()
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures


def test_an_attachment_opens_nothing_until_the_worker_confirms(w):
    assert w.attached.status_code == 201, w.attached.get_json()
    body = w.attached.get_json()
    until = w.today + timedelta(days=7)
    assert body["card_no"] == w.card_no and body["created"] is False
    assert body["pending"] is True and body["pending_until"] == until.isoformat()
    sees = w.b_sees()
    assert sees["detail"] == 404
    before = db.session.execute(select(LogEntry.seq).order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    acts = w.b_acts()
    # Card issuing (single and bulk), records, activation codes, ending: as for anyone who does not employ them.
    assert acts == {"record": 404, "card": 404, "activation": 404, "end": 404, "print": 422}, acts
    db.session.rollback()
    assert db.session.execute(select(LogEntry.seq).order_by(LogEntry.seq.desc()).limit(1)).scalar_one() == before
    # Listed as awaiting the worker's confirmation; nowhere counted as employing them.
    assert sees["staff"] == [(w.card_no, True)]
    assert sees["states"] == [] and sees["public_staff"] == []
    assert sees["public_employers"] == [w.a.uscc]
    # The code went to the phone on record, never to the number B typed, never into an answer or the log.
    code = w.code()
    assert confirmation_texts(w.f, "13999998888") == []
    assert code not in w.attached.get_data(as_text=True)
    assert not any(code in e.body.decode() if isinstance(e.body, bytes) else code in e.body
                   for e in db.session.execute(select(LogEntry)).scalars())
    # Opening the phone to send it is in the worker's access record, named for B.
    worker = w.worker()
    rows = db.session.execute(select(AccessRecord).where(AccessRecord.worker_id == worker.id,
                                                         AccessRecord.purpose == "confirmation_code")).scalars().all()
    assert [(r.organisation, r.fields) for r in rows] == [(w.b.name, "phone")]
    # Logged like any change of the worker, and the digest covers the pending state.
    assert log_actions(worker.log_ref) == ["worker:register", "worker:record:add", "worker:employ:pending"]
    state = canonical.state_of(w.f.ring, worker)
    assert state["employments"][1]["pending_until"] == until.isoformat()
    assert "pending_until" not in state["employments"][0] and "confirmed" not in state["employments"][0]
    assert digest_matches(w.f, worker)
    verifies(w.f)


def test_the_company_confirms_with_the_code_the_worker_gave_it(w):
    resp = w.confirm(w.code().lower()[:4] + "-" + w.code()[4:])  # typed forgivingly, like every code
    assert resp.status_code == 200, resp.get_json()
    entry = db.session.get(LogEntry, resp.get_json()["log_index"])
    assert entry.action == "worker:employ:confirm"
    detail = w.client.get(f"/api/v1/workers/{w.card_no}", headers=bearer(w.tb))
    assert detail.status_code == 200 and detail.get_json()["phone"] == "+86" + PHONE
    assert [r["kind"] for r in detail.get_json()["records"]] == ["background"]
    sees = w.b_sees()
    assert sees["staff"] == [(w.card_no, False)] and sees["states"] == [w.card_no]
    assert sorted(sees["public_employers"]) == sorted([w.a.uscc, w.b.uscc])
    employment = w.employment()
    assert employment.active and employment.confirmed_by == json.loads(entry.body)["actor"]
    # Confirming twice: the attachment no longer awaits anything.
    assert w.confirm(w.code()).status_code == 404
    assert digest_matches(w.f, w.worker())
    verifies(w.f)


def test_a_wrong_code_is_refused_counted_and_burns_the_code_at_the_fifth(w):
    code = w.code()
    wrong = "2222-2222" if code != "22222222" else "3333-3333"
    resp = w.confirm(wrong)
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "confirmation_code_invalid" and err["message"]["zh"] and "code" in err["fields"]
    assert w.confirm("short").get_json()["error"]["code"] == "code_format"
    for _ in range(4):
        assert w.confirm(wrong).status_code == 422
    # Five wrong tries burnt it: the right code no longer works, and nothing opened.
    assert w.confirm(code).status_code == 422
    assert not w.employment().active
    assert w.client.get(f"/api/v1/workers/{w.card_no}", headers=bearer(w.tb)).status_code == 404
    # A new code (sent again, to the same phone) works.
    sent = w.resend()
    assert sent.status_code == 200 and sent.get_json() == {"sent": True,
                                                           "pending_until": w.employment().pending_until.isoformat()}
    assert w.confirm(w.code()).status_code == 200


def test_sending_again_cuts_off_the_earlier_code(w):
    old = w.code()
    assert w.resend().status_code == 200
    new = w.code()
    assert new != old
    assert w.confirm(old).status_code == 422
    assert w.confirm(new).status_code == 200


def test_other_companies_cannot_confirm_or_resend(w, factory):
    code = w.code()
    # Company A employs the worker but did not make this attachment; a stranger knows nothing of it.
    _c, c_admin = factory.company()
    for token in (w.ta, factory.token(c_admin.account)):
        assert w.confirm(code, token).status_code == 404
        assert w.resend(token).status_code == 404
    assert not w.employment().active
    assert w.confirm(code).status_code == 200


def test_wrong_codes_spend_the_cards_attempt_budget(app, w, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "3 per minute")
    from registry.extensions import limiter

    limiter.reset()
    answers = [w.confirm("2222-2222").status_code for _ in range(4)]
    assert answers == [422, 422, 422, 429]
    assert int(w.confirm(w.code()).headers["Retry-After"]) > 0
    # The worker's own sign-in shares the card's budget: the failures refuse it too until the window passes.
    assert w.client.post("/api/v1/self/login", json={"card_no": w.card_no, "pin": "999990"}).status_code == 429
    limiter.reset()


def test_sending_codes_again_has_its_own_budget_and_never_spends_the_workers(app, w, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "3 per minute")
    from registry.extensions import limiter

    limiter.reset()
    # Every send counts, so a company cannot flood the worker's phone ...
    assert [w.resend().status_code for _ in range(4)] == [200, 200, 200, 429]
    # ... but sending is no failed guess: the code the worker gives still confirms.
    assert w.confirm(w.code()).status_code == 200
    limiter.reset()


def test_right_codes_never_spend_the_budget(app, w, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "2 per minute")
    from registry.extensions import limiter

    limiter.reset()
    assert w.confirm("2222-2222" if w.code() != "22222222" else "3333-3333").status_code == 422
    # One failure is on the budget; a right confirmation does not add to it, so one more failure is allowed.
    assert w.confirm(w.code()).status_code == 200
    assert w.confirm(w.code()).status_code == 404  # nothing awaits any more: a failure, counted
    assert w.confirm(w.code()).status_code == 429
    limiter.reset()


def test_wrong_codes_on_the_staff_page_spend_the_budget_though_the_page_redirects(app, w, monkeypatch):
    from registry.extensions import limiter
    from tests.support.webutil import login, post_form

    monkeypatch.setitem(app.config, "ATTEMPT_LIMIT", "2 per minute")
    limiter.reset()
    browser = app.test_client()
    assert login(browser, w.b_admin.account.login, w.b_admin.password).status_code == 302
    url = f"/company/workers/{w.card_no}/employments/{w.employment_id}/confirm"
    wrong = "2222-2222" if w.code() != "22222222" else "3333-3333"
    for _ in range(2):
        assert post_form(browser, url, {"code": wrong}, page="/company/workers").status_code == 302
    refused = post_form(browser, url, {"code": w.code()}, page="/company/workers")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert not w.employment().active
    limiter.reset()


def test_the_worker_confirms_in_self_service(w):
    token = _signed_in(w)
    me = w.client.get("/api/v1/self", headers=bearer(token)).get_json()
    assert [(a["employment_id"], a["company_uscc"]) for a in me["awaiting_confirmation"]] == [
        (w.employment_id, w.b.uscc)]
    # Not yet part of their employment history.
    assert [e["company_uscc"] for e in me["employments"]] == [w.a.uscc]
    resp = w.client.post(f"/api/v1/self/employments/{w.employment_id}/confirm", headers=bearer(token))
    assert resp.status_code == 200, resp.get_json()
    entry = db.session.get(LogEntry, resp.get_json()["log_index"])
    # An entry on the worker's own record: the shared worker actor, never their log_ref (the entry's subject) nor
    # their own actor ref (which would tie the two together in the public log).
    worker = w.worker()
    assert (entry.action, json.loads(entry.body)["actor"]) == ("worker:employ:confirm", "worker")
    assert entry.subject == worker.log_ref
    assert w.employment().confirmed_by == "worker"
    assert w.client.get(f"/api/v1/workers/{w.card_no}", headers=bearer(w.tb)).status_code == 200
    me = w.client.get("/api/v1/self", headers=bearer(token)).get_json()
    assert me["awaiting_confirmation"] == [] and len(me["employments"]) == 2
    # The code sent earlier is spent with the confirmation.
    assert w.confirm(w.code()).status_code == 404
    verifies(w.f)


def test_the_worker_refuses_a_company_they_do_not_know(w):
    token = _signed_in(w)
    resp = w.client.post(f"/api/v1/self/employments/{w.employment_id}/decline", headers=bearer(token))
    assert resp.status_code == 200
    assert db.session.get(LogEntry, resp.get_json()["log_index"]).action == "worker:employment:end"
    employment = w.employment()
    assert employment.end_date is not None and not employment.active
    assert w.confirm(w.code()).status_code == 404
    assert w.b_sees()["staff"] == []
    # Another worker's session cannot answer this attachment.
    assert w.client.post(f"/api/v1/self/employments/{w.employment_id}/confirm",
                         headers=bearer(token)).status_code == 404
    verifies(w.f)


def _signed_in(w) -> str:
    """A self-service session of the worker (company A sends the activation code)."""
    from registry.selfservice import services as selfservice

    issued = selfservice.issue_activation_code(w.f.ring, actor=_admin_of(w), worker=w.worker(), now=utcnow())
    db.session.commit()
    resp = w.client.post("/api/v1/self/activate", json={"card_no": w.card_no, "code": issued.code, "pin": "204937"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def _admin_of(w):
    """Company A's admin account (who sends the worker their activation code)."""
    from registry.accounts.models import Account

    return db.session.execute(select(Account).where(Account.company_id == w.a.id)).scalars().first()


def test_an_unconfirmed_attachment_lapses_and_the_job_ends_it(w, app):
    code = w.code()
    lapse_day = w.today + timedelta(days=8)
    # Past its last day the code no longer confirms (treated as lapsed at once, before the job runs) ...
    with pytest.raises(Exception) as caught:
        attach.confirm_with_code(w.f.ring, account=_b_admin(w), company=w.b, worker=w.worker(),
                                 employment_id=w.employment_id, code=code, today=lapse_day, now=utcnow())
    assert caught.value.code == "confirmation_lapsed"
    db.session.rollback()
    # ... and the hourly job ends it, one logged change per attachment.
    assert attach.end_lapsed(w.f.ring, today=w.today, now=utcnow()) == []
    seqs = attach.end_lapsed(w.f.ring, today=lapse_day, now=utcnow())
    db.session.commit()
    assert len(seqs) == 1 and db.session.get(LogEntry, seqs[0]).action == "worker:employ:lapse"
    employment = w.employment()
    assert employment.end_date == employment.pending_until and employment.confirmed_dt is None
    assert w.confirm(code).status_code == 404
    assert w.b_sees()["staff"] == []
    # The lapsed attachment stays out of the worker's history; B may register the person again.
    assert [e["company_uscc"] for e in w.client.get(f"/api/v1/workers/{w.card_no}", headers=bearer(w.ta))
            .get_json()["employments"]] == [w.a.uscc]
    again = w.register(w.b, w.tb, phone=PHONE)
    assert again.status_code == 201 and again.get_json()["pending"] is True
    assert digest_matches(w.f, w.worker())
    verifies(w.f)


def test_the_lapse_job_is_scheduled_hourly(app):
    from jobs.schedules import SCHEDULES

    (schedule,) = [s for s in SCHEDULES if s.name == "workers.lapse_attachments"]
    assert schedule.seconds == 3600 and callable(schedule.resolve())


def test_the_confirmation_window_is_configurable(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACH_CONFIRM_DAYS", 2)
    w = Attached(client, factory)
    assert w.attached.get_json()["pending_until"] == (w.today + timedelta(days=2)).isoformat()


def test_registering_again_while_pending_is_a_conflict(w):
    again = w.register(w.b, w.tb, phone=PHONE)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "confirmation_pending"
    assert w.register(w.a, w.ta, phone=PHONE).get_json()["error"]["code"] == "already_employed"


def test_a_new_person_is_confirmed_at_once(w, client, factory):
    resp = w.register(w.b, w.tb, id_number=idnumber.generate(RNG, birth=date(1990, 5, 6)), phone="13512340000")
    assert resp.status_code == 201 and resp.get_json()["pending"] is False
    assert client.get(f"/api/v1/workers/{resp.get_json()['card_no']}", headers=bearer(w.tb)).status_code == 200


def test_a_lapsed_attachment_the_job_has_not_ended_gives_way_to_a_new_registration(w):
    later = w.today + timedelta(days=9)
    reg = workers.register_worker(w.f.ring, account=_b_admin(w), company=w.b, today=later,
                                  person=workers.Person(w.person["name"], w.person["id_number"], PHONE),
                                  engagement=workers.Engagement("cleaner", "labour_contract", later, True))
    db.session.commit()
    assert reg.pending and w.employment().end_date is not None
    assert digest_matches(w.f, w.worker())


def _b_admin(w):
    from registry.accounts.models import Account

    return db.session.execute(select(Account).where(Account.company_id == w.b.id)).scalars().first()
