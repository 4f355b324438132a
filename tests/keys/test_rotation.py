"""Key rotation: every purpose, look-ups during an index rotation, digests unchanged, a kill mid-way."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.clock import today as shanghai_today
from registry.extensions import db
from registry.log.models import LogEntry
from registry.workers.models import Worker
from tests.support.importutil import csv_bytes, person_rows, run_queued_tasks


def H(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def populated(app, client, factory):
    """Companies, workers (some through an import), an outbox message."""
    from registry.imports.services import start_import
    from registry.notify import services as notify

    company, admin = factory.company()
    start_import(factory.ring, account=admin.account, company=company, filename="s.csv",
                 content=csv_bytes(person_rows(30, today=shanghai_today())), keep_good=False)
    notify.send(factory.ring, notify.Message("notice", "+8613900000000", "家信通知"))
    db.session.commit()
    run_queued_tasks(app)
    return company, admin, factory.token(admin.account)


def all_digests_replay(ring) -> None:
    db.session.rollback()
    for _kind, model in canonical.aggregate_roots():
        for row in db.session.execute(select(model)).scalars():
            entry = db.session.execute(select(LogEntry).where(LogEntry.subject == row.log_ref)
                                       .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
            assert json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(ring, row))


def test_rotating_field_reencrypts_everything_and_retires_the_old_key(app, client, runner, factory, populated):
    from registry.keys.rotation import sealed_columns, values_left

    company, _admin, token = populated
    ring = factory.ring
    old = ring.current("field").id
    entries_before = db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one()
    result = runner.invoke(args=["keys", "rotate", "field"])
    assert result.exit_code == 0, result.output
    new = ring.current("field").id
    assert new != old
    db.session.rollback()
    assert values_left(ring, "field", new) == 0
    for s in sealed_columns():
        for (value,) in db.session.execute(select(getattr(s.model, s.column))):
            if value is not None:
                assert (value[:len(new) + 1] == (new + ":").encode()) if s.binary else value.startswith(new + ":")
    assert {k.id: k.state for k in ring.keys("field", fresh=True)}[old] == "retired"
    # Everything still opens, and no digest (nor the log) changed.
    card = db.session.execute(select(Worker.card_no).limit(1)).scalar_one()
    assert client.get(f"/api/v1/workers/{card}", headers=H(token)).get_json()["name"]
    assert db.session.execute(select(func.count()).select_from(LogEntry)).scalar_one() == entries_before
    all_digests_replay(ring)


@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_index_rotation_keeps_lookups_and_uniqueness_working_throughout(app, client, runner, factory, populated, field):
    from registry.keys.rotation import start_rotation, values_left
    from registry.tasks.progress import run_here

    company, admin, token = populated
    ring = factory.ring
    purpose = f"index-{field}"
    old = ring.current(purpose).id
    key, task = start_rotation(ring, purpose, actor="system")
    task_id = task.id
    db.session.commit()
    # During the rotation: a person indexed under the old key is still found (attached, not duplicated),
    # and a new person is indexed under the new key.
    other, other_admin = factory.company()
    rows = person_rows(30, today=shanghai_today())
    existing, fresh = rows[0], person_rows(1, today=shanghai_today(), seed=77)[0]
    for row, expect_created in ((existing, False), (fresh, True)):
        resp = client.post(f"/api/v1/companies/{other.uscc}/workers", headers=H(factory.token(other_admin.account)),
                           json={"name": row["name"], "id_number": row["id_number"], "phone": row["phone"],
                                 "occupation": "cleaner", "employment_kind": "labour_contract",
                                 "start_date": shanghai_today().isoformat(), "social_insurance": True})
        assert resp.status_code == 201, resp.get_json()
        assert resp.get_json()["created"] is expect_created
    assert db.session.execute(select(func.count()).select_from(Worker)).scalar_one() == 31
    view = run_here(app, task_id, "test")
    assert view["state"] == "done"
    db.session.rollback()
    assert values_left(ring, purpose, key.id) == 0
    assert {k.id: k.state for k in ring.keys(purpose, fresh=True)}[old] == "retired"
    # After: still found, still one worker per person.
    resp = client.post(f"/api/v1/companies/{company.uscc}/workers", headers=H(token), json={
        "name": fresh["name"], "id_number": fresh["id_number"], "phone": fresh["phone"], "occupation": "cleaner",
        "employment_kind": "labour_contract", "start_date": shanghai_today().isoformat(), "social_insurance": True})
    assert resp.status_code == 201 and resp.get_json()["created"] is False
    all_digests_replay(ring)


@pytest.mark.parametrize("purpose", ["card", "bulletin", "log"])
def test_rotating_the_other_purposes(app, runner, factory, purpose):
    ring = factory.ring
    old = ring.current(purpose).id
    result = runner.invoke(args=["keys", "rotate", purpose])
    assert result.exit_code == 0, result.output
    states = {k.id: k.state for k in ring.keys(purpose, fresh=True)}
    assert ring.current(purpose).id != old
    # Signing keys stay published for what they signed.
    assert states[old] == "active"


@pytest.mark.parametrize("purpose", ["state", "household"])
def test_the_state_and_household_keys_are_never_rotated(runner, factory, purpose):
    """`state`: every logged digest holds HMACs under it. `household`: the references cannot be recomputed without
    the customers' phones, which the registry never keeps."""
    old = factory.ring.current(purpose).id
    result = runner.invoke(args=["keys", "rotate", purpose])
    assert result.exit_code != 0
    assert factory.ring.current(purpose).id == old


def test_rotating_field_reseals_objections_and_their_documents(app, runner, factory, clock):
    """An objection's reasons, answer and documents move to the new key; their state HMACs, so every digest, stay."""
    from datetime import date

    from registry.attachments import services as attachments
    from registry.attachments.models import Attachment
    from registry.clock import now as utcnow
    from registry.keys.rotation import values_left
    from registry.sanctions import objections
    from tests.support.sanctionutil import record, regulators

    clock.freeze(date(2027, 3, 1))
    company, admin = factory.company()
    reg, _ = regulators(factory, code="hk-rot")
    fine = record(factory, reg, company=company, kind="fine", severity="general", months=3, today=date(2027, 3, 1))
    doc = b"%PDF-1.7\n% evidence\n"
    o = objections.file_as_company(factory.ring, account=admin.account, company=company, sanction=fine,
                                   reasons="依据有误。", files=[doc], now=utcnow()).objection
    db.session.commit()
    objections.take_step(factory.ring, regulator=reg, sanction=fine, objection=o, step="reject", reason="超出范围。",
                         today=date(2027, 3, 1))
    db.session.commit()
    ring = factory.ring
    result = runner.invoke(args=["keys", "rotate", "field"])
    assert result.exit_code == 0, result.output
    new = ring.current("field").id
    db.session.rollback()
    assert values_left(ring, "field", new) == 0
    row = db.session.execute(select(Attachment)).scalar_one()
    assert bytes(row.content_enc).startswith((new + ":").encode())
    assert attachments.open_content(ring, row) == doc
    o = db.session.get(type(o), o.id)
    assert o.reasons_enc.startswith(new + ":") and o.answer_enc.startswith(new + ":")
    assert objections.reasons_of(ring, o) == "依据有误。" and objections.answer_of(ring, o) == "超出范围。"
    all_digests_replay(ring)


def test_rotating_field_reseals_repair_applications_and_their_documents(app, runner, factory, clock):
    """A repair application's statement and documents move to the new key; their state HMACs, so every digest,
    stay (the generic attachments table: whatever owns the document)."""
    from datetime import date

    from registry.attachments import services as attachments
    from registry.attachments.models import Attachment
    from registry.keys.rotation import values_left
    from registry.sanctions import repair
    from tests.support.sanctionutil import record, regulators

    clock.freeze(date(2027, 3, 1))
    company, admin = factory.company()
    reg, _ = regulators(factory, code="hk-rot-rep")
    warning = record(factory, reg, company=company, kind="warning", severity="minor", months=1,
                     today=date(2027, 3, 1))
    docs = [b"%PDF-1.7\n% receipt\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 16]
    application = repair.apply_for_repair(factory.ring, sanction=warning, applicant_kind="company",
                                          applicant=admin.account.ref, today=date(2027, 3, 1),
                                          statement="已缴纳罚款。", pledge=True, files=docs).sanction.repairs[-1]
    db.session.commit()
    ring = factory.ring
    result = runner.invoke(args=["keys", "rotate", "field"])
    assert result.exit_code == 0, result.output
    new = ring.current("field").id
    db.session.rollback()
    assert values_left(ring, "field", new) == 0
    rows = attachments.for_owner(repair.OWNER_KIND, application.id)
    assert [bytes(r.content_enc).startswith((new + ":").encode()) for r in rows] == [True, True]
    assert [attachments.open_content(ring, r) for r in rows] == docs
    assert db.session.execute(select(func.count()).select_from(Attachment)).scalar_one() == 2
    application = db.session.get(type(application), application.id)
    assert application.statement_enc.startswith(new + ":")
    assert repair.statement_of(ring, application) == "已缴纳罚款。"
    all_digests_replay(ring)


def test_every_sealed_column_is_rotated():
    """Every `*_enc` column of the schema is listed for rotation: a sealed column left out would stay under a
    retired key for good (complaints and reviews once were)."""
    from registry.keys.rotation import sealed_columns

    listed = {(s.model.__table__.name, s.column) for s in sealed_columns()}
    sealed = {(t.name, c.name) for t in db.metadata.sorted_tables for c in t.columns if c.name.endswith("_enc")}
    assert sealed - listed == set()


def test_rotating_field_reseals_complaints_and_reviews(app, runner, factory, clock):
    """A complaint's text and contact, a regulator's step reason, a worker's response, a review and its reply move to
    the new key and open under their own associated data; every digest stays."""
    from types import SimpleNamespace

    from registry.clock import now as utcnow
    from registry.complaints import services as complaints
    from registry.keys.crypto import aad, unseal, unseal_bytes
    from registry.keys.rotation import sealed_columns, values_left
    from registry.trace.reviews import add_review, reply
    from tests.support.cardworld import green_worker
    from tests.support.complaintutil import file_card, step
    from tests.support.traceutil import record as record_service

    w = green_worker(factory)
    market = factory.agency_user(factory.agency(sector="market")).account
    filed = file_card(factory, w.worker, contact=complaints.Contact("王女士", "13900002222"))
    step(factory, market, filed.complaint, "accept")
    complaints.respond_as_worker(factory.ring, worker=w.worker, complaint=filed.complaint, text="当天按约定完成。",
                                 now=utcnow())
    service = record_service(factory, SimpleNamespace(company=w.company, admin=w.admin, worker=w.worker))
    add_review(factory.ring, service=service, rating=4, tags=["punctual"], text="准时，干活细致", now=utcnow())
    db.session.commit()
    reply(factory.ring, account=w.admin, company=w.company, service=service, text="感谢您的评价。",
          now=utcnow())
    db.session.commit()
    ring = factory.ring
    result = runner.invoke(args=["keys", "rotate", "field"])
    assert result.exit_code == 0, result.output
    new = ring.current("field").id
    db.session.rollback()
    assert values_left(ring, "field", new) == 0
    opened = {}
    for s in sealed_columns():
        for row in db.session.execute(select(s.model)).scalars():
            value = getattr(row, s.column)
            if value is None:
                continue
            associated = aad(s.aad_table, s.aad_column, getattr(row, s.ref_attr))
            if s.binary:
                assert bytes(value).startswith((new + ":").encode())
                unseal_bytes(ring, bytes(value), associated)
            else:
                assert value.startswith(new + ":")
                opened[(s.aad_table, s.aad_column)] = unseal(ring, value, associated)
    assert opened[("complaints", "contact_phone")] == "13900002222"
    assert opened[("complaint_responses", "text")] == "当天按约定完成。"
    assert opened[("service_reviews", "text")] == "准时，干活细致"
    assert opened[("service_reviews", "reply")] == "感谢您的评价。"
    assert {("complaints", "text"), ("complaints", "contact_name"), ("complaint_steps", "reason")} <= set(opened)
    all_digests_replay(ring)
