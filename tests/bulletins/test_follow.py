"""Bulletins follow their records (bulletins/follow.py): each version keeps which sanctions it carries; a later
repair, withdrawal, or correction of a field a bulletin prints withdraws exactly the current versions that carry
that sanction, once, however often the hourly schedule runs, and the schedule's queue makes their next versions
from the records as they stand."""
from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select

from jobs.housekeeping import queue_bulletins
from jobs.runner import task_worker_tick
from registry.bulletins import follow, opendata
from registry.bulletins import services as bulletins
from registry.bulletins.models import Bulletin, BulletinRecord
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.verify import verify_local
from registry.sanctions import services as sanctions
from registry.tasks.models import Task
from tests.support.bulletinutil import JULY, JUNE, at, by_part, commend, queue_and_run, three_sanctions


@pytest.fixture
def world(app, factory, clock):
    """June's and July's bulletins published (at the start of August) over three sanctions: made once a run
    (`made_once`, each PDF ~1 s), each test starting from its rows and clock, with its own factory and clock."""
    from tests.support.snapshot import world_once

    def make():
        w = three_sanctions(factory, clock)
        clock.freeze(at("2026-08-03"))
        queue_and_run(app, JUNE)
        queue_and_run(app, JULY)
        return w

    return world_once("bulletins_follow", make, factory=factory, clock=clock)


def carried(period_key: str) -> set[str]:
    b = bulletins.current(period_key)
    return set(db.session.execute(select(BulletinRecord.sanction_ref)
                                  .where(BulletinRecord.bulletin_id == b.id)).scalars())


def correct(world, name: str, **changes):
    s = world["made"][name]
    world["clock"].freeze(at("2026-08-03", time(15)))  # after the bulletins were made
    sanctions.correct_sanction(world["factory"].ring, regulator=world["hk"], sanction=s, today=at("2026-08-03").date(),
                               changes=changes, reason="文书号录入错误")
    db.session.commit()
    return s


def withdrawals() -> list[LogEntry]:
    return db.session.execute(select(LogEntry).where(LogEntry.action == "bulletin:withdraw")).scalars().all()


def test_each_version_carries_its_sections_and_removals_and_a_printed_correction_affects_each_carrier(world):
    made = {k: s.ref for k, s in world["made"].items()}
    # June: both June sanctions (public at its end).
    assert carried("2026-06") == {made["june"], made["june_short"]}
    # July: the July one and June's six-month one (its full list), and the short one: its window ended in July
    # (the `ended` section) and July's change files remove it.
    july = by_part(bulletins.current("2026-07"))
    assert made["june_short"] in {r["ref"] for r in opendata.parse_jsonl(july["removed.jsonl"])}
    assert carried("2026-07") == set(made.values())
    # The measures are in no bulletin: correcting them affects none.
    correct(world, "june", measures="责令改正并处罚款")
    assert follow.affected() == []
    # The basis is printed, and June's six-month sanction is on both months' bulletins: both are withdrawn.
    correct(world, "june", legal_basis="《家政服务管理暂行办法》第二十三条")
    assert [a.bulletin.period_key for a in follow.affected()] == ["2026-06", "2026-07"]
    assert follow.withdraw_affected(world["factory"].ring) == ["2026-06", "2026-07"]
    db.session.commit()
    assert bulletins.current("2026-06") is None and bulletins.current("2026-07") is None


def test_a_correction_reissues_exactly_the_bulletins_that_carry_it_once_however_often_the_schedule_runs(app, world):
    june_v1 = bulletins.current("2026-06")
    fixed = correct(world, "july", decision_no="商务罚〔2026〕33号")
    assert [a.bulletin.period_key for a in follow.affected()] == ["2026-07"]
    for _ in range(2):  # the hourly schedule, twice
        queue_bulletins(None)
        db.session.commit()
    entries = withdrawals()
    assert len(entries) == 1
    july_v1 = db.session.execute(select(Bulletin).where(Bulletin.period_key == "2026-07")).scalar_one()
    assert july_v1.state == "withdrawn" and fixed.ref in july_v1.withdrawn_reason
    assert "更正" in july_v1.withdrawn_reason and "corrected" in july_v1.withdrawn_reason
    queued = [t.args["period"] for t in db.session.execute(select(Task).where(Task.state == "queued")
                                                           .order_by(Task.id)).scalars()]
    # July first (months are queued before weeks; the weeks have no bulletin yet in this test), once; not June.
    assert queued[0] == "2026-07" and queued.count("2026-07") == 1 and "2026-06" not in queued
    db.session.rollback()
    assert task_worker_tick(app, "test-worker")  # the jobs process takes the oldest queued task: July's
    # The next version carries the corrected record; June's stands untouched.
    july_v2 = bulletins.current("2026-07")
    assert july_v2.version == 2
    rows = {r["ref"]: r for r in opendata.parse_jsonl(by_part(july_v2)["full.jsonl"])}
    assert rows[fixed.ref]["decision_no"] == "商务罚〔2026〕33号"
    assert bulletins.current("2026-06").id == june_v1.id
    # Made after the correction: nothing is withdrawn again.
    assert follow.affected() == []
    queue_bulletins(None)
    db.session.commit()
    assert len(withdrawals()) == 1
    assert verify_local(world["factory"].ring, app.config["LOG_ORIGIN"]).ok


def test_a_repair_after_publication_reissues_exactly_the_affected_bulletins_once_however_often_the_schedule_runs(
        app, client, world):
    from registry.sanctions import repair

    ring, hk, june = world["factory"].ring, world["hk"], world["made"]["june"]
    # June's six-month fine (一般) may be repaired once three months have passed: on both months' bulletins.
    world["clock"].freeze(at("2026-09-10"))
    applied = repair.apply_for_repair(ring, sanction=june, applicant_kind="company", applicant="member",
                                      today=at("2026-09-10").date(), statement="罚款已缴清，整改完成。", pledge=True)
    db.session.commit()
    [application] = applied.sanction.repairs
    june_v1 = bulletins.current("2026-06")
    pdf = next(f.name for f in june_v1.files if f.name.endswith(".pdf"))
    assert client.get(f"/bulletins/{june_v1.ref}/{pdf}").status_code == 200
    repair.decide_repair(ring, regulator=hk, sanction=june, repair=application, today=at("2026-09-10").date(),
                         approve=True, reason=None)
    db.session.commit()
    # Public nowhere from that moment: the versions that carry it withhold the files that carry sanctions at once
    # (the manifest, with the files' digests, stays), before the schedule has made them again. The red-list files
    # carry no sanction: they stay, byte for byte.
    red = opendata.red_list_names(june_v1.period_key, june_v1.version)
    assert len(red) == 8 and red < {f.name for f in june_v1.files}
    for f in june_v1.files:
        resp = client.get(f"/bulletins/{june_v1.ref}/{f.name}", headers={"Accept": "application/json"})
        if f.name in red:
            assert resp.status_code == 200 and resp.data == f.content, f.name
        else:
            assert resp.status_code == 410 and resp.get_json()["error"]["code"] == "bulletin_withheld", f.name
    assert client.get(f"/bulletins/{june_v1.ref}/manifest").status_code == 200
    world["clock"].freeze(at("2026-09-10", time(13)))
    for _ in range(2):  # the hourly schedule, twice
        queue_bulletins(None)
        db.session.commit()
    withdrawn = {b.period_key: b for b in db.session.execute(
        select(Bulletin).where(Bulletin.state == "withdrawn")).scalars()}
    assert sorted(withdrawn) == ["2026-06", "2026-07"] and len(withdrawals()) == 2
    # The reason counts the repaired record; it names no ref that would point into the archived files.
    assert all(june.ref not in b.withdrawn_reason and "1 条记录已信用修复" in b.withdrawn_reason
               and "1 record repaired" in b.withdrawn_reason for b in withdrawn.values())
    db.session.rollback()
    for _ in range(2):  # months are queued before weeks: June's and July's next versions
        assert task_worker_tick(app, "test-worker")
    for key, left in (("2026-06", {world["made"]["june_short"].ref}), ("2026-07", {world["made"]["july"].ref})):
        again = bulletins.current(key)
        assert again.version == 2
        assert {r["ref"] for r in opendata.parse_jsonl(by_part(again)["full.jsonl"])} == left
        assert june.ref not in carried(key)
        assert client.get(f"/bulletins/{again.ref}/{pdf.replace('-v1', '-v2').replace('2026-06', key)}"
                          ).status_code == 200
    queue_bulletins(None)
    db.session.commit()
    assert len(withdrawals()) == 2
    assert verify_local(world["factory"].ring, app.config["LOG_ORIGIN"]).ok


def test_a_withdrawn_decision_affects_the_bulletins_that_carry_it(world):
    from registry.sanctions import repair

    world["clock"].freeze(at("2026-08-05"))
    repair.withdraw_sanction(world["factory"].ring, regulator=world["hk"], sanction=world["made"]["july"],
                             today=at("2026-08-05").date(), authority="court", revoked_on=at("2026-08-04").date(),
                             reason="人民法院判决撤销该处罚决定")
    db.session.commit()
    [affected] = follow.affected()
    assert affected.bulletin.period_key == "2026-07"
    assert affected.changes == ((world["made"]["july"].ref, "withdrawn"),)


def test_a_correction_made_before_the_bulletin_withdraws_nothing(app, factory, clock):
    w = three_sanctions(factory, clock)
    correct(w, "june", decision_no="商务罚〔2026〕99号")
    clock.freeze(at("2026-08-04"))
    queue_and_run(app, JUNE)
    assert follow.affected() == []


def test_a_long_list_of_changed_records_is_named_within_the_reason_s_limit():
    changes = tuple((f"{i:032x}", "corrected") for i in range(40))
    text = follow.reason(changes)
    assert len(text) <= 500 and "+35" in text and changes[0][0] in text and changes[5][0] not in text


def test_the_migration_indexes_earlier_versions_from_their_full_and_removed_files(app, world):
    # Versions published before migration 0027: their full lists and removals, read back from their own files.
    from flask_migrate import downgrade, upgrade

    made = {k: s.ref for k, s in world["made"].items()}
    db.session.commit()
    db.session.remove()
    try:
        downgrade(revision="0027-1")
    finally:
        upgrade()
    assert carried("2026-06") == {made["june"], made["june_short"]}
    assert carried("2026-07") == set(made.values())


def test_the_migration_reads_no_red_list_file_as_sanctions(app, factory, clock):
    """A database upgraded again after a downgrade holds versions with red-list files (keyed by USCC, carrying no
    sanction): the migration indexes the sanctions' files alone."""
    from flask_migrate import downgrade, upgrade

    w = three_sanctions(factory, clock)
    commend(w, "june", "2026-06-20", "诚信示范企业")
    clock.freeze(at("2026-07-02"))
    queue_and_run(app, JUNE)
    june = by_part(bulletins.current("2026-06"))
    assert w["made"]["june"].company.uscc in {r["uscc"] for r in opendata.parse_jsonl(june["red-list-full.jsonl"])}
    refs = {w["made"]["june"].ref, w["made"]["june_short"].ref}
    db.session.commit()
    db.session.remove()
    try:
        downgrade(revision="0027-1")
    finally:
        upgrade()
    assert carried("2026-06") == refs


def test_an_objection_filed_or_answered_after_publication_reissues_nothing(app, world):
    """The mark is a snapshot: a bulletin is not made again when an objection is filed or answered."""
    from registry.sanctions import objections

    june = world["made"]["june"]
    world["clock"].freeze(at("2026-08-03", time(15)))
    filed = objections.file_objection(world["factory"].ring, sanction=june, filed_by_kind="company",
                                      filed_by="member", reasons="事实有误。", files=[], now=at("2026-08-03", time(15)))
    db.session.commit()
    assert follow.affected() == []
    objections.take_step(world["factory"].ring, regulator=world["hk"], sanction=june, objection=filed.objection,
                         step="accept", reason=None, today=at("2026-08-03").date())
    db.session.commit()
    queue_bulletins(None)
    db.session.commit()
    assert follow.affected() == [] and withdrawals() == []
    assert bulletins.current("2026-06").version == 1 and bulletins.current("2026-07").version == 1
