"""Publishing and withdrawing bulletins: one log entry per change whose digest commits to every byte published, a
manifest anyone can check with the published keys, one current version per period, the archive kept."""
from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from registry import canonical
from registry.bulletins import manifest, periods
from registry.bulletins import services as bulletins
from registry.bulletins.api import keys_view
from registry.bulletins.models import Bulletin, BulletinFile
from registry.clock import SHANGHAI
from registry.errors import ApiError
from registry.extensions import db
from registry.log.models import LogEntry
from registry.log.services import SYSTEM_ACTOR
from registry.log.verify import verify_local
from registry.tlog import note
from tests.support.logutil import ORIGIN, sign, sql

NOVEMBER = periods.parse("2026-11")
MADE = datetime(2026, 12, 1, 2, 0, tzinfo=SHANGHAI)  # two hours after November ended in Shanghai
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
CSV = "\ufeffref,名称,决定日期\nab12,成都某家政服务有限公司,2026-11-03\n".encode()
FILES = [("bulletin-2026-11.pdf", "application/pdf", PDF), ("sanctions-2026-11.csv", "text/csv; charset=utf-8", CSV)]




def publish(factory, cited, *, period=NOVEMBER, files=FILES, made_at=MADE, actor=SYSTEM_ACTOR, **over):
    size, root = cited
    args = {"checkpoint_size": size, "checkpoint_root": root, "origin": ORIGIN, **over}
    return bulletins.publish(factory.ring, actor=actor, period=period, files=files, made_at=made_at, **args)


def entries() -> list[LogEntry]:
    return db.session.execute(select(LogEntry).order_by(LogEntry.seq)).scalars().all()


def logged_digest_matches(factory, bulletin: Bulletin) -> bool:
    """The subject's latest entry carries the digest of the bulletin's state as it stands now."""
    entry = db.session.execute(select(LogEntry).where(LogEntry.subject == bulletin.log_ref)
                               .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()
    db.session.expire_all()
    row = db.session.get(Bulletin, bulletin.id)
    return json.loads(entry.body)["digest"] == canonical.digest(canonical.state_of(factory.ring, row))


def verifiers(factory) -> list[note.Verifier]:
    """The bulletin keys as anyone gets them: GET /api/v1/bulletins/keys, parsed."""
    return [note.parse_verifier_key(k["verifier_key"]) for k in keys_view(factory.ring, ORIGIN)["keys"]]


def refusal(call) -> ApiError:
    with pytest.raises(ApiError) as refused:
        call()
    db.session.rollback()
    return refused.value


# --- publishing -----------------------------------------------------------------------------------------------


def test_publishing_writes_one_entry_whose_digest_is_the_bulletins_state(factory, cited):
    before = len(entries())
    published = publish(factory, cited)
    db.session.commit()
    b = published.bulletin
    log = entries()[before:]
    assert [(e.seq, e.action, e.subject) for e in log] == [(published.seq, "bulletin:publish", b.log_ref)]
    body = json.loads(log[0].body)
    assert body["actor"] == SYSTEM_ACTOR and body["digest"] == published.digest
    assert logged_digest_matches(factory, b)
    assert (b.period_kind, b.period_key, b.version, b.state) == ("month", "2026-11", 1, "current")
    assert (b.checkpoint_size, b.checkpoint_root) == cited


def test_the_state_names_every_file_and_the_key_never_the_content(factory, cited):
    b = publish(factory, cited).bulletin
    state = canonical.state_of(factory.ring, b)
    key_id = keys_view(factory.ring, ORIGIN)["keys"][0]["key_id"]  # the current key, as the public sees it
    assert state == {
        "v": canonical.VERSION, "kind": "bulletin", "salt": b.salt,
        "period": {"kind": "month", "key": "2026-11"}, "version": 1, "state": "current",
        "made": "2026-11-30T18:00:00.000000Z",
        "checkpoint": {"size": cited[0], "root": cited[1]},
        "key_id": key_id,
        "manifest_sha256": hashlib.sha256(b.manifest.encode()).hexdigest(),
        "files": [{"name": name, "media_type": media_type, "size": len(data),
                   "sha256": hashlib.sha256(data).hexdigest()} for name, media_type, data in sorted(FILES)],
        "created_by": SYSTEM_ACTOR, "withdrawn": None,
    }
    raw = canonical.canonical_json(state)
    assert PDF[:64] not in raw and "成都某家政".encode() not in raw


def test_the_manifest_opens_with_the_published_keys_and_lists_every_files_sha256(factory, cited):
    b = publish(factory, cited).bulletin
    db.session.commit()
    opened = manifest.open_manifest(b.manifest, verifiers(factory), ORIGIN)
    assert (opened.origin, opened.period, opened.version) == (ORIGIN, "2026-11", 1)
    assert opened.files == {name: hashlib.sha256(data).hexdigest() for name, _t, data in FILES}
    assert opened.signed_by == (manifest.key_name(ORIGIN),)
    # The stored files are exactly the bytes the manifest vouches for.
    for name, media_type, data in FILES:
        stored = bulletins.file(b.ref, name)
        assert (stored.content, stored.media_type, stored.size) == (data, media_type, len(data))
        assert manifest.check_file(opened, name, stored.content)


def test_a_week_is_published_like_a_month(factory, cited):
    week = periods.parse("2026-W48")
    b = publish(factory, cited, period=week, made_at=week.ends_at,
                files=[("sanctions-2026-W48.csv", "text/csv", CSV)]).bulletin
    db.session.commit()
    assert (b.period_kind, b.period_key, b.version) == ("week", "2026-W48", 1)
    assert manifest.open_manifest(b.manifest, verifiers(factory), ORIGIN).period == "2026-W48"


def test_publishing_again_while_current_is_refused_and_writes_nothing(factory, cited):
    publish(factory, cited)
    db.session.commit()
    count = len(entries())
    refused = refusal(lambda: publish(factory, cited))
    assert (refused.status, refused.code) == (409, "bulletin_current_exists")
    assert refused.zh and refused.en and set(refused.fields) == {"period"}
    assert len(entries()) == count
    assert db.session.execute(select(func.count()).select_from(Bulletin)).scalar_one() == 1


def test_withdraw_then_publish_gives_v2_current_and_keeps_v1_withdrawn_with_its_files(factory, cited, clock):
    v1 = publish(factory, cited).bulletin
    db.session.commit()
    clock.freeze(datetime(2026, 12, 3, 1, 30, tzinfo=UTC))
    withdrawn = bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=v1, reason="  第 3 条记录的决定日期有误  ")
    db.session.commit()
    assert withdrawn.bulletin.id == v1.id
    assert entries()[-1].action == "bulletin:withdraw" and entries()[-1].subject == v1.log_ref
    assert logged_digest_matches(factory, v1)
    assert bulletins.current("2026-11") is None
    corrected = [("bulletin-2026-11.pdf", "application/pdf", PDF + b"% corrected\n")]
    v2 = publish(factory, cited, files=corrected, made_at=MADE + timedelta(days=2)).bulletin
    db.session.commit()
    assert bulletins.current("2026-11").id == v2.id
    assert [(b.version, b.state) for b in bulletins.versions("2026-11")] == [(1, "withdrawn"), (2, "current")]
    old = db.session.get(Bulletin, v1.id)
    assert (old.withdrawn_reason, old.withdrawn_by) == ("第 3 条记录的决定日期有误", "a" * 32)
    assert old.withdrawn_at == datetime(2026, 12, 3, 1, 30, tzinfo=UTC)
    state = canonical.state_of(factory.ring, old)
    assert state["state"] == "withdrawn"
    assert state["withdrawn"] == {"reason": "第 3 条记录的决定日期有误", "by": "a" * 32,
                                  "at": "2026-12-03T01:30:00.000000Z"}
    # The archive: v1's files still served, v2 signed as version 2 over its own file.
    assert bulletins.file(v1.id, "sanctions-2026-11.csv").content == CSV
    opened = manifest.open_manifest(v2.manifest, verifiers(factory), ORIGIN)
    assert opened.version == 2 and set(opened.files) == {"bulletin-2026-11.pdf"}
    assert logged_digest_matches(factory, v1) and logged_digest_matches(factory, v2)
    assert [e.action for e in entries()][-3:] == ["bulletin:publish", "bulletin:withdraw", "bulletin:publish"]


@pytest.mark.parametrize("reason", ["", "   ", None, "因" * 501])
def test_a_withdrawal_needs_a_reason_of_at_most_500_characters(factory, cited, reason):
    b = publish(factory, cited).bulletin
    db.session.commit()
    count = len(entries())
    refused = refusal(lambda: bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=b, reason=reason))
    assert (refused.status, refused.code, set(refused.fields)) == (422, "invalid_input", {"reason"})
    assert len(entries()) == count and bulletins.current("2026-11").id == b.id


def test_withdrawing_twice_is_refused(factory, cited):
    b = publish(factory, cited).bulletin
    bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=b, reason="因" * 500)
    db.session.commit()
    count = len(entries())
    refused = refusal(lambda: bulletins.withdraw(factory.ring, actor="b" * 32, bulletin=b, reason="再撤一次"))
    assert (refused.status, refused.code) == (409, "bulletin_withdrawn")
    assert len(entries()) == count
    assert db.session.get(Bulletin, b.id).withdrawn_by == "a" * 32


def _bad_period():
    p = periods.parse("2026-11")
    return periods.Period(p.kind, "2026-13", p.first, p.last, p.ends_at)


@pytest.mark.parametrize(("over", "fields"), [
    ({"period": "2026-11"}, {"period"}),
    ({"period": _bad_period()}, {"period"}),
    ({"files": []}, {"files"}),
    ({"files": [("../etc/passwd", "text/plain", b"x")]}, {"files"}),
    ({"files": [FILES[0], FILES[0]]}, {"files"}),
    ({"files": [("a.pdf", "", PDF)]}, {"files"}),
    ({"files": [("a.pdf", "application/pdf", "not bytes")]}, {"files"}),
    ({"made_at": datetime(2026, 12, 1, 2, 0)}, {"made_at"}),
    # 23:59 on 30 November in Shanghai: November has not ended.
    ({"made_at": datetime(2026, 11, 30, 15, 59, tzinfo=UTC)}, {"made_at"}),
    ({"checkpoint_root": "0" * 64}, {"checkpoint"}),
    ({"checkpoint_root": "AB" * 32}, {"checkpoint"}),
    ({"checkpoint_size": 10**6}, {"checkpoint"}),
    ({"checkpoint_size": 0}, {"checkpoint"}),
    ({"files": [], "made_at": None, "checkpoint_size": True}, {"files", "made_at", "checkpoint"}),
])
def test_bad_arguments_are_refused_naming_each_field_and_store_nothing(factory, cited, over, fields):
    count = len(entries())
    refused = refusal(lambda: publish(factory, cited, **over))
    assert (refused.status, refused.code) == (422, "invalid_input")
    assert set(refused.fields) == fields
    assert all(v["zh"] and v["en"] for v in refused.fields.values())
    assert len(entries()) == count
    assert db.session.execute(select(func.count()).select_from(Bulletin)).scalar_one() == 0


def test_the_end_of_the_period_itself_is_late_enough(factory, cited):
    assert publish(factory, cited, made_at=NOVEMBER.ends_at).bulletin.version == 1


def test_an_earlier_tree_head_of_the_log_may_be_cited(factory, cited):
    from registry.log.checkpoints import tree_root

    assert publish(factory, cited, checkpoint_size=1, checkpoint_root=tree_root(1).hex()).bulletin.checkpoint_size == 1


# --- two processes at once ------------------------------------------------------------------------------------


def test_two_publishers_of_one_period_at_once_publish_it_once(app, factory, cited):
    """Each thread has its own session and transaction; both start together. Exactly one publishes; the other is
    refused 409 (on SQLite the write lock queues it, so it finds the first's bulletin current; on PostgreSQL both may
    insert version 1 and the unique constraint refuses the second: `bulletin_exists`)."""
    from registry.database import write_intent

    start = threading.Barrier(2)
    outcomes: list = []

    def publisher(n: int):
        try:
            with app.app_context(), write_intent():
                start.wait(10)
                try:
                    published = publish(factory, cited, actor=f"{n}" * 32)
                    db.session.commit()
                    outcomes.append(("published", published.bulletin.version))
                except ApiError as refused:
                    db.session.rollback()
                    outcomes.append(("refused", refused.status, refused.code))
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 — reported by the test
            outcomes.append(("error", repr(exc)))

    threads = [threading.Thread(target=publisher, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes, key=str) in (
        [("published", 1), ("refused", 409, "bulletin_current_exists")],
        [("published", 1), ("refused", 409, "bulletin_exists")],
    ), outcomes
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Bulletin)).scalar_one() == 1
    assert [e.action for e in entries()].count("bulletin:publish") == 1
    assert verify_local(factory.ring, ORIGIN).ok


def test_the_database_refuses_a_second_row_for_one_period_and_version(factory, cited):
    """What makes the race above safe whatever the engine: the unique (period_key, version), here hit directly."""
    from sqlalchemy.exc import IntegrityError

    b = publish(factory, cited).bulletin
    db.session.commit()
    copy = Bulletin(period_kind=b.period_kind, period_key=b.period_key, version=b.version, state="current",
                    made_at=b.made_at, checkpoint_size=b.checkpoint_size, checkpoint_root=b.checkpoint_root,
                    key_id=b.key_id, manifest=b.manifest, created_by=b.created_by)
    db.session.add(copy)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


# --- reading --------------------------------------------------------------------------------------------------


def test_listing_is_newest_made_first_with_every_version(factory, cited):
    october = periods.parse("2026-10")
    oct_b = publish(factory, cited, period=october, made_at=october.ends_at,
                    files=[("sanctions-2026-10.csv", "text/csv", CSV)]).bulletin
    nov1 = publish(factory, cited).bulletin
    bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=nov1, reason="更正")
    nov2 = publish(factory, cited, made_at=MADE + timedelta(hours=5)).bulletin
    db.session.commit()
    first = bulletins.listing(1, 2)
    assert [b.id for b in first.bulletins] == [nov2.id, nov1.id] and first.total == 3
    assert [b.id for b in bulletins.listing(2, 2).bulletins] == [oct_b.id]
    assert bulletins.get(nov1.ref).id == nov1.id
    assert bulletins.file(nov2, "sanctions-2026-11.csv").content == CSV


def test_an_unknown_bulletin_or_file_is_404(factory, cited):
    b = publish(factory, cited).bulletin
    db.session.commit()
    for call in (lambda: bulletins.get("0" * 32), lambda: bulletins.file(b.ref, "other.pdf"),
                 lambda: bulletins.file("0" * 32, FILES[0][0]), lambda: bulletins.file(b.id + 1, FILES[0][0])):
        refused = refusal(call)
        assert (refused.status, refused.code) == (404, "not_found")


# --- log verify -----------------------------------------------------------------------------------------------


@pytest.fixture
def signed_bulletin(factory, cited):
    """A withdrawn v1 and a current v2, every entry under a signed checkpoint: a log that verifies."""
    v1 = publish(factory, cited).bulletin
    bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=v1, reason="更正")
    v2 = publish(factory, cited, made_at=MADE + timedelta(days=1)).bulletin
    db.session.commit()
    sign(factory.ring)
    return v1, v2


def verify(factory):
    db.session.expire_all()
    return verify_local(factory.ring, ORIGIN)


def latest_seq(ref: str) -> int:
    return db.session.execute(select(LogEntry.seq).where(LogEntry.subject == ref)
                              .order_by(LogEntry.seq.desc()).limit(1)).scalar_one()


def _file_id(bulletin, name) -> int:
    return db.session.execute(select(BulletinFile.id).where(BulletinFile.bulletin_id == bulletin.id,
                                                            BulletinFile.name == name)).scalar_one()


def test_log_verify_passes_with_bulletins(signed_bulletin, factory):
    report = verify(factory)
    assert report.ok, report.failures


def test_an_edited_file_sha256_is_named(signed_bulletin, factory):
    _v1, v2 = signed_bulletin
    seq = latest_seq(v2.log_ref)
    sql("UPDATE bulletin_files SET sha256 = :h WHERE id = :i", h=hashlib.sha256(b"forged").hexdigest(),
        i=_file_id(v2, FILES[0][0]))
    assert verify(factory).failures == [
        f"bulletin {v2.log_ref}: canonical state digest differs from entry {seq}",
        f"bulletin {v2.log_ref}: file {FILES[0][0]}: content does not match its SHA-256",
        f"bulletin {v2.log_ref}: manifest does not list exactly the stored files and their SHA-256"]


def test_an_edited_file_size_is_named(signed_bulletin, factory):
    v1, _v2 = signed_bulletin
    seq = latest_seq(v1.log_ref)
    sql("UPDATE bulletin_files SET size = size + 1 WHERE id = :i", i=_file_id(v1, FILES[1][0]))
    assert verify(factory).failures == [
        f"bulletin {v1.log_ref}: canonical state digest differs from entry {seq}",
        f"bulletin {v1.log_ref}: file {FILES[1][0]}: content is {len(CSV)} bytes, not the {len(CSV) + 1} its row "
        "names"]


def test_replaced_content_is_named_though_the_state_is_untouched(signed_bulletin, factory):
    """The state holds the file's size and SHA-256, not its bytes: swapping the bytes alone is found by the
    check of the content against its row (the archive of a withdrawn version too)."""
    v1, _v2 = signed_bulletin
    forged = CSV.replace(b"2026-11-03", b"2026-11-04")
    assert len(forged) == len(CSV)
    sql("UPDATE bulletin_files SET content = :c WHERE id = :i", c=forged, i=_file_id(v1, FILES[1][0]))
    assert verify(factory).failures == [
        f"bulletin {v1.log_ref}: file {FILES[1][0]}: content does not match its SHA-256"]


def test_an_edited_manifest_is_named(signed_bulletin, factory):
    _v1, v2 = signed_bulletin
    seq = latest_seq(v2.log_ref)
    forged = v2.manifest.replace(hashlib.sha256(PDF).hexdigest(), hashlib.sha256(b"forged").hexdigest())
    assert forged != v2.manifest
    sql("UPDATE bulletins SET manifest = :m WHERE id = :i", m=forged, i=v2.id)
    failures = verify(factory).failures
    assert failures[0] == f"bulletin {v2.log_ref}: canonical state digest differs from entry {seq}"
    assert len(failures) == 2 and failures[1].startswith(f"bulletin {v2.log_ref}: manifest does not verify")


def test_a_manifest_re_signed_over_other_files_is_named(signed_bulletin, factory):
    """Even signed with the ring's own key, a manifest that is not the one the log's digest names is found."""
    _v1, v2 = signed_bulletin
    seq = latest_seq(v2.log_ref)
    name = manifest.key_name(ORIGIN)
    text = manifest.manifest_text(ORIGIN, "2026-11", 2, [(FILES[0][0], b"forged"), (FILES[1][0], CSV)])
    sql("UPDATE bulletins SET manifest = :m WHERE id = :i",
        m=manifest.sign(text, name, factory.ring.current("bulletin").private_key), i=v2.id)
    assert verify(factory).failures == [
        f"bulletin {v2.log_ref}: canonical state digest differs from entry {seq}",
        f"bulletin {v2.log_ref}: manifest does not list exactly the stored files and their SHA-256"]


def test_an_edited_withdrawal_is_named(signed_bulletin, factory):
    v1, v2 = signed_bulletin
    sql("UPDATE bulletins SET withdrawn_reason = :r WHERE id = :i", r="伪造的原因", i=v1.id)
    sql("UPDATE bulletins SET withdrawn_reason = :r WHERE id = :i", r="悄悄加上的原因", i=v2.id)
    assert verify(factory).failures == [
        f"bulletin {v1.log_ref}: canonical state digest differs from entry {latest_seq(v1.log_ref)}",
        f"bulletin {v2.log_ref}: canonical state digest differs from entry {latest_seq(v2.log_ref)}"]


def test_a_rotated_bulletin_key_signs_what_comes_next_and_the_old_manifests_still_verify(signed_bulletin, factory):
    """Bulletins hold nothing sealed: rotating a key re-encrypts nothing of theirs and changes no digest. The old
    `bulletin` key (now retired) still vouches for what it signed; the new one signs the next version."""
    v1, v2 = signed_bulletin
    old_key_id = v2.key_id
    new = factory.ring.add("bulletin")
    assert verify(factory).ok
    v2 = db.session.get(Bulletin, v2.id)
    bulletins.withdraw(factory.ring, actor="a" * 32, bulletin=v2, reason="再次更正")
    v3 = publish(factory, (1, _root_at(1))).bulletin
    db.session.commit()
    sign(factory.ring)
    assert v3.key_id == note.key_id(manifest.key_name(ORIGIN), new.public_bytes).hex() != old_key_id
    assert manifest.open_manifest(v3.manifest, verifiers(factory), ORIGIN).version == 3
    assert manifest.open_manifest(db.session.get(Bulletin, v1.id).manifest, verifiers(factory), ORIGIN).version == 1
    report = verify(factory)
    assert report.ok, report.failures


def _root_at(size: int) -> str:
    from registry.log.checkpoints import tree_root

    return tree_root(size).hex()


def test_a_bulletin_finding_names_its_period_and_version(signed_bulletin, factory):
    from registry.log.watch import record_outcome

    _v1, v2 = signed_bulletin
    sql("UPDATE bulletin_files SET media_type = 'text/html' WHERE id = :i", i=_file_id(v2, FILES[0][0]))
    outcome = record_outcome(verify(factory))
    db.session.commit()
    from registry.log.models import LogAlarm

    (alarm,) = db.session.execute(select(LogAlarm).where(LogAlarm.id.in_(outcome.raised))).scalars().all()
    assert alarm.details["subject"] == {"kind": "bulletin", "period": "2026-11 v2"}
    assert "Bulletin 2026-11 v2" in alarm.message and "公示公告 2026-11 v2" in alarm.details["zh"]
