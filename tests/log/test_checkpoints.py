"""Signing checkpoints: only when grown, after re-hashing; refusals raise a committed alarm instead."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from jobs.runner import run_scheduled
from jobs.schedules import SCHEDULES, Schedule
from registry.extensions import db
from registry.log.checkpoints import check_range, verifiers
from registry.log.models import LogAlarm, LogCheckpoint, LogHash
from registry.tlog import merkle, note
from tests.support.logutil import ORIGIN, append_synthetic, leaves, sign, sql

ONE_SLOT = 10**9


def checkpoints() -> list[LogCheckpoint]:
    db.session.expire_all()
    return list(db.session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)))


def alarms() -> list[LogAlarm]:
    db.session.rollback()
    return list(db.session.scalars(select(LogAlarm).order_by(LogAlarm.id)))


def test_signs_only_when_the_log_has_grown(app, factory):
    ring = factory.ring
    assert sign(ring).status == "unchanged"  # an empty log: nothing to sign
    append_synthetic(ring, 5)
    first = sign(ring)
    assert first.status == "signed" and first.size == 5
    assert sign(ring).status == "unchanged"
    append_synthetic(ring, 3)
    second = sign(ring)
    assert second.status == "signed" and second.size == 8
    rows = checkpoints()
    assert [c.size for c in rows] == [5, 8]
    for c in rows:
        cp = note.open_checkpoint(c.note, verifiers(ring, ORIGIN), ORIGIN)
        assert (cp.size, cp.root) == (c.size, bytes(c.root))
        assert cp.root == merkle.root_from_leaves(leaves()[: c.size])
        assert c.key_id == note.key_id(ORIGIN, ring.current("log").public_bytes).hex()
    assert note.checkpoint_text(ORIGIN, 8, bytes(rows[1].root)) == rows[1].note.split("\n\n")[0] + "\n"


def test_the_schedule_signs_every_minute_by_default(app, factory):
    (schedule,) = [s for s in SCHEDULES if s.name == "log.checkpoint"]
    assert schedule.seconds == 60 and schedule.func == "jobs.checkpoints:sign_checkpoint"
    append_synthetic(factory.ring, 4)
    assert run_scheduled(app, Schedule("log.checkpoint.test", schedule.func, ONE_SLOT), "p1") == "ran"
    assert [c.size for c in checkpoints()] == [4]


TAMPER_NEW = [
    ("body", "UPDATE log_entries SET body = :v WHERE seq = 6", {"v": b'{"forged":true}'},
     "entry 6: leaf hash does not match its body"),
    ("leaf hash", "UPDATE log_entries SET leaf_hash = :v WHERE seq = 6", {"v": b"\x01" * 32},
     "entry 6: leaf hash does not match its body"),
    ("hmac", "UPDATE log_entries SET hmac = :v WHERE seq = 6", {"v": "0" * 64}, "entry 6: HMAC does not verify"),
    ("stored hash", "UPDATE log_hashes SET hash = :v WHERE id = 13", {"v": b"\x02" * 32},
     "stored hash 13 (level 2, n 1): differs from the entries"),
    ("deleted entry", "DELETE FROM log_entries WHERE seq = 6", {}, "entries: seq 6 missing"),
    ("head rolled back", "UPDATE log_head SET size = 3", {}, "log head: size 3 is below checkpoint"),
]


@pytest.mark.parametrize("what,statement,params,expected", TAMPER_NEW, ids=[t[0] for t in TAMPER_NEW])
def test_a_tampered_log_is_refused_and_the_alarm_is_committed(app, factory, caplog, what, statement, params,
                                                               expected):
    ring = factory.ring
    append_synthetic(ring, 5)
    sign(ring)
    append_synthetic(ring, 4)
    sql(statement, **params)
    before = checkpoints()
    # Through the jobs runner: the job's transaction commits the alarm although nothing is signed.
    assert run_scheduled(app, Schedule("log.checkpoint.test", "jobs.checkpoints:sign_checkpoint", ONE_SLOT),
                         "p1") == "ran"
    assert [c.id for c in checkpoints()] == [c.id for c in before], "nothing signed"
    (alarm,) = alarms()
    assert alarm.kind == "checkpoint_refused" and not alarm.acknowledged
    assert expected in alarm.message, alarm.message
    assert any(expected in p for p in alarm.details["problems"])
    assert "refused" in caplog.text and any(r.levelname == "ERROR" for r in caplog.records)


def test_edits_to_what_the_previous_checkpoint_covers_are_refused(app, factory):
    ring = factory.ring
    append_synthetic(ring, 8)
    sign(ring)
    append_synthetic(ring, 3)
    # Someone rewrites an old leaf and every stored hash above it, consistently: the tree no longer
    # gives the signed root, so the new checkpoint would be inconsistent with it.
    ls = leaves()
    ls[2] = merkle.leaf_hash(b"forged")
    stored: dict[int, bytes] = {}
    for n, h in enumerate(ls):
        stored.update(merkle.hashes_to_store(n, h, lambda idx: [stored[i] for i in idx]))
    for index, value in stored.items():
        sql("UPDATE log_hashes SET hash = :h WHERE id = :i", h=value, i=index)
    outcome = sign(ring)
    assert outcome.status == "refused"
    assert any("no longer give checkpoint" in p for p in outcome.problems), outcome.problems
    assert [c.size for c in checkpoints()] == [8]


def test_a_tampered_previous_checkpoint_is_refused(app, factory):
    ring = factory.ring
    append_synthetic(ring, 3)
    sign(ring)
    append_synthetic(ring, 1)
    (cp,) = checkpoints()
    sql("UPDATE log_checkpoints SET note = :n WHERE id = :i", n=cp.note.replace("\n3\n", "\n2\n"), i=cp.id)
    outcome = sign(ring)
    assert outcome.status == "refused"
    assert f"checkpoint {cp.id}: signature does not verify" in outcome.problems[0]


def test_a_repeated_refusal_is_counted_not_repeated(app, factory):
    ring = factory.ring
    append_synthetic(ring, 2)
    sql("UPDATE log_entries SET hmac = :v WHERE seq = 1", v="f" * 64)
    assert sign(ring).status == "refused"
    assert sign(ring).status == "refused"
    (alarm,) = alarms()
    assert alarm.details["repeats"] == 2
    alarm.acknowledged = True
    db.session.commit()
    assert sign(ring).status == "refused"
    assert len(alarms()) == 2, "a new alarm once the old one is acknowledged"


def test_check_range_recomputes_large_ranges_in_chunks(app, factory):
    append_synthetic(factory.ring, 300, batch=97)
    result = check_range(factory.ring, 0, 300, chunk=64)
    assert result.problems == [] and result.entries == 300
    result = check_range(factory.ring, 131, 300, chunk=17)
    assert result.problems == [] and result.entries == 169
    sql("UPDATE log_hashes SET hash = :v WHERE id = :i", v=b"\x03" * 32, i=merkle.stored_hash_index(2, 50))
    result = check_range(factory.ring, 131, 300, chunk=17)
    assert result.problems == [f"stored hash {merkle.stored_hash_index(2, 50)} (level 2, n 50): differs from the "
                               "entries"]


def test_cli_checkpoint_and_alarms(app, factory, runner):
    ring = factory.ring
    result = runner.invoke(args=["log", "checkpoint"])
    assert result.exit_code == 0 and "nothing signed" in result.output
    append_synthetic(ring, 3)
    result = runner.invoke(args=["log", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{ORIGIN}\n3\n")
    result = runner.invoke(args=["log", "alarms"])
    assert result.exit_code == 0 and "no alarms" in result.output
    append_synthetic(ring, 1)
    sql("UPDATE log_entries SET body = :b WHERE seq = 3", b=b"{}")
    result = runner.invoke(args=["log", "checkpoint"])
    assert result.exit_code == 1 and "entry 3: leaf hash does not match its body" in result.output
    result = runner.invoke(args=["log", "alarms"])
    assert result.exit_code == 1 and "OPEN\tcheckpoint_refused" in result.output
    alarm_id = alarms()[0].id
    result = runner.invoke(args=["log", "alarms", "--ack", str(alarm_id)])
    assert result.exit_code == 0
    result = runner.invoke(args=["log", "alarms", "--all"])
    assert "acknowledged\tcheckpoint_refused" in result.output
    assert db.session.scalar(select(func.count()).select_from(LogHash)) == merkle.stored_hash_count(4)
