"""Erasing a worker (PIPL art. 47): `log verify` still passes and says so, the public views do not change, and the
database file keeps no trace of the erased values, the outbox's messages to the phone included; real tampering of
an erased or a live row is still found."""
from __future__ import annotations

import io
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from registry import canonical
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.notify.models import OutboxMessage
from registry.retention import erasure
from registry.retention.rules import RETENTION_BASIS
from registry.workers.models import Worker, WorkerPhoto
from tests.conftest import ON_POSTGRES
from tests.support.dbfile import read_in_child
from tests.support.logutil import ORIGIN, sign, sql

START = date(2027, 3, 1)
PHONE = "13612345678"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 50), (200, 160, 120)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def world(app, factory, clock):
    """A worker with a card, a photo and a text message in the outbox whose only employment has ended; a live worker
    with a message of their own beside them."""
    from registry import clock as registry_clock
    from registry.cards.services import issue_card
    from registry.selfservice import services as selfservice
    from registry.workers import idnumber, services
    from registry.workers.photos import set_photo

    clock.freeze(START)
    company, admin = factory.company()
    acc = admin.account

    def register(seed, phone, name):
        import random

        number = idnumber.generate(random.Random(seed), birth=date(1980, 5, 5))
        reg = services.register_worker(
            factory.ring, account=acc, company=company, today=START,
            person=services.Person(name, number, phone),
            engagement=services.Engagement("cleaner", "labour_contract", START, True))
        db.session.commit()
        return reg.worker, number

    # Different names: a name's index is shared by everyone with that name, and the live worker keeps theirs.
    gone, number = register(1, PHONE, "陈秀英")
    live, _ = register(2, "13712345678", "王丽")
    issue_card(factory.ring, account=acc, company=company, worker=gone, today=START)
    db.session.commit()
    set_photo(factory.ring, account=acc, company=company, worker=gone, data=_png(), consent_on=START, today=START)
    db.session.commit()
    # A text message to each phone (the development outbox keeps it sealed, with the card number in its text).
    for worker in (gone, live):
        selfservice.issue_activation_code(factory.ring, actor=acc, worker=worker, now=registry_clock.now())
    db.session.commit()
    services.end_employment(factory.ring, account=acc, company=company, worker=gone, end_date=START, today=START)
    db.session.commit()
    sign(factory.ring)
    return {"company": company, "admin": acc, "gone": gone, "live": live, "id_number": number,
            "card_no": gone.card_no, "uscc": company.uscc}


def verify(factory):
    db.session.expire_all()
    return verify_local(factory.ring, ORIGIN)


def erase(factory, worker, *, actor="system", basis=RETENTION_BASIS, reference=None):
    from registry import clock

    recorded = erasure.erase_worker(factory.ring, worker=worker, actor=actor, basis=basis, reference=reference,
                                    now=clock.now(), today=clock.today())
    db.session.commit()
    return recorded


def public_views(client, world) -> dict:
    card, uscc = world["card_no"], world["uscc"]
    out = {}
    for path in (f"/api/v1/cards/{card}", f"/c/{card}", f"/api/v1/companies/{uscc}", f"/companies/{uscc}",
                 f"/api/v1/companies/{uscc}/workers"):
        resp = client.get(path)
        out[path] = (resp.status_code, resp.get_data(as_text=True))
    return out


def messages_to(phone_idx: str) -> list[OutboxMessage]:
    return list(db.session.execute(select(OutboxMessage).where(OutboxMessage.recipient_idx == phone_idx)).scalars())


def sealed_values(worker_id: int) -> dict:
    """The erased worker's ciphertexts, index values and sealed photo, and the sealed recipient and text of the
    message to their phone, as stored."""
    w = db.session.get(Worker, worker_id)
    photo = db.session.execute(select(WorkerPhoto.photo_enc).where(WorkerPhoto.worker_id == worker_id)).scalar_one()
    [message] = messages_to(w.phone_idx)
    return {"name_enc": w.name_enc, "id_number_enc": w.id_number_enc, "phone_enc": w.phone_enc,
            "name_index": w.name_index, "id_number_idx": w.id_number_idx, "phone_idx": w.phone_idx,
            "photo_enc": bytes(photo), "message_recipient_enc": message.recipient_enc,
            "message_text_enc": message.text_enc}


def needles(values: dict) -> list[bytes]:
    """What must not be anywhere in the file: each text value whole and its distinctive tail (past the key id), and
    slices of the sealed photo (its ciphertext is random bytes: any 32 of them are its trace)."""
    out = []
    for key, value in values.items():
        if key == "photo_enc":
            out += [value[i:i + 32] for i in range(10, len(value) - 32, max(1, len(value) // 8))]
        else:
            out += [value.encode(), value.split(":", 1)[1].encode()]
    return out


def database_bytes(app) -> bytes:
    """The SQLite file and its write-ahead log after a full checkpoint, read by another process."""
    db.session.remove()
    path = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return b"".join(read_in_child(Path(f"{path}{suffix}")) for suffix in ("", "-wal", "-journal"))


def test_erasure_leaves_log_verify_passing_public_views_unchanged_and_no_trace_in_the_database(
        app, client, factory, world):
    before_views = public_views(client, world)
    gone_id, live_id = world["gone"].id, world["live"].id
    old = sealed_values(gone_id)
    old_entries = db.session.execute(select(LogEntry.seq, LogEntry.body).order_by(LogEntry.seq)).all()
    if not ON_POSTGRES:
        # The needles are really there before: the search below can fail.
        raw = database_bytes(app)
        assert all(n in raw for n in needles(old))

    recorded = erase(factory, db.session.get(Worker, gone_id))
    sign(factory.ring)

    report = verify(factory)
    assert report.ok, report.failures
    assert any("1 workers erased" in line for line in report.checked)
    # Every earlier entry is as it was; the new one is `worker:erase` by `system` and covers the erased state.
    after_entries = db.session.execute(select(LogEntry.seq, LogEntry.body).order_by(LogEntry.seq)).all()
    assert after_entries[:len(old_entries)] == old_entries
    entry = db.session.get(LogEntry, recorded.seq)
    body = json.loads(entry.body)
    assert (entry.action, body["actor"]) == ("worker:erase", "system")
    w = db.session.get(Worker, gone_id)
    state = canonical.state_of(factory.ring, w)
    assert state["erased"]["basis"] == RETENTION_BASIS and body["digest"] == canonical.digest(state)
    # The state HMACs stay; the values and their indexes are gone.
    assert w.name_state and w.id_number_state and w.phone_state and w.name_masked
    assert (w.name_enc, w.id_number_enc, w.phone_enc, w.phone_idx, w.name_index) == ("", "", "", "", None)
    assert w.id_number_idx.startswith("erased:")
    assert db.session.execute(select(WorkerPhoto.photo_enc).where(WorkerPhoto.worker_id == gone_id)).scalar_one() \
        in (b"", memoryview(b""))
    # The message to the erased phone is gone; the live worker's stays.
    assert messages_to(old["phone_idx"]) == []
    assert len(messages_to(db.session.get(Worker, live_id).phone_idx)) == 1

    assert public_views(client, world) == before_views

    if ON_POSTGRES:
        # VACUUM decides when dead tuples' space is reused (docs/privacy.md): what can be tested is the rows.
        for table in db.metadata.sorted_tables:
            for (row,) in db.session.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" t')):
                assert not any(v in row for k, v in old.items() if k != "photo_enc"), table.name
        db.session.rollback()
    else:
        raw = database_bytes(app)
        assert [n for n in needles(old) if n in raw] == []


def test_the_erased_person_is_not_found_and_registers_afresh(app, factory, world):
    from registry.workers import services

    erase(factory, db.session.get(Worker, world["gone"].id))
    assert services.find_by_id_number(factory.ring, world["id_number"]) is None
    reg = services.register_worker(
        factory.ring, account=world["admin"], company=world["company"], today=START,
        person=services.Person("陈秀英", world["id_number"], PHONE),
        engagement=services.Engagement("cleaner", "labour_contract", START, True))
    db.session.commit()
    assert reg.created and reg.worker.card_no != world["card_no"]
    assert verify(factory).ok


def test_the_detailed_view_says_erased_and_opens_nothing(app, factory, world):
    from registry.workers.views_model import detail

    erase(factory, db.session.get(Worker, world["gone"].id))
    view = detail(factory.ring, db.session.get(Worker, world["gone"].id), START)
    assert (view["name"], view["id_number"], view["phone"]) == (None, None, None)
    assert view["erased"]["basis"] == RETENTION_BASIS


def test_a_worker_with_an_open_employment_is_not_erased(app, factory, world):
    with pytest.raises(erasure.ApiError) as refused:
        erase(factory, db.session.get(Worker, world["live"].id))
    assert (refused.value.status, refused.value.code) == (409, "worker_employed")
    db.session.rollback()
    assert db.session.get(Worker, world["live"].id).erased_dt is None


def test_an_erased_worker_is_not_erased_twice(app, factory, world):
    erase(factory, db.session.get(Worker, world["gone"].id))
    with pytest.raises(erasure.ApiError) as refused:
        erase(factory, db.session.get(Worker, world["gone"].id))
    assert refused.value.code == "already_erased"


def test_a_worker_named_by_a_sanction_in_process_is_not_erased(app, factory, world):
    from tests.support.sanctionutil import record, regulators

    proposer, _approver = regulators(factory, code="rt-er")
    record(factory, proposer, worker=db.session.get(Worker, world["gone"].id), kind="serious_list",
           severity="serious", today=START)
    db.session.commit()
    with pytest.raises(erasure.ApiError) as refused:
        erase(factory, db.session.get(Worker, world["gone"].id))
    assert refused.value.code == "sanction_in_effect"


# --- tampering is still found ------------------------------------------------------------------------------------

@pytest.mark.parametrize("edit, problem", [
    ("UPDATE workers SET name_enc = :old_name WHERE id = :id", "name is still sealed"),
    ("UPDATE workers SET phone_idx = :old_phone_idx WHERE id = :id", "look-up index"),
    ("UPDATE workers SET name_state = '' WHERE id = :id", "canonical state digest differs"),
    ("UPDATE workers SET erased_basis = 'subject_request' WHERE id = :id", "canonical state digest differs"),
    ("UPDATE workers SET erased_dt = NULL WHERE id = :id", "does not decrypt"),
    ("UPDATE worker_photos SET photo_enc = :old_photo WHERE worker_id = :id", "photo is still sealed"),
])
def test_tampering_with_an_erased_row_is_named(app, factory, world, edit, problem):
    old = sealed_values(world["gone"].id)
    erase(factory, db.session.get(Worker, world["gone"].id))
    sql(edit, id=world["gone"].id, old_name=old["name_enc"], old_phone_idx=old["phone_idx"],
        old_photo=old["photo_enc"])
    report = verify(factory)
    assert any(problem in f for f in report.failures), report.failures


@pytest.mark.parametrize("edit, problem", [
    ("UPDATE workers SET name_enc = '' WHERE id = :id", "name does not decrypt"),
    ("UPDATE worker_photos SET photo_enc = :empty WHERE worker_id = :id", "photo is empty"),
    ("UPDATE workers SET erased_dt = :now, erased_basis = 'retention_period', name_enc = '', "
     "id_number_enc = '', phone_enc = '', phone_idx = '', name_index = NULL, id_number_idx = 'erased:x' "
     "WHERE id = :id", "canonical state digest differs"),
])
def test_tampering_with_a_live_row_is_named(app, factory, world, edit, problem):
    from registry import clock

    # Neither worker is erased here; only the first has a photo.
    target = world["gone"].id if "photo" in edit else world["live"].id
    sql(edit, id=target, empty=b"", now=clock.now())
    report = verify(factory)
    assert any(problem in f for f in report.failures), report.failures


def test_rotation_and_backfill_pass_erased_workers_by(app, factory, world):
    from registry.keys import rotation

    erase(factory, db.session.get(Worker, world["gone"].id))
    assert rotation.missing_indexes() == {}
    for purpose in ("field", "index-id_number", "index-phone", "index-name"):
        key = factory.ring.add(purpose)
        assert rotation.values_left(factory.ring, purpose, key.id) > 0
        ctx = _Ctx({"purpose": purpose, "key_id": key.id})
        rotation.run_rotation(factory.ring, ctx, batch=50)
        db.session.commit()
        assert ctx.result["left"] == 0, purpose
    assert verify(factory).ok


def test_a_message_stored_before_the_recipient_index_is_still_found_and_backfill_indexes_the_rest(
        app, factory, world):
    """Messages stored before migration 0039 have no recipient index until `keys backfill`: erasure opens them."""
    from registry.keys import rotation
    from registry.keys.crypto import aad, unseal

    sql("UPDATE outbox SET recipient_idx = NULL")
    assert rotation.missing_indexes() == {"index-phone": 2}
    erase(factory, db.session.get(Worker, world["gone"].id))
    [left] = db.session.execute(select(OutboxMessage)).scalars()
    assert unseal(factory.ring, left.recipient_enc, aad("outbox", "recipient", left.ref)) == "+8613712345678"
    assert rotation.missing_indexes() == {"index-phone": 1}
    ctx = _Ctx({"purpose": "index-phone", "key_id": factory.ring.current("index-phone").id, "backfill": True})
    rotation.run_rotation(factory.ring, ctx)
    assert rotation.missing_indexes() == {}
    assert messages_to(db.session.get(Worker, world["live"].id).phone_idx)[0].id == left.id


def test_nothing_is_texted_to_an_erased_worker(app, factory, world):
    """A step taken later on a record that names them (a score review answered, a sanction's repair) finds no
    phone, and sends nothing (the text of an erased phone cannot be opened)."""
    from registry.sanctions.services import phone_of

    gone = db.session.get(Worker, world["gone"].id)
    assert phone_of(factory.ring, gone) == "+86" + PHONE
    erase(factory, gone)
    assert phone_of(factory.ring, db.session.get(Worker, world["gone"].id)) is None


class _Ctx:
    def __init__(self, args):
        self.args, self.cursor, self.result = args, None, None

    def commit_batch(self, _done, _total, cursor, result=None):
        self.cursor, self.result = cursor, result
        db.session.commit()


def test_erased_on_is_a_date_in_the_state_of_the_day(app, factory, world, clock):
    clock.freeze(START + timedelta(days=3))
    erase(factory, db.session.get(Worker, world["gone"].id), actor="acct1", basis="subject_request",
          reference="（2027）川0104民初 123 号")
    w = db.session.get(Worker, world["gone"].id)
    assert w.erased_reference == "（2027）川0104民初 123 号"
    assert canonical.state_of(factory.ring, w)["erased"] == {
        "at": canonical._dt(w.erased_dt), "basis": "subject_request", "reference": "（2027）川0104民初 123 号"}
