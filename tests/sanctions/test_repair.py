"""Credit repair and withdrawal through the API and the services: refused before the minimum period with the
right date, accepted after; an approved repair or a withdrawal takes effect at once in the public search, the
card colour, market access and the company view; only the issuing agency decides; each step one entry."""
from __future__ import annotations

import json
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from registry.calendar import services as calendar
from registry.clock import add_months
from registry.clock import today as shanghai_today
from registry.errors import ApiError
from registry.extensions import db
from registry.keys import keyring
from registry.log.models import LogEntry
from registry.notify.models import OutboxMessage
from registry.sanctions import access, repair, search, worklist
from registry.sanctions import services as sanctions
from registry.sanctions.models import Sanction
from registry.workers.services import self_actor
from tests.support.cardworld import green_worker
from tests.support.sanctionutil import list_serious, record, regulators
from tests.support.selfutil import activate, last_activation_code

START = date(2026, 5, 29)
STATEMENT = "已全额缴纳罚款，并完成整改，向当事人赔礼道歉。"


@pytest.fixture
def world(app, factory, clock):
    clock.freeze(START)
    w = green_worker(factory)
    issuer, second = regulators(factory, "housekeeping", code="hk-repair")
    other, _ = regulators(factory, "property", code="prop-repair")
    company, admin = factory.company()
    stranger, stranger_admin = factory.company()
    return {"w": w, "issuer": issuer, "second": second, "other": other, "company": company,
            "admin": admin.account, "stranger_admin": stranger_admin.account}


def signed_in(client, factory, actor, worker) -> str:
    """A self-service session of the card world's worker (its phone on record: 13800005678)."""
    from registry.clock import now
    from registry.selfservice import services as selfservice

    selfservice.issue_activation_code(factory.ring, actor=actor, worker=worker, now=now())
    db.session.commit()
    resp = activate(client, worker.card_no, last_activation_code(factory, phone="13800005678"))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def bearer(factory, account) -> dict:
    return {"Authorization": f"Bearer {factory.token(account)}"}


def actions(s: Sanction) -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(LogEntry.action).where(LogEntry.subject == s.log_ref)
                                   .order_by(LogEntry.seq)).scalars())


def form(statement=STATEMENT, pledge=True, files=()) -> dict:
    """An application's multipart body: the statement, the pledge ("true"/"false") and the `documents` parts."""
    data = {"statement": statement, "pledge": "true" if pledge else "false"}
    if files:
        data["documents"] = [(BytesIO(body), name) for name, body in files]
    return data


def apply_company(client, factory, world, s, *, statement=STATEMENT, pledge=True, account=None, files=()):
    return client.post(f"/api/v1/companies/{world['company'].uscc}/sanctions/{s.ref}/repairs",
                       data=form(statement, pledge, files), content_type="multipart/form-data",
                       headers=bearer(factory, account or world["admin"]))


def decide(client, factory, regulator, s, repair_ref, decision="approve", reason=None):
    return client.post(f"/api/v1/sanctions/{s.ref}/repairs/{repair_ref}/decide",
                       json={"decision": decision, "reason": reason}, headers=bearer(factory, regulator))


def public_refs(today: date, **filters) -> list[str]:
    found = search.search(keyring(), search.Filters(**filters), today=today, page=1, page_size=50)
    return [h.view["ref"] for h in found.rows]


def checked(client, factory, account, item: str) -> tuple[bool, list[str]]:
    """The batch check's answer for one USCC or card number: whether a listing binds it, its public sanctions."""
    resp = client.post("/api/v1/listings/check", json={"items": [item]}, headers=bearer(factory, account))
    assert resp.status_code == 200, resp.get_json()
    [r] = resp.get_json()["results"]
    return r["listed"], [x["ref"] for x in r["sanctions"]]


# --- the minimum period ---------------------------------------------------------------------------------------

def test_a_repair_before_the_minimum_period_is_refused_with_the_day_it_becomes_possible(client, factory, clock,
                                                                                         world):
    issuer, company = world["issuer"], world["company"]
    s = record(factory, issuer, company=company, severity="general", months=12, today=START)
    sanctions.publish_sanction(factory.ring, regulator=issuer, sanction=s, today=START)
    db.session.commit()
    earliest = add_months(START, 3) + timedelta(days=1)  # 2026-08-30: 3 months from 29 May end on 29 August
    assert earliest == date(2026, 8, 30)
    before = actions(s)
    for day in (START, date(2026, 7, 1), earliest - timedelta(days=1)):
        clock.freeze(day)
        resp = apply_company(client, factory, world, s)
        assert resp.status_code == 409, resp.get_json()
        err = resp.get_json()["error"]
        assert err["code"] == "repair_too_early"
        assert err["fields"]["earliest"] == {"en": "2026-08-30", "zh": "2026-08-30"}
        assert "2026-08-30" in err["message"]["zh"] and "2026-08-30" in err["message"]["en"]
    assert actions(s) == before
    clock.freeze(earliest)
    resp = apply_company(client, factory, world, s)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["state"] == "pending" and len(body["ref"]) == 32
    assert actions(s)[-1] == "sanction:repair:apply"
    # The subject sees its application and from when it could apply.
    mine = client.get(f"/api/v1/companies/{company.uscc}/sanctions", headers=bearer(factory, world["admin"]))
    [own] = [x for x in mine.get_json() if x["ref"] == s.ref]
    assert own["repair_from"] == "2026-08-30" and own["repairable"]
    assert [(r["state"], r["statement"]) for r in own["repairs"]] == [("pending", STATEMENT)]


def test_a_minor_sanction_may_be_repaired_from_its_decision_day(client, factory, clock, world):
    s = record(factory, world["issuer"], company=world["company"], kind="warning", severity="minor", months=1,
               today=START, decision_no="商务警〔2026〕1号")
    assert apply_company(client, factory, world, s).status_code == 201


def test_the_statement_and_the_pledge_are_required_and_nothing_is_stored_without_them(client, factory, clock,
                                                                                      world):
    s = record(factory, world["issuer"], company=world["company"], kind="warning", severity="minor", months=1,
               today=START)
    before = actions(s)
    resp = apply_company(client, factory, world, s, pledge=False)
    assert resp.status_code == 422 and "pledge" in resp.get_json()["error"]["fields"]
    resp = apply_company(client, factory, world, s, statement="   ")
    assert resp.status_code == 422 and "statement" in resp.get_json()["error"]["fields"]
    assert actions(s) == before
    db.session.expire_all()
    assert db.session.get(Sanction, s.id).repairs == []


def test_only_the_subject_applies(client, factory, clock, world):
    w = world["w"]
    s = record(factory, world["issuer"], company=world["company"], kind="warning", severity="minor", months=1,
               today=START)
    # A member of another company: the sanction is not theirs (404, whether or not it exists).
    resp = client.post(f"/api/v1/companies/{world['company'].uscc}/sanctions/{s.ref}/repairs",
                       data=form(), content_type="multipart/form-data",
                       headers=bearer(factory, world["stranger_admin"]))
    assert resp.status_code == 404
    other = factory.company()[0]
    resp = client.post(f"/api/v1/companies/{other.uscc}/sanctions/{s.ref}/repairs",
                       data=form(), content_type="multipart/form-data",
                       headers=bearer(factory, world["stranger_admin"]))
    assert resp.status_code == 404
    # The worker in self-service: not their sanction.
    token = signed_in(client, factory, w.admin, w.worker)
    resp = client.post(f"/api/v1/self/sanctions/{s.ref}/repairs", data=form(),
                       content_type="multipart/form-data", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 404


# --- the effects ----------------------------------------------------------------------------------------------

def test_an_approved_repair_of_a_company_listing_ends_publication_sharing_and_punishment_at_once(client, factory,
                                                                                                   clock, world):
    issuer, second, company = world["issuer"], world["second"], world["company"]
    s = list_serious(factory, issuer, second, clock, company=company, start=START, months=36)
    today = shanghai_today()
    assert access.company_listed(company.id, today)
    assert s.ref in public_refs(today, q=company.uscc)
    assert checked(client, factory, issuer, company.uscc) == (True, [s.ref])
    assert [x["ref"] for x in client.get(f"/api/v1/companies/{company.uscc}").get_json()["sanctions"]] == [s.ref]
    # A year after the decision, not before.
    clock.freeze(add_months(s.decision_date, 12))
    assert apply_company(client, factory, world, s).get_json()["error"]["code"] == "repair_too_early"
    clock.freeze(add_months(s.decision_date, 12) + timedelta(days=1))
    today = shanghai_today()
    applied = apply_company(client, factory, world, s).get_json()
    # Pending: nothing changes yet.
    assert access.company_listed(company.id, today) and s.ref in public_refs(today)
    work = worklist.worklist(issuer, today)
    assert [(i.sanction.ref, i.repair.ref) for i in work.repairs_pending] == [(s.ref, applied["ref"])]
    resp = decide(client, factory, issuer, s, applied["ref"])
    assert resp.status_code == 200 and resp.get_json()["state"] == "repaired"
    db.session.expire_all()
    assert not access.company_listed(company.id, today)
    access.require_company_not_listed(company, today)  # no refusal: the company registers workers again
    assert s.ref not in public_refs(today) and s.ref not in public_refs(today, q=company.uscc)
    assert client.get(f"/api/v1/companies/{company.uscc}").get_json()["sanctions"] == []
    assert checked(client, factory, issuer, company.uscc) == (False, [])
    assert "列入严重失信主体名单" not in client.get(f"/companies/{company.uscc}").get_data(as_text=True)
    assert worklist.worklist(issuer, today).repairs_pending == []
    assert actions(s)[-2:] == ["sanction:repair:apply", "sanction:repair:approve"]
    # The window has not ended, yet the hourly expiry never touches a repaired sanction.
    assert sanctions.expire_due(factory.ring, add_months(s.decision_date, 40)) == 0


def test_an_approved_repair_of_a_workers_listing_turns_the_card_and_frees_the_worker(client, factory, clock, world):
    w, issuer, second = world["w"], world["issuer"], world["second"]
    s = list_serious(factory, issuer, second, clock, worker=w.worker, start=START, months=36, bars_home_service=True)
    assert client.get(f"/api/v1/cards/{w.card_no}").get_json()["status"]["colour"] == "red"
    assert access.serious_listed(w.worker.id, shanghai_today())
    clock.freeze(add_months(s.decision_date, 12) + timedelta(days=1))
    token = signed_in(client, factory, w.admin, w.worker)
    headers = {"Authorization": f"Bearer {token}"}
    [own] = client.get("/api/v1/self/sanctions", headers=headers).get_json()
    assert own["ref"] == s.ref and own["repairable"] and own["state"] == "published"
    resp = client.post(f"/api/v1/self/sanctions/{s.ref}/repairs", data=form(),
                       content_type="multipart/form-data", headers=headers)
    assert resp.status_code == 201, resp.get_json()
    db.session.rollback()
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == s.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    # The worker's own self-service actor on this sanction: never their log_ref, nor their actor_ref itself, nor
    # the shared `worker`; the application's row names it too.
    db.session.refresh(w.worker)
    actor = json.loads(entry.body)["actor"]
    assert entry.action == "sanction:repair:apply" and actor == self_actor(w.worker, s.log_ref)
    assert actor not in (w.worker.actor_ref, w.worker.log_ref, "worker")
    assert [r.applicant for r in s.repairs] == [actor]
    outbox = db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert decide(client, factory, second, s, resp.get_json()["ref"]).status_code == 200
    db.session.expire_all()
    today = shanghai_today()
    view = client.get(f"/api/v1/cards/{w.card_no}").get_json()
    assert view["status"]["colour"] != "red" and view["sanctions"] == []
    assert not access.serious_listed(w.worker.id, today) and access.check_worker(w.worker.id, today) == []
    assert s.ref not in public_refs(today)
    # The worker is told by text message (no names, no facts).
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == outbox + 1
    [own] = client.get("/api/v1/self/sanctions", headers=headers).get_json()
    assert own["state"] == "repaired" and own["repairs"][0]["state"] == "approved" and not own["repairable"]


# --- who decides, and every refused transition -----------------------------------------------------------------

def test_only_the_issuing_agency_decides_a_repair_and_a_rejection_says_why(client, factory, clock, world):
    issuer, company = world["issuer"], world["company"]
    s = record(factory, issuer, company=company, kind="warning", severity="minor", months=3, today=START)
    applied = apply_company(client, factory, world, s).get_json()
    # A second application while one is pending.
    resp = apply_company(client, factory, world, s)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "repair_pending"
    # Another agency's regulator, a company member: refused.
    resp = decide(client, factory, world["other"], s, applied["ref"])
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_issuing_agency"
    assert decide(client, factory, world["admin"], s, applied["ref"]).status_code == 403
    assert decide(client, factory, issuer, s, "0" * 32).status_code == 404
    # A rejection needs its reasons.
    resp = decide(client, factory, issuer, s, applied["ref"], decision="reject")
    assert resp.status_code == 422 and "reason" in resp.get_json()["error"]["fields"]
    before = actions(s)
    resp = decide(client, factory, issuer, s, applied["ref"], decision="reject", reason="未提交缴款凭证。")
    assert resp.status_code == 200 and resp.get_json()["state"] == "decided"
    assert actions(s) == [*before, "sanction:repair:reject"]
    # Decided once: neither approved nor rejected again.
    for decision in ("approve", "reject"):
        resp = decide(client, factory, issuer, s, applied["ref"], decision=decision, reason="再次")
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "wrong_state"
    # Rejected: it may apply again, and this one is approved.
    again = apply_company(client, factory, world, s).get_json()
    assert decide(client, factory, issuer, s, again["ref"]).get_json()["state"] == "repaired"
    resp = apply_company(client, factory, world, s)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "already_ended"
    mine = client.get(f"/api/v1/companies/{company.uscc}/sanctions", headers=bearer(factory, world["admin"]))
    [own] = [x for x in mine.get_json() if x["ref"] == s.ref]
    assert [(r["state"], r["reason"]) for r in own["repairs"]] == [("rejected", "未提交缴款凭证。"),
                                                                   ("approved", None)]


def test_nothing_to_repair_once_the_window_ended_or_before_the_decision(client, factory, clock, world):
    issuer, company = world["issuer"], world["company"]
    s = record(factory, issuer, company=company, kind="warning", severity="minor", months=1, today=START)
    clock.freeze(s.window_end + timedelta(days=1))
    sanctions.expire_due(factory.ring, shanghai_today())
    db.session.commit()
    resp = apply_company(client, factory, world, s)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "window_over"
    listing = record(factory, issuer, company=company, kind="serious_list", severity="serious", months=36,
                     today=shanghai_today())
    # Proposed: not the subject's decided sanction yet.
    assert apply_company(client, factory, world, listing).status_code == 404


def test_a_pending_repair_cannot_be_approved_once_the_sanction_was_withdrawn(client, factory, clock, world):
    issuer, company = world["issuer"], world["company"]
    s = record(factory, issuer, company=company, kind="warning", severity="minor", months=3, today=START)
    applied = apply_company(client, factory, world, s).get_json()
    assert [p.repair.ref for p in worklist.worklist(issuer, START).repairs_pending] == [applied["ref"]]
    repair.withdraw_sanction(factory.ring, regulator=issuer, sanction=s, today=START, authority="agency",
                             revoked_on=START, reason="本机关自行撤销原决定")
    db.session.commit()
    resp = decide(client, factory, issuer, s, applied["ref"])
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "already_ended"
    # Nothing left to answer: off the worklist.
    assert worklist.worklist(issuer, START).repairs_pending == []


# --- withdrawal -----------------------------------------------------------------------------------------------

def revoke(client, factory, regulator, s, **over):
    body = {"authority": "review", "revoked_on": START.isoformat(), "reason": "行政复议决定撤销原处罚决定。", **over}
    return client.post(f"/api/v1/sanctions/{s.ref}/revocation", json=body, headers=bearer(factory, regulator))


def withdraw(client, factory, regulator, s, **body):
    return client.post(f"/api/v1/sanctions/{s.ref}/withdraw", json=body, headers=bearer(factory, regulator))


def test_a_revoked_decision_is_pending_on_the_worklist_then_withdrawn_at_once(client, factory, clock, world):
    w, issuer, second = world["w"], world["issuer"], world["second"]
    s = list_serious(factory, issuer, second, clock, worker=w.worker, start=START, months=36, bars_home_service=True)
    revoked = shanghai_today()
    # The review body (another agency's regulator) records the revocation; the sanction stays until withdrawn.
    resp = revoke(client, factory, world["other"], s, revoked_on=revoked.isoformat())
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "published"
    assert s.ref in public_refs(revoked)
    resp = revoke(client, factory, issuer, s, revoked_on=revoked.isoformat())
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "revocation_recorded"
    # Due on the 3rd working day after the revocation (行政处罚法 arts. 48, 85), overdue the day after.
    by = calendar.working_day_after(revoked, 3).day
    for day, overdue in ((revoked, False), (by, False), (by + timedelta(days=1), True)):
        [due] = worklist.worklist(issuer, day).withdrawals_due
        assert (due.sanction.ref, due.withdraw_by, due.overdue) == (s.ref, by, overdue)
    assert worklist.worklist(world["other"], revoked).withdrawals_due == []
    # Only the issuing agency withdraws.
    resp = withdraw(client, factory, world["other"], s)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "not_issuing_agency"
    resp = withdraw(client, factory, issuer, s, authority="court")
    assert resp.status_code == 422 and "authority" in resp.get_json()["error"]["fields"]
    clock.freeze(revoked + timedelta(days=1))
    resp = withdraw(client, factory, issuer, s)
    assert resp.status_code == 200 and resp.get_json()["state"] == "withdrawn"
    db.session.expire_all()
    today = shanghai_today()
    assert s.ref not in public_refs(today)
    assert client.get(f"/api/v1/cards/{w.card_no}").get_json()["status"]["colour"] != "red"
    assert access.check_worker(w.worker.id, today) == []
    assert worklist.worklist(issuer, today).withdrawals_due == []
    view = client.get(f"/api/v1/sanctions/{s.ref}", headers=bearer(factory, issuer)).get_json()
    assert view["state"] == "withdrawn" and not view["public"] and not view["in_effect"]
    assert view["withdrawal"]["authority"] == "review" and view["withdrawal"]["late"] is False
    assert actions(s)[-2:] == ["sanction:revocation", "sanction:withdraw"]
    resp = withdraw(client, factory, issuer, s)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "already_withdrawn"
    # Neither repaired nor revoked again.
    assert revoke(client, factory, issuer, s).get_json()["error"]["code"] == "already_withdrawn"


def test_the_issuing_agency_withdraws_directly_giving_the_revocation(client, factory, clock, world):
    issuer, company = world["issuer"], world["company"]
    s = record(factory, issuer, company=company, severity="general", months=6, today=START)
    sanctions.publish_sanction(factory.ring, regulator=issuer, sanction=s, today=START)
    db.session.commit()
    resp = withdraw(client, factory, issuer, s)
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"authority", "revoked_on", "reason"}
    resp = withdraw(client, factory, issuer, s, authority="court", revoked_on=(START + timedelta(days=1)).isoformat(),
                    reason="法院判决撤销")
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["revoked_on"]
    assert s.ref in public_refs(START)
    resp = withdraw(client, factory, issuer, s, authority="court", revoked_on=START.isoformat(), reason="法院判决撤销")
    assert resp.status_code == 200
    assert s.ref not in public_refs(START)
    assert client.get(f"/api/v1/companies/{company.uscc}").get_json()["sanctions"] == []
    assert actions(s)[-1] == "sanction:withdraw"


def test_nothing_to_withdraw_before_a_decision(client, factory, clock, world):
    issuer = world["issuer"]
    listing = record(factory, issuer, company=world["company"], kind="serious_list", severity="serious", months=36,
                     today=START)
    for resp in (revoke(client, factory, issuer, listing),
                 withdraw(client, factory, issuer, listing, authority="agency", revoked_on=START.isoformat(),
                          reason="撤销")):
        assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "wrong_state"
    with pytest.raises(ApiError):
        repair.record_revocation(factory.ring, regulator=world["admin"], sanction=listing, today=START,
                                 authority="court", revoked_on=START, reason="x")


def test_each_step_reads_the_sanction_again_under_its_lock(factory, clock, world):
    """An application made meanwhile (here written behind the loaded object's back, as another request would) is
    seen: a second application is refused, not stored beside the first."""
    from sqlalchemy import insert

    from registry.sanctions.models import SanctionRepair

    s = record(factory, world["issuer"], company=world["company"], kind="warning", severity="minor", months=1,
               today=START)
    assert s.repairs == []  # loaded, empty
    db.session.execute(insert(SanctionRepair.__table__).values(
        sanction_id=s.id, ref="a" * 32, applicant_kind="company", applicant=world["admin"].ref, statement_enc="x",
        statement_state="x", pledge="x", applied_dt=clock_now(), state="pending"))
    with pytest.raises(ApiError) as e:
        repair.apply_for_repair(factory.ring, sanction=s, applicant_kind="company", applicant=world["admin"].ref,
                                today=START, statement=STATEMENT, pledge=True)
    assert e.value.code == "repair_pending"
    db.session.rollback()


def clock_now():
    from registry.clock import now

    return now()


def test_a_publication_that_read_the_sanction_before_a_withdrawal_does_not_undo_it(factory, clock, world):
    """The withdrawal committed (here written behind the loaded object's back, as another request would) while the
    publication held the sanction as `decided`: under its lock the publication reads `withdrawn` and refuses."""
    from sqlalchemy import update

    s = record(factory, world["issuer"], company=world["company"], months=3, today=START)
    assert s.state == "decided"  # loaded
    db.session.execute(update(Sanction).where(Sanction.id == s.id).values(state="withdrawn"))
    with pytest.raises(ApiError) as e:
        sanctions.publish_sanction(factory.ring, regulator=world["issuer"], sanction=s, today=START)
    assert e.value.code == "wrong_state"
    db.session.rollback()


def test_a_decision_recorded_as_revoked_is_not_published(client, factory, clock, world):
    issuer = world["issuer"]
    fine = record(factory, issuer, company=world["company"], months=3, today=START)
    today = shanghai_today()
    assert fine.ref in {i.sanction.ref for i in worklist.worklist(issuer, today).publication}
    assert revoke(client, factory, world["other"], fine, revoked_on=today.isoformat()).status_code == 200
    db.session.rollback()
    with pytest.raises(ApiError) as e:
        sanctions.publish_sanction(factory.ring, regulator=issuer, sanction=fine, today=today)
    assert e.value.code == "decision_revoked"
    db.session.rollback()
    # Off the worklist's publication list; on its withdrawals.
    wl = worklist.worklist(issuer, today)
    assert fine.ref not in {i.sanction.ref for i in wl.publication}
    assert [d.sanction.ref for d in wl.withdrawals_due] == [fine.ref]
