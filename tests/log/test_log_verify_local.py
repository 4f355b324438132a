"""`log verify`: every direct edit to the database — to the log or to a business table — is found and named."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from logutil import ORIGIN, sign, small_world, sql
from registry import canonical
from registry.extensions import db
from registry.log.models import LogAlarm, LogCheckpoint, LogEntry
from registry.log.verify import verify_local
from registry.tlog import merkle, note


@pytest.fixture
def world(app, factory):
    w = small_world(factory)
    sign(factory.ring)
    w["company"].uscc  # load before raw edits
    return w


def verify(factory):
    db.session.expire_all()
    return verify_local(factory.ring, ORIGIN)


def latest_seq(ref: str) -> int:
    return db.session.execute(select(LogEntry.seq).where(LogEntry.subject == ref)
                              .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()


def test_an_untouched_log_verifies(world, factory):
    report = verify(factory)
    assert report.ok, report.failures
    assert any("replay" in line for line in report.checked)


def test_an_edited_body_is_named(world, factory):
    sql("UPDATE log_entries SET body = :b WHERE seq = 4", b=b'{"seq":4}')
    failures = verify(factory).failures
    assert "entry 4: leaf hash does not match its body" in failures
    assert "entry 4: HMAC does not verify" in failures


def test_an_edited_leaf_hash_is_named(world, factory):
    sql("UPDATE log_entries SET leaf_hash = :h WHERE seq = 2", h=b"\x07" * 32)
    assert verify(factory).failures == ["entry 2: leaf hash does not match its body"]


def test_an_edited_hmac_is_named(world, factory):
    sql("UPDATE log_entries SET hmac = :h WHERE seq = 3", h="0" * 64)
    assert verify(factory).failures == ["entry 3: HMAC does not verify"]


def test_a_deleted_entry_is_named(world, factory):
    sql("DELETE FROM log_entries WHERE seq = 5")
    failures = verify(factory).failures
    assert "entries: seq 5 missing" in failures


def test_reordered_entries_are_named(world, factory):
    rows = {e.seq: (e.body, e.leaf_hash, e.hmac, e.action, e.subject)
            for e in db.session.scalars(select(LogEntry).where(LogEntry.seq.in_([6, 7])))}
    for seq, other in ((6, 7), (7, 6)):
        body, leaf, mac, action, subject = rows[other]
        sql("UPDATE log_entries SET body = :b, leaf_hash = :l, hmac = :m, action = :a, subject = :s WHERE seq = :q",
            b=body, l=leaf, m=mac, a=action, s=subject, q=seq)
    failures = verify(factory).failures
    assert "entry 6: body is numbered 7" in failures and "entry 7: body is numbered 6" in failures
    assert any(f.startswith("stored hashes: ") and "differ from the entries" in f for f in failures)
    assert any("root differs from the entries" in f for f in failures)


def test_an_edited_stored_hash_is_named(world, factory):
    index = merkle.stored_hash_index(1, 2)
    sql("UPDATE log_hashes SET hash = :h WHERE id = :i", h=b"\x09" * 32, i=index)
    assert verify(factory).failures == [f"stored hashes: 1 differ from the entries (first: index {index}, level 1, n 2)"]


def test_an_edited_business_row_is_named(world, factory):
    company = world["company"]
    seq = latest_seq(company.log_ref)
    sql("UPDATE companies SET name = 'forged' WHERE id = :i", i=company.id)
    assert verify(factory).failures == [f"company {company.log_ref}: canonical state digest differs from entry {seq}"]


def test_an_edited_dependent_row_is_named(world, factory):
    worker = world["workers"][0]
    seq = latest_seq(worker.log_ref)
    sql("UPDATE employments SET occupation = 'nanny' WHERE worker_id = :i", i=worker.id)
    assert verify(factory).failures == [f"worker {worker.log_ref}: canonical state digest differs from entry {seq}"]


def test_an_edited_token_is_named_under_its_company(world, factory):
    company = world["company"]
    seq = latest_seq(company.log_ref)
    sql("UPDATE api_tokens SET revoked_dt = created_dt")
    assert f"company {company.log_ref}: canonical state digest differs from entry {seq}" in verify(factory).failures


def test_a_swapped_ciphertext_is_named(world, factory):
    a, b = world["workers"][0], world["workers"][1]
    sql("UPDATE workers SET phone_enc = :e WHERE id = :i", e=b.phone_enc, i=a.id)
    assert verify(factory).failures == [f"worker {a.log_ref}: phone does not decrypt for this row"]


def test_a_reencrypted_different_value_is_named(world, factory):
    from registry.crypto import aad, seal

    a = world["workers"][0]
    sql("UPDATE workers SET name_enc = :e WHERE id = :i", e=seal(factory.ring, "李四", aad("workers", "name", a.ref)),
        i=a.id)
    assert verify(factory).failures == [f"worker {a.log_ref}: name does not match its state HMAC"]


def test_an_account_sealed_name_is_checked(world, factory):
    from registry.crypto import aad, seal

    account = world["admin"]
    sql("UPDATE accounts SET name_enc = :e WHERE id = :i",
        e=seal(factory.ring, "冒名", aad("accounts", "name", account.ref)), i=account.id)
    assert verify(factory).failures == [
        f"account {account.ref} (company {world['company'].log_ref}): name does not match its state HMAC"]


def test_a_deleted_record_is_named(world, factory):
    worker = world["workers"][2]
    ref, worker_id = worker.log_ref, worker.id
    seq = latest_seq(ref)
    for table in ("worker_records", "employments"):
        sql(f"DELETE FROM {table} WHERE worker_id = :i", i=worker_id)
    sql("DELETE FROM access_records")
    sql("DELETE FROM workers WHERE id = :i", i=worker_id)
    assert verify(factory).failures == [f"subject {ref}: no record (latest entry {seq})"]


def test_a_record_without_an_entry_is_named(world, factory):
    company = world["company"]
    ref = company.log_ref
    sql("UPDATE companies SET log_ref = :r WHERE id = :i", r="f" * 32, i=company.id)
    failures = verify(factory).failures
    assert f"company {'f' * 32}: no log entry" in failures
    assert any(f.startswith(f"subject {ref}: no record") for f in failures)


def test_a_tampered_checkpoint_is_named(world, factory):
    cp = db.session.scalars(select(LogCheckpoint)).one()
    original = cp.note
    forged = cp.note.replace(f"\n{cp.size}\n", f"\n{cp.size - 1}\n")
    sql("UPDATE log_checkpoints SET note = :n WHERE id = :i", n=forged, i=cp.id)
    failures = verify(factory).failures
    assert failures[0].startswith(f"checkpoint {cp.id}: signature does not verify")
    sql("UPDATE log_checkpoints SET note = :n, root = :r WHERE id = :i", n=original, r=b"\x00" * 32, i=cp.id)
    assert verify(factory).failures == [f"checkpoint {cp.id}: stored size or root differs from its signed text"]


def test_a_checkpoint_signed_over_a_wrong_root_is_named(world, factory):
    """Even with the signing key, a checkpoint that does not match the entries is found."""
    from registry.log.services import append_entries, Change
    from registry.log.actions import Action

    first = db.session.scalars(select(LogCheckpoint)).one()
    append_entries(factory.ring, [Change("system", Action.COMPANY_UPDATE, "e" * 32, "d" * 64)])
    db.session.commit()
    size = first.size + 1
    key = factory.ring.current("log")
    bad = note.sign_note(note.checkpoint_text(ORIGIN, size, b"\x05" * 32), ORIGIN, key.private_key)
    db.session.add(LogCheckpoint(size=size, root=b"\x05" * 32, note=bad, key_id="00000000"))
    db.session.commit()
    failures = verify(factory).failures
    row = db.session.scalars(select(LogCheckpoint).where(LogCheckpoint.size == size)).one()
    assert f"checkpoint {row.id} (size {size}): root differs from the entries" in failures
    assert f"checkpoint {row.id} not consistent with checkpoint {first.id}" in failures


def test_the_cli_exits_1_names_the_failure_and_raises_an_alarm(world, factory, runner):
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 0 and "no problems" in result.output
    sql("UPDATE log_entries SET hmac = :h WHERE seq = 1", h="1" * 64)
    result = runner.invoke(args=["log", "verify"])
    assert result.exit_code == 1
    assert "FAIL: entry 1: HMAC does not verify" in result.output
    db.session.rollback()
    alarm = db.session.scalars(select(LogAlarm)).one()
    assert alarm.kind == "verify_failed" and "entry 1: HMAC does not verify" in alarm.message


def test_canonical_tables_cover_the_new_log_tables():
    for table in ("log_hashes", "log_checkpoints", "log_alarms"):
        assert table in canonical.UNLOGGED_TABLES
    names = set(db.metadata.tables)
    assert names <= set(canonical.AGGREGATE_TABLES) | canonical.UNLOGGED_TABLES


def test_verify_does_not_write(world, factory):
    before = db.session.execute(text("SELECT count(*) FROM log_alarms")).scalar_one()
    assert verify(factory).ok
    db.session.rollback()
    assert db.session.execute(text("SELECT count(*) FROM log_alarms")).scalar_one() == before
