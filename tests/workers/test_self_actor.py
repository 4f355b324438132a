"""Who acts for a worker: each worker's own self-service actor, one per record, never their log_ref (issue #15,
item 2).

A worker has no account. Every entry a worker's own action writes on another record — responding to a complaint
about them, objecting to or applying for the repair of their sanction — names as its actor the first 32 hex of
HMAC-SHA256(key: the worker's `actor_ref`, message: that record's log_ref): one actor per worker and record, so a
record publicly tied to the worker (their sanction) gives away nothing about the others (the complaints they
answered, unfounded ones included), while the worker, who reads their `actor_ref`, recomputes each. The `actor_ref`
itself (random, minted with the worker) is never an actor. An entry on the worker's own record (confirming or
declining an employer in self-service) names the shared actor `worker`: its subject already says whose record it
is. The worker's `log_ref` never appears as an actor: it would tie the worker to the other record in the public log.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import canonical
from registry.clock import now as utcnow
from registry.clock import today as shanghai_today
from registry.complaints import services as complaints
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.workers import services as workers
from registry.workers.models import Employment, Worker
from tests.support.complaintutil import file_card, step
from tests.support.selfutil import H, employ, signed_in
from tests.support.webutil import post_form

ORIGIN = "jiaxin.example/log"
HEX32 = re.compile(r"[0-9a-f]{32}")


def recomputed(actor_ref: str, subject: str) -> str:
    """What the worker computes from their actor_ref and an entry's subject, as docs/log.md says (independently of
    the registry's code): `printf %s SUBJECT | openssl dgst -sha256 -hmac ACTOR_REF`, first 32 characters."""
    return hmac.new(actor_ref.encode(), subject.encode(), hashlib.sha256).hexdigest()[:32]


def _attach(factory, company, admin, worker) -> int:
    """`company` registers the same person again: a pending attachment; its employment id."""
    person = workers.open_personal_data(factory.ring, worker)
    reg = workers.register_worker(factory.ring, account=admin.account, company=company, today=shanghai_today(),
                                  person=workers.Person(person["name"], person["id_number"], "13700000000"),
                                  engagement=workers.Engagement("cleaner", "labour_contract", shanghai_today(),
                                                                True))
    db.session.commit()
    assert reg.pending
    return reg.employment.id


def _entries() -> list[dict]:
    db.session.rollback()
    return [json.loads(body) for body in db.session.execute(select(LogEntry.body).order_by(LogEntry.seq)).scalars()]


def test_no_entry_names_a_worker_log_ref_as_its_actor_and_each_worker_acts_as_themself(app, client, factory):
    a, a_admin = factory.company()
    b, b_admin = factory.company()
    market = factory.agency_user(factory.agency(sector="market")).account
    # Registration: two workers by company A (one phone: each activation code is read as it is sent).
    first = employ(factory, a, a_admin.account)
    second = employ(factory, a, a_admin.account, name="李建华")
    first_token = signed_in(client, factory, a_admin.account, first)
    second_token = signed_in(client, factory, a_admin.account, second)
    own: dict[int, str] = {}  # log index → the card number of the worker whose action on another record wrote it
    on_own_record: list[int] = []  # log indexes of the workers' actions on their own records

    # Company B attaches both; the first confirms in self-service, the second declines (ends it).
    pending = _attach(factory, b, b_admin, first)
    resp = client.post(f"/api/v1/self/employments/{pending}/confirm", headers=H(first_token))
    assert resp.status_code == 200, resp.get_json()
    on_own_record.append(resp.get_json()["log_index"])
    declined = _attach(factory, b, b_admin, second)
    resp = client.post(f"/api/v1/self/employments/{declined}/decline", headers=H(second_token))
    assert resp.status_code == 200, resp.get_json()
    on_own_record.append(resp.get_json()["log_index"])

    # A complaint about each; each worker responds (the first twice: the same actor both times).
    for worker, token, n in ((first, first_token, 2), (second, second_token, 1)):
        filed = file_card(factory, worker)
        step(factory, market, filed.complaint, "accept")
        for i in range(n):
            resp = client.post(f"/api/v1/self/complaints/{filed.complaint.ref}/responses",
                               json={"text": f"当天按约定完成服务。{i}"}, headers=H(token))
            assert resp.status_code == 201, resp.get_json()
            own[resp.get_json()["log_index"]] = worker.card_no

    entries = _entries()
    rows = {w.card_no: w for w in db.session.execute(select(Worker)).scalars()}
    log_refs = {w.log_ref for w in rows.values()}
    actor_refs = {w.card_no: w.actor_ref for w in rows.values()}
    # No entry's actor is any worker's log_ref (nor any record's: no actor is a subject).
    assert not {e["actor"] for e in entries} & log_refs
    assert not {e["actor"] for e in entries} & {e["subject"] for e in entries}
    # Each worker's responses carry that worker's actor on that complaint, derived from their actor ref; the refs
    # are random, distinct, not the log_ref, and never an actor themselves.
    assert len(own) == 3
    for e in entries:
        if e["seq"] in own:
            assert e["actor"] == recomputed(actor_refs[own[e["seq"]]], e["subject"]), e
            assert workers.is_self_actor(rows[own[e["seq"]]], e["actor"], e["subject"])
    assert {e["action"] for e in entries if e["seq"] in own} == {"complaint:respond"}
    assert len(set(actor_refs.values())) == 2 and all(HEX32.fullmatch(r) for r in actor_refs.values())
    for w in rows.values():
        assert w.actor_ref not in (w.log_ref, w.ref, w.salt)
    assert not {e["actor"] for e in entries} & set(actor_refs.values())
    # And no one else's entry carries a worker's actor: it marks the worker's own actions only.
    worker_actors = {recomputed(r, e["subject"]) for r in actor_refs.values() for e in entries}
    assert {e["seq"] for e in entries if e["actor"] in worker_actors} == set(own)
    # On their own records the shared actor: no entry about a worker names any worker's derived actor, so the
    # public log never ties a worker's log_ref to the complaints they answered.
    by_seq = {e["seq"]: e for e in entries}
    assert [(by_seq[s]["action"], by_seq[s]["actor"]) for s in on_own_record] == [
        ("worker:employ:confirm", "worker"), ("worker:employment:end", "worker")]
    assert not {e["actor"] for e in entries if e["subject"] in log_refs} & worker_actors
    confirmed = db.session.get(Employment, pending)
    assert confirmed.confirmed_by == "worker"
    assert workers.is_self_actor(rows[first.card_no], confirmed.confirmed_by, rows[first.card_no].log_ref)
    assert "self_actor" not in canonical.worker_state(factory.ring, rows[first.card_no])
    # The worker finds their own actor beside their state, to look their actions up in the public log.
    got = client.get("/api/v1/self/state", headers=H(first_token)).get_json()
    assert got["actor_ref"] == actor_refs[first.card_no] and got["log_ref"] == rows[first.card_no].log_ref
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures


def test_a_worker_acting_on_several_records_has_a_different_actor_on_each_and_can_recompute_every_one(
        app, client, factory, clock):
    """The defect this guards against: one actor per worker on every record. A sanction about a worker is public
    (with the card number) and its entries can be matched to it, so its actor would be learnt, and with it every
    other record with that actor — the worker's responses to complaints, unfounded ones included."""
    from io import BytesIO

    from registry.attachments.models import Attachment
    from registry.clock import add_months
    from registry.complaints.models import ComplaintResponse
    from registry.sanctions import services as sanctions
    from registry.sanctions.models import SanctionObjection, SanctionRepair
    from tests.support.sanctionutil import record, regulators

    start = shanghai_today()
    clock.freeze(start)
    company, admin = factory.company()
    market = factory.agency_user(factory.agency(sector="market")).account
    hk, _ = regulators(factory, "housekeeping", code="hk-self")
    worker = employ(factory, company, admin.account)
    other = employ(factory, company, admin.account, name="李建华")
    token = signed_in(client, factory, admin.account, worker)
    other_token = signed_in(client, factory, admin.account, other)
    mine: dict[int, str] = {}  # log index → the subject (the record) the worker's own action wrote it on

    # Two complaints about the worker, answered (the first twice); one about another worker, answered by them.
    complaints_filed = [file_card(factory, worker), file_card(factory, worker)]
    for n, filed in zip((2, 1), complaints_filed, strict=True):
        step(factory, market, filed.complaint, "accept")
        for i in range(n):
            resp = client.post(f"/api/v1/self/complaints/{filed.complaint.ref}/responses",
                               json={"text": f"当天按约定完成服务。{i}"}, headers=H(token))
            assert resp.status_code == 201, resp.get_json()
            mine[resp.get_json()["log_index"]] = filed.complaint.log_ref
    theirs = file_card(factory, other)
    step(factory, market, theirs.complaint, "accept")
    resp = client.post(f"/api/v1/self/complaints/{theirs.complaint.ref}/responses", json={"text": "已处理。"},
                       headers=H(other_token))
    assert resp.status_code == 201, resp.get_json()
    their_seq = resp.get_json()["log_index"]

    # Two public fines on the worker's card: an objection to one, a repair application for the other (decided
    # long enough ago to be repairable today).
    objected = record(factory, hk, worker=worker, kind="fine", severity="general", months=12, today=start)
    repaired = record(factory, hk, worker=worker, kind="fine", severity="general", months=12, today=start,
                      decision_date=add_months(start, -4) - timedelta(days=1), decision_no="商务罚〔2026〕2号")
    for s in (objected, repaired):
        sanctions.publish_sanction(factory.ring, regulator=hk, sanction=s, today=start)
    db.session.commit()
    resp = client.post(f"/api/v1/self/sanctions/{objected.ref}/objections",
                       data={"reasons": "当天按合同完成服务，附签收单。",
                             "documents": [(BytesIO(b"%PDF-1.7\n% receipt\n"), "a.pdf")]},
                       content_type="multipart/form-data", headers=H(token))
    assert resp.status_code == 201, resp.get_json()
    mine[resp.get_json()["log_index"]] = objected.log_ref
    resp = client.post(f"/api/v1/self/sanctions/{repaired.ref}/repairs",
                       data={"statement": "已全额缴纳罚款，并完成整改。", "pledge": "true"},
                       content_type="multipart/form-data", headers=H(token))
    assert resp.status_code == 201, resp.get_json()
    db.session.rollback()
    seq = db.session.execute(select(LogEntry.seq).where(LogEntry.subject == repaired.log_ref)
                             .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    mine[seq] = repaired.log_ref

    entries = _entries()
    by_seq = {e["seq"]: e for e in entries}
    assert sorted(by_seq[s]["action"] for s in mine) == [
        "complaint:respond", "complaint:respond", "complaint:respond", "sanction:objection:file",
        "sanction:repair:apply"]
    assert all(by_seq[s]["subject"] == subject for s, subject in mine.items())
    # The worker recomputes every one of their actors from the actor_ref they read beside their state.
    actor_ref = client.get("/api/v1/self/state", headers=H(token)).get_json()["actor_ref"]
    for s, subject in mine.items():
        assert by_seq[s]["actor"] == recomputed(actor_ref, subject), by_seq[s]
    # A different actor on each record (the same one for the two responses to one complaint)...
    per_record = {subject: by_seq[s]["actor"] for s, subject in mine.items()}
    assert len(per_record) == 4 and len(set(per_record.values())) == 4
    assert len({by_seq[s]["actor"] for s, subject in mine.items()}) == 4
    # ...and no two records share any worker's actor: each worker actor in the log names one subject only.
    db.session.rollback()
    rows = db.session.execute(select(Worker)).scalars().all()
    seeds = {w.actor_ref for w in rows}
    derived = {recomputed(r, e["subject"]): e["subject"] for r in seeds for e in entries}
    subjects_of: dict[str, set] = {}
    for e in entries:
        if e["actor"] in derived:
            subjects_of.setdefault(e["actor"], set()).add(e["subject"])
    assert subjects_of and all(len(subjects) == 1 for subjects in subjects_of.values())
    assert set(subjects_of) == set(per_record.values()) | {by_seq[their_seq]["actor"]}
    # The worker's actors find their own entries only: not the other worker's response to their complaint.
    assert not workers.is_self_actor(
        next(w for w in rows if w.card_no == worker.card_no), by_seq[their_seq]["actor"], theirs.complaint.log_ref)
    me = next(w for w in rows if w.card_no == worker.card_no)
    assert all(workers.is_self_actor(me, by_seq[s]["actor"], subject) for s, subject in mine.items())
    # The actor on one record is not the worker's actor on another.
    assert not workers.is_self_actor(me, per_record[objected.log_ref], complaints_filed[0].complaint.log_ref)
    # No entry's actor is a worker's log_ref or raw actor_ref.
    actors = {e["actor"] for e in entries}
    assert not actors & {w.log_ref for w in rows} and not actors & seeds
    # The rows that record who acted equal the entry's actor of their record.
    responses = db.session.execute(select(ComplaintResponse)).scalars().all()
    for r in responses:
        if r.complaint.log_ref in per_record:
            assert r.by == per_record[r.complaint.log_ref]
    assert len([r for r in responses if r.complaint.log_ref in per_record]) == 3
    (objection,) = db.session.execute(select(SanctionObjection)).scalars().all()
    assert objection.filed_by == per_record[objected.log_ref]
    assert {a.uploaded_by for a in db.session.execute(select(Attachment)).scalars()} == {objection.filed_by}
    (application,) = db.session.execute(select(SanctionRepair)).scalars().all()
    assert application.applicant == per_record[repaired.log_ref]
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures


def test_the_page_response_names_the_worker_s_actor_and_the_page_confirmation_the_shared_one(app, factory):
    from tests.selfservice.test_pages import activated_client

    company, admin = factory.company()
    other, other_admin = factory.company()
    market = factory.agency_user(factory.agency(sector="market")).account
    worker = employ(factory, company, admin.account)
    employment_id = _attach(factory, other, other_admin, worker)
    c = activated_client(app, factory, company, admin, worker)
    assert post_form(c, f"/me/employments/{employment_id}/confirm", page="/me").status_code == 302
    filed = file_card(factory, worker)
    step(factory, market, filed.complaint, "accept")
    resp = post_form(c, f"/me/complaints/{filed.complaint.ref}/responses", {"text": "我当天按时完成了服务。"},
                     page="/me/complaints")
    assert resp.status_code == 302
    entries = _entries()
    actor_ref = db.session.execute(select(Worker.actor_ref).where(Worker.card_no == worker.card_no)).scalar_one()
    actor = recomputed(actor_ref, filed.complaint.log_ref)
    assert [(e["action"], e["actor"]) for e in entries if e["action"] in (
        "worker:employ:confirm", "complaint:respond")] == [("worker:employ:confirm", "worker"),
                                                          ("complaint:respond", actor)]
    assert verify_local(factory.ring, ORIGIN).ok


def test_a_response_to_a_complaint_about_someone_else_is_not_found(app, factory):
    from registry.errors import ApiError

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    other = employ(factory, company, admin.account, name="李建华")
    market = factory.agency_user(factory.agency(sector="market")).account
    filed = file_card(factory, worker)
    step(factory, market, filed.complaint, "accept")
    with pytest.raises(ApiError) as refused:
        complaints.respond_as_worker(factory.ring, worker=other, complaint=filed.complaint, text="不是我",
                                     now=utcnow())
    assert refused.value.status == 404
    db.session.rollback()
    assert filed.complaint.responses == []


def test_verify_names_an_entry_whose_actor_is_a_worker_log_ref(app, factory):
    """Written past the services (as a bug would): `log verify` finds it."""
    from registry.log.actions import Action
    from registry.log.services import record_change

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    filed = file_card(factory, worker)
    assert verify_local(factory.ring, ORIGIN).ok
    db.session.add(filed.complaint)
    recorded = record_change(factory.ring, actor=worker.log_ref, action=Action.COMPLAINT_RESPOND,
                             aggregate=filed.complaint)
    db.session.commit()
    report = verify_local(factory.ring, ORIGIN)
    assert any(f.startswith(f"entry {recorded.seq}: its actor is a record's log_ref") for f in report.failures), \
        report.failures


def _revision_before_self_actors() -> str:
    """The revision migration `…_worker_actor_refs` follows (found by its file, so renumbering keeps this true)."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(Path(__file__).resolve().parents[2] / "migrations"))
    (mine,) = [r for r in scripts.walk_revisions() if r.path.endswith("_worker_actor_refs.py")]
    return mine.down_revision


def test_the_migration_gives_every_existing_worker_a_fresh_random_actor_and_keeps_every_digest(app, factory):
    from flask_migrate import downgrade, upgrade

    from registry.log.actions import Action
    from registry.log.services import record_change

    company, admin = factory.company()
    other, other_admin = factory.company()
    made = [employ(factory, company, admin.account, name=n) for n in ("陈秀英", "李建华", "王芳")]
    # A confirmation from before self-service actors: confirmed_by and the entry's actor the shared "worker".
    employment_id = _attach(factory, other, other_admin, made[0])
    employment = db.session.get(Employment, employment_id)
    employment.confirmed_dt, employment.confirmed_by = utcnow(), workers.OWN_RECORD_ACTOR
    record_change(factory.ring, actor=workers.OWN_RECORD_ACTOR, action=Action.WORKER_EMPLOY_CONFIRM,
                  aggregate=employment.worker)
    db.session.commit()
    cards = [w.card_no for w in made]
    before = {w.card_no: w.actor_ref for w in made}
    assert verify_local(factory.ring, ORIGIN).ok
    db.session.remove()
    downgrade(revision=_revision_before_self_actors())
    upgrade()
    db.session.remove()
    rows = db.session.execute(select(Worker).where(Worker.card_no.in_(cards))).scalars().all()
    refs = [w.actor_ref for w in rows]
    assert len(rows) == 3 and len(set(refs)) == 3 and all(HEX32.fullmatch(r) for r in refs)
    assert not set(refs) & set(before.values())  # fresh, not re-derived
    assert not set(refs) & {x for w in rows for x in (w.log_ref, w.ref, w.salt)}
    # No state changed: the legacy confirmation names "worker", not the new ref.
    legacy = next(w for w in rows if w.card_no == cards[0])
    assert workers.is_self_actor(legacy, db.session.get(Employment, employment_id).confirmed_by, legacy.log_ref)
    assert "self_actor" not in canonical.worker_state(factory.ring, legacy)
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures
    # A worker registered after the migration gets one too.
    assert HEX32.fullmatch(employ(factory, company, admin.account, name="赵敏").actor_ref)


def test_the_derivation_is_the_documented_hmac_and_refuses_the_worker_s_own_record(app, factory):
    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    subject = "0" * 32
    assert workers.self_actor(worker, subject) == recomputed(worker.actor_ref, subject)
    assert workers.derive_self_actor(worker.actor_ref, subject) == recomputed(worker.actor_ref, subject)
    assert workers.self_actor(worker, subject) != workers.self_actor(worker, "1" * 32)
    with pytest.raises(ValueError):
        workers.self_actor(worker, worker.log_ref)  # the worker's own record takes OWN_RECORD_ACTOR
    assert not workers.is_self_actor(worker, worker.actor_ref, subject)  # the seed is never an actor
    assert not workers.is_self_actor(worker, None, subject)
    assert workers.is_self_actor(worker, workers.OWN_RECORD_ACTOR, worker.log_ref)


def test_verify_names_an_entry_whose_actor_is_a_worker_s_actor_ref(app, factory):
    """Written past the services (as the registry did before actors were per record): `log verify` finds it."""
    from registry.log.actions import Action
    from registry.log.services import record_change

    company, admin = factory.company()
    worker = employ(factory, company, admin.account)
    filed = file_card(factory, worker)
    db.session.add(filed.complaint)
    record_change(factory.ring, actor=workers.self_actor(worker, filed.complaint.log_ref),
                  action=Action.COMPLAINT_RESPOND, aggregate=filed.complaint)
    db.session.commit()
    assert verify_local(factory.ring, ORIGIN).ok
    recorded = record_change(factory.ring, actor=worker.actor_ref, action=Action.COMPLAINT_RESPOND,
                             aggregate=filed.complaint)
    db.session.commit()
    report = verify_local(factory.ring, ORIGIN)
    assert [f for f in report.failures if f.startswith(f"entry {recorded.seq}: its actor is a worker's actor_ref")], \
        report.failures
