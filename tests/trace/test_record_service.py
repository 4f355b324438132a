"""Recording one service: the record, its log entry, the customer's message and code, and the override rule."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from registry import canonical
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify.local import verify_local
from registry.notify.models import OutboxMessage
from registry.notify.services import read_outbox
from registry.selfservice import codes
from registry.selfservice.services import code_key
from registry.trace.household import company_household, household_ref
from registry.trace.models import ReviewCode, ServiceRecord
from registry.trace.services import normalise_reference, reference_of
from registry.workers import services as workers
from tests.support.cardworld import green_worker
from tests.support.logutil import ORIGIN, sign
from tests.support.traceutil import CUSTOMER_E164, CUSTOMER_PHONE, last_review_code, record


@pytest.fixture
def world(app, factory):
    return green_worker(factory)


def test_a_service_is_recorded_with_one_entry_and_no_phone(app, factory, world):
    service = record(factory, world)
    key = factory.ring.current("household").material
    assert service.household_ref == household_ref(key, CUSTOMER_E164)
    assert service.company_household == company_household(key, world.company.log_ref, service.household_ref)
    assert service.overrides is None and service.override_reason is None
    (entry,) = db.session.execute(select(LogEntry).where(LogEntry.subject == service.log_ref)).scalars()
    body = json.loads(entry.body)
    assert (body["action"], body["actor"]) == ("service:record", world.admin.ref)
    assert body["digest"] == canonical.digest(canonical.state_of(factory.ring, service))
    state = canonical.state_of(factory.ring, service)
    assert state["worker"] == world.worker.log_ref and state["company"] == world.company.log_ref
    assert service.household_ref not in json.dumps(state) and CUSTOMER_PHONE not in json.dumps(state)
    sign(factory.ring)
    db.session.expire_all()
    report = verify_local(factory.ring, ORIGIN)
    assert report.ok, report.failures


def test_the_customer_gets_a_code_the_registry_keeps_only_as_an_hmac(app, factory, world):
    service = record(factory, world)
    reference, code = last_review_code(factory)
    assert normalise_reference(reference) == service.reference
    assert reference == reference_of(service.reference)
    # The service number everyone else reads is another one: the customer's reference is only in the message.
    assert service.reference != service.ref[:12]
    (row,) = db.session.execute(select(ReviewCode)).scalars()
    assert row.service_id == service.id and row.failures == 0 and row.used_dt is None
    assert row.code_hash == codes.code_hash(code_key(factory.ring), "review", service.ref, codes.normalise(code))
    assert code.replace("-", "") not in row.code_hash
    days = (row.expires_dt - service.created_dt)
    assert days == timedelta(days=14)
    # The outbox keeps the customer's phone masked only.
    (message,) = [m for m in read_outbox(factory.ring) if m["kind"] == "review_code"]
    assert message["recipient"] == "+86*******0001"
    assert CUSTOMER_PHONE not in message["recipient"] and "13912340001" not in message["text"]
    raw = db.session.execute(select(OutboxMessage.recipient_enc, OutboxMessage.text_enc)).all()
    assert all(CUSTOMER_PHONE not in a + b for a, b in raw)


def test_a_red_or_foreign_worker_needs_a_reason_that_the_record_keeps(app, factory, world):
    other, other_admin = factory.company()

    class Other:
        company, admin, worker = other, other_admin.account, world.worker

    with pytest.raises(ApiError) as refused:
        record(factory, Other)
    assert refused.value.status == 422 and refused.value.code == "override_reason_required"
    assert set(refused.value.fields) == {"override_reason"}
    db.session.rollback()
    assert db.session.execute(select(ServiceRecord)).first() is None
    assert not [m for m in read_outbox(factory.ring) if m["kind"] == "review_code"]
    service = record(factory, Other, override_reason="原公司临时借调，已报备")
    assert service.overrides == ["not_employee"] and service.override_reason == "原公司临时借调，已报备"


def test_a_worker_whose_card_turned_red_needs_a_reason(app, factory, world):
    workers.add_record(factory.ring, account=world.admin, company=world.company, worker=world.worker,
                       kind="background", data={"result": "failed", "checked_on": date.today() - timedelta(days=1),
                                                "authority": "成都市公安局"}, today=world.today)
    db.session.commit()
    with pytest.raises(ApiError) as refused:
        record(factory, world)
    assert refused.value.code == "override_reason_required"
    db.session.rollback()
    assert record(factory, world, override_reason="客户坚持").overrides == ["card_red"]


def test_bad_fields_are_all_named_and_nothing_is_stored(app, factory, world):
    with pytest.raises(ApiError) as refused:
        record(factory, world, phone="12345", district="", service_type="massage")
    assert set(refused.value.fields) == {"phone", "district", "service_type"}
    assert "12345" not in json.dumps(refused.value.fields, ensure_ascii=False)
    db.session.rollback()
    assert db.session.execute(select(ServiceRecord)).first() is None


# --- the review code --------------------------------------------------------------------------------------

def test_the_code_opens_its_service_once_and_burns_after_five_wrong_tries(app, factory, world):
    from registry.clock import now as utcnow
    from registry.selfservice.services import Refusal
    from registry.trace.codes import match_code

    service = record(factory, world)
    reference, code = last_review_code(factory)
    found, row = match_code(factory.ring, reference=reference.lower(), code=code.lower(), now=utcnow())
    assert found.id == service.id and row.failures == 0
    wrong = "22222222" if code.replace("-", "") != "22222222" else "33333333"
    for tries in range(1, 6):
        with pytest.raises(Refusal) as refused:
            match_code(factory.ring, reference=reference, code=wrong, now=utcnow())
        assert refused.value.code == "review_code_invalid" and set(refused.value.fields) == {"reference", "code"}
        db.session.commit()
        assert db.session.get(ReviewCode, row.id).failures == tries
    assert db.session.get(ReviewCode, row.id).burnt_dt is not None
    # Burnt: the right code no longer opens it.
    with pytest.raises(Refusal):
        match_code(factory.ring, reference=reference, code=code, now=utcnow())


def test_an_expired_or_used_code_is_refused_like_a_wrong_one(app, factory, world):
    from registry.clock import now as utcnow
    from registry.selfservice.services import Refusal
    from registry.trace.codes import match_code

    record(factory, world)
    reference, code = last_review_code(factory)
    with pytest.raises(Refusal):
        match_code(factory.ring, reference=reference, code=code, now=utcnow() + timedelta(days=14, seconds=1))
    db.session.rollback()
    _service, row = match_code(factory.ring, reference=reference, code=code, now=utcnow())
    row.used_dt = utcnow()
    db.session.commit()
    with pytest.raises(Refusal):
        match_code(factory.ring, reference=reference, code=code, now=utcnow())
    db.session.rollback()
    assert match_code(factory.ring, reference=reference, code=code, now=utcnow(), allow_used=True)
