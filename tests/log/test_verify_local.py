"""`log verify`: every direct edit to the database — to the log or to a business table — is found and named."""
from __future__ import annotations

from datetime import UTC
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from registry import canonical
from registry.extensions import db
from registry.log.models import LogAlarm, LogCheckpoint, LogEntry
from registry.log.verify import verify_local
from registry.sanctions.models import SanctionObjection
from registry.tlog import merkle, note
from registry.workers.models import Worker, WorkerPhoto
from tests.support.logutil import ORIGIN, sign, small_world, sql
from tests.support.sanctionutil import NOTICE_REASONS


def _png(colour=(200, 160, 120)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (12, 16), colour).save(out, "PNG")
    return out.getvalue()


PHOTO = _png()
DOCUMENT = b"%PDF-1.7\n% an objection's document\n"


@pytest.fixture
def world(app, factory, clock, monkeypatch, tmp_path):
    """small_world plus a signed pledge and a worker record: at least one row in every business table.

    Made once a run (`made_once`): each test starts from its rows, its registry clock and a rules folder."""
    from tests.support.rulesutil import use_rules_folder
    from tests.support.snapshot import world_once

    use_rules_folder(app, monkeypatch, tmp_path / "rules")
    w = world_once("log_world", lambda: _world(app, factory, clock), factory=factory, clock=clock)
    _ = w["company"].uscc  # load before raw edits
    return w


def _world(app, factory, clock):
    from datetime import timedelta

    from registry.clock import today
    from registry.companies import pledge
    from registry.companies.services import sign_pledge
    from registry.workers.services import add_record

    w = small_world(factory)
    sign_pledge(factory.ring, account=w["admin"], company=w["company"], version=pledge.CURRENT_VERSION)
    db.session.commit()
    add_record(factory.ring, account=w["admin"], company=w["company"], worker=w["workers"][0], kind="identity",
               data={"result": "verified", "checked_on": today() - timedelta(days=3)}, today=today())
    db.session.commit()
    from registry.log.services import ANONYMOUS_ACTOR
    from registry.reports.services import file_report

    w["report"] = file_report(factory.ring, actor=ANONYMOUS_ACTOR, worker=w["workers"][0], reason="fake",
                              text="照片与本人不符").report
    db.session.commit()
    # A card and a photo for the first worker: the cards and worker_photos tables.
    from registry.cards.services import issue_card
    from registry.workers.photos import set_photo

    issue_card(factory.ring, account=w["admin"], company=w["company"], worker=w["workers"][0], today=today())
    db.session.commit()
    set_photo(factory.ring, account=w["admin"], company=w["company"], worker=w["workers"][0], data=PHOTO,
              consent_on=today(), today=today())
    db.session.commit()
    # An open change request (a rename) of the verified company: the company_changes table.
    from registry.companies.services import update_profile

    update_profile(factory.ring, account=w["admin"], company=w["company"],
                   profile=factory.profile(name="成都改名家政服务有限公司"))
    db.session.commit()
    # A company's serious listing, noticed, decided, approved and corrected: every sanction table.
    from registry.sanctions import services as sanctions
    from tests.support.sanctionutil import record, regulators

    proposer, approver = regulators(factory, code="hk-log")
    start = today()
    clock.freeze(start)
    s = record(factory, proposer, company=w["company"], kind="serious_list", severity="serious", today=start,
               persons=[{"role": "legal_representative", "name": "李建国"}])
    sanctions.notify_sanction(factory.ring, regulator=proposer, sanction=s, today=start, reasons=NOTICE_REASONS,
                              delivery_method="in_person", delivered_on=start)
    db.session.commit()
    clock.freeze(sanctions.objection_until(s).day + timedelta(days=1))
    sanctions.decide_sanction(factory.ring, regulator=proposer, sanction=s, today=today(),
                              decision_no="商务信〔2026〕1号")
    db.session.commit()
    sanctions.approve_sanction(factory.ring, regulator=approver, sanction=s, today=today())
    db.session.commit()
    sanctions.correct_sanction(factory.ring, regulator=proposer, sanction=s, today=today(),
                               changes={"measures": "限制参与政府采购"}, reason="措施表述有误")
    db.session.commit()
    # The company objects with a document, and the issuing agency accepts it: sanction_objections, attachments.
    from registry.clock import now as utc_now
    from registry.sanctions import objections

    w["objection"] = objections.file_as_company(
        factory.ring, account=w["admin"], company=w["company"], sanction=s, reasons="措施与事实不符，附说明。",
        files=[DOCUMENT], now=utc_now()).objection
    db.session.commit()
    objections.take_step(factory.ring, regulator=proposer, sanction=s, objection=w["objection"], step="accept",
                         reason=None, today=today())
    db.session.commit()
    w["sanction"] = s
    # A company's minor warning with a window, its repair applied for, its revocation recorded: the
    # sanction_repairs and sanction_withdrawals tables.
    from registry.sanctions import repair

    minor = record(factory, proposer, company=w["company"], kind="warning", severity="minor", months=1,
                   today=today(), decision_no="商务警〔2026〕2号")
    repair.apply_for_repair(factory.ring, sanction=minor, applicant_kind="company", applicant=w["admin"].ref,
                            today=today(), statement="已按要求整改，并向投诉人赔礼道歉。", pledge=True)
    db.session.commit()
    repair.record_revocation(factory.ring, regulator=approver, sanction=minor, today=today(), authority="review",
                             revoked_on=today(), reason="行政复议决定撤销原处罚决定")
    db.session.commit()
    w["minor_sanction"] = minor
    # A loaded working-day schedule: the calendar_years table.
    from registry.calendar.services import load_schedule

    w["calendar"] = load_schedule(factory.ring, actor="cli", year=2027, holidays=["2027-01-01"], workdays=[],
                                  source="国办发明电〔2026〕N号").row
    db.session.commit()
    # A service record with its review: the services and service_reviews tables.
    from registry.clock import now as utcnow
    from registry.trace.reviews import add_review
    from tests.support.traceutil import record as record_service

    w["service"] = record_service(factory, SimpleNamespace(company=w["company"], admin=w["admin"],
                                                           worker=w["workers"][0]))
    add_review(factory.ring, service=w["service"], rating=4, tags=["punctual"], text="准时，干活细致", now=utcnow())
    db.session.commit()
    # The company objects to the review with a document: the review_objections table.
    from registry.trace import review_objections

    w["review_objection"] = review_objections.file_as_company(
        factory.ring, account=w["admin"], company=w["company"], service=w["service"], reasons="与服务记录不符。",
        files=[DOCUMENT], now=utcnow()).objection
    db.session.commit()
    # A complaint about the first worker, accepted by a regulator and answered by the worker:
    # the complaints, complaint_steps and complaint_responses tables.
    from registry.complaints import services as complaints
    from tests.support.complaintutil import file_card, step

    filed = file_card(factory, w["workers"][0], contact=complaints.Contact("王女士", "13900002222"))
    step(factory, proposer, filed.complaint, "accept")
    complaints.respond_as_worker(factory.ring, worker=w["workers"][0], complaint=filed.complaint,
                                 text="当天按约定完成服务。", now=utcnow())
    db.session.commit()
    w["complaint"] = filed.complaint
    # A substantiated complaint about the first worker, and the worker's objection to it with a document,
    # accepted by the concluding agency: the complaint_objections table (and a complaint_objection attachment).
    from registry.complaints import objections as complaint_objections
    from tests.support.complaintutil import walk

    substantiated = walk(factory, proposer, file_card(factory, w["workers"][0]).complaint, "substantiated")
    w["complaint_objection"] = complaint_objections.file_as_worker(
        factory.ring, worker=w["workers"][0], complaint=substantiated, reasons="当天不是我上门服务。",
        files=[DOCUMENT], now=utcnow()).objection
    db.session.commit()
    complaint_objections.take_step(factory.ring, regulator=proposer, complaint=substantiated,
                                   objection=w["complaint_objection"], step="accept", reason=None, today=today())
    db.session.commit()
    # A commendation of the company, revoked by its recording agency: the commendations table.
    from registry.credit import commendations

    w["commendation"] = commendations.record_commendation(
        factory.ring, regulator=proposer, company=w["company"], title="年度诚信示范企业", basis="成商务〔2026〕12号",
        commended_on=today(), today=today()).commendation
    db.session.commit()
    commendations.revoke_commendation(factory.ring, regulator=proposer, commendation=w["commendation"],
                                      reason="登记有误")
    db.session.commit()
    # An adoption of rules v2 (from a test folder of rules files): the credit_rules table.
    from registry.credit import adoption

    w["credit_rules"] = adoption.adopt(factory.ring, actor="cli", version="v2", reason="成市监信〔2026〕9号").adoption
    # The first worker asks for human review of their score, and a regulator answers with a correction: the
    # score_reviews table (its sealed reason and note).
    from registry.credit import score_reviews

    w["score_review"] = score_reviews.file_for_worker(factory.ring, worker=w["workers"][0],
                                                      reason="体检合格记录没有计入。", now=utcnow()).review
    db.session.commit()
    score_reviews.answer(factory.ring, regulator=proposer, review=w["score_review"], note="已核实，予以更正。",
                         correction_points=-3, today=today())
    db.session.commit()
    # A published bulletin citing the log as it stands: the bulletins and bulletin_files tables.
    from registry.bulletins import periods
    from registry.bulletins.services import publish
    from registry.log.checkpoints import tree_root
    from registry.log.services import log_size

    november = periods.parse("2026-11")
    size = log_size()
    w["bulletin"] = publish(factory.ring, actor="system", period=november, made_at=november.ends_at,
                            files=[("sanctions-2026-11.csv", "text/csv", "ref,名称\n".encode()),
                                   ("bulletin-2026-11.pdf", "application/pdf", b"%PDF-1.7 ...")],
                            checkpoint_size=size, checkpoint_root=tree_root(size).hex(), origin=ORIGIN).bulletin
    db.session.commit()
    sign(factory.ring)
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


def test_one_changed_body_byte_is_named(world, factory):
    """One byte of the digest inside the body, nothing else touched."""
    entry = db.session.get(LogEntry, 4)
    body = bytearray(entry.body)
    at = bytes(body).index(b'"digest":"') + len('"digest":"')
    body[at] = ord("0") if body[at] != ord("0") else ord("1")
    sql("UPDATE log_entries SET body = :b WHERE seq = 4", b=bytes(body))
    failures = verify(factory).failures
    assert "entry 4: leaf hash does not match its body" in failures
    assert "entry 4: HMAC does not verify" in failures
    # The tree is recomputed from the bodies, so the stored hashes above leaf 4 and the signed root no longer match.
    assert any(f.startswith("stored hashes: ") and "first: index 7, level 0, n 4" in f for f in failures), failures
    assert any("root differs from the entries" in f for f in failures), failures


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


def _insert_entry(factory, *, subject: str, digest: str, adjust_tree: bool) -> int:
    """As an attacker with database access but no HMAC key would: a well-formed entry, its correct leaf hash,
    a made-up HMAC under the current key id; with `adjust_tree` also the tree's stored hashes and the head."""
    import hashlib
    import hmac as hmac_mod
    from datetime import datetime

    from sqlalchemy import insert

    from registry.log.actions import Action
    from registry.log.models import LogHash, LogHead
    from registry.log.services import entry_body, read_hashes, rfc3339_micro

    db.session.rollback()
    seq = db.session.get(LogHead, 1).size
    now = datetime.now(UTC)
    body = entry_body(seq=seq, time=rfc3339_micro(now), actor="system", action=Action.COMPANY_UPDATE.value,
                      subject=subject, digest=digest)
    leaf = merkle.leaf_hash(body)
    db.session.execute(insert(LogEntry.__table__), [{
        "seq": seq, "body": body, "leaf_hash": leaf, "action": Action.COMPANY_UPDATE.value, "subject": subject,
        "hmac": hmac_mod.new(b"not the log-hmac key", body, hashlib.sha256).hexdigest(),
        "hmac_key_id": factory.ring.current("log-hmac").id, "created_dt": now}])
    if adjust_tree:
        hashes = merkle.hashes_to_store(seq, leaf, read_hashes)
        db.session.execute(insert(LogHash.__table__), [{"id": i, "hash": h} for i, h in hashes])
        db.session.execute(text("UPDATE log_head SET size = :s WHERE id = 1"), {"s": seq + 1})
    db.session.commit()
    db.session.expire_all()
    return seq


def test_an_inserted_entry_covering_a_business_edit_is_named(world, factory):
    """Edit a company, then append an entry with its new digest, a correct leaf hash, the tree's hashes and the
    head adjusted: everything matches except the HMAC, which only the key holder can make."""
    company = world["company"]
    sql("UPDATE companies SET name = 'forged' WHERE id = :i", i=company.id)
    db.session.expire_all()
    digest = canonical.digest(canonical.state_of(factory.ring, db.session.get(type(company), company.id)))
    seq = _insert_entry(factory, subject=company.log_ref, digest=digest, adjust_tree=True)
    assert verify(factory).failures == [f"entry {seq}: HMAC does not verify"]
    # And the signer refuses to sign over it.
    outcome = sign(factory.ring)
    assert outcome.status == "refused" and f"entry {seq}: HMAC does not verify" in outcome.problems


def test_an_inserted_entry_beyond_the_head_is_named(world, factory):
    """The same insertion without adjusting the tree: named for its HMAC and for lying beyond the head."""
    seq = _insert_entry(factory, subject="c" * 32, digest="d" * 64, adjust_tree=False)
    failures = verify(factory).failures
    assert f"entry {seq}: HMAC does not verify" in failures
    assert f"entry {seq}: beyond the log head's size {seq}" in failures
    assert f"subject {'c' * 32}: no record (latest entry {seq})" in failures


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
    assert verify(factory).failures == [
        f"stored hashes: 1 differ from the entries (first: index {index}, level 1, n 2)"]


def test_an_edited_business_row_is_named(world, factory):
    company = world["company"]
    seq = latest_seq(company.log_ref)
    sql("UPDATE companies SET name = 'forged' WHERE id = :i", i=company.id)
    assert verify(factory).failures == [f"company {company.log_ref}: canonical state digest differs from entry {seq}"]


# One column of each business table that is part of its aggregate's canonical state, and a new value for it.
BUSINESS_EDITS = {
    "agencies": ("name_en", "Forged Agency"),
    "companies": ("name", "伪造家政服务有限公司"),
    "pledges": ("text_sha256", "0" * 64),
    "company_changes": ("name", "伪造物业服务有限公司"),
    "accounts": ("password_hash", "forged-password-hash"),
    "api_tokens": ("name", "forged token"),
    "workers": ("name_masked", "伪*"),
    "employments": ("occupation", "forged"),
    "worker_records": ("issuer", "forged issuer"),
    "cards": ("key_id", "00000000"),
    "worker_photos": ("content_type", "image/gif"),
    "card_reports": ("reason", "other"),
    "sanctions": ("legal_basis", "伪造的依据"),
    "sanction_persons": ("name_masked", "王*"),
    "sanction_notices": ("objection_days", 30),
    "sanction_decisions": ("decision_no", "伪〔2026〕1号"),
    "sanction_approvals": ("approved_by", "f" * 32),
    "sanction_corrections": ("reason", "伪造"),
    "sanction_repairs": ("state", "approved"),
    "sanction_withdrawals": ("reason", "伪造"),
    "sanction_objections": ("filed_by_kind", "worker"),
    "attachments": ("content_type", "image/png"),
    "calendar_years": ("source", "伪造的通知"),
    "bulletins": ("checkpoint_root", "0" * 64),
    # Not the size or SHA-256: those are also checked against the content (tests/bulletins/test_services.py).
    "bulletin_files": ("media_type", "text/html"),
    "services": ("district", "伪造区"),
    "service_reviews": ("rating", 1),
    "complaints": ("category", "fraud"),
    "complaint_steps": ("by", "f" * 32),
    "complaint_responses": ("by_kind", "company"),
    "complaint_objections": ("filed_by_kind", "company"),
    "review_objections": ("filed_by_kind", "worker"),
    "commendations": ("revoke_reason", "伪造的理由"),
    "credit_rules": ("version", "v1"),
    "score_reviews": ("correction_points", 7),
}
# How a row of each table finds the aggregate root it belongs to.
AGGREGATE_OF = {
    "agencies": lambda row: row,
    "companies": lambda row: row,
    "pledges": lambda row: row.company,
    "company_changes": lambda row: row.company,
    "accounts": lambda row: row.aggregate,
    "api_tokens": lambda row: row.account.aggregate,
    "workers": lambda row: row,
    "employments": lambda row: row.worker,
    "worker_records": lambda row: row.worker,
    "cards": lambda row: db.session.get(Worker, row.worker_id),
    "worker_photos": lambda row: db.session.get(Worker, row.worker_id),
    "card_reports": lambda row: row,
    "sanctions": lambda row: row,
    "sanction_persons": lambda row: row.sanction,
    "sanction_notices": lambda row: row.sanction,
    "sanction_decisions": lambda row: row.sanction,
    "sanction_approvals": lambda row: row.sanction,
    "sanction_corrections": lambda row: row.sanction,
    "sanction_repairs": lambda row: row.sanction,
    "sanction_withdrawals": lambda row: row.sanction,
    "sanction_objections": lambda row: row.sanction,
    "attachments": lambda row: db.session.get(SanctionObjection, row.owner_id).sanction,
    "calendar_years": lambda row: row,
    "bulletins": lambda row: row,
    "bulletin_files": lambda row: row.bulletin,
    "services": lambda row: row,
    "service_reviews": lambda row: row.service,
    "complaints": lambda row: row,
    "complaint_steps": lambda row: row.complaint,
    "complaint_responses": lambda row: row.complaint,
    "complaint_objections": lambda row: row.complaint,
    "review_objections": lambda row: row.service,
    "commendations": lambda row: row,
    "credit_rules": lambda row: row,
    "score_reviews": lambda row: row,
}


def test_the_business_edits_cover_every_business_table():
    assert set(BUSINESS_EDITS) == set(canonical.AGGREGATE_TABLES)
    assert set(AGGREGATE_OF) == set(canonical.AGGREGATE_TABLES)


def _model_for(table: str):
    return next(m.class_ for m in db.Model.registry.mappers if getattr(m.class_, "__tablename__", None) == table)


@pytest.mark.parametrize("table", sorted(canonical.AGGREGATE_TABLES))
def test_a_direct_edit_of_one_row_in_each_business_table_is_named(world, factory, table):
    assert table in BUSINESS_EDITS, f"add a canonical column of {table} to BUSINESS_EDITS"
    column, value = BUSINESS_EDITS[table]
    model = _model_for(table)
    row = db.session.execute(select(model).order_by(model.id).limit(1)).scalar_one_or_none()
    assert row is not None, f"the test world has no row in {table}"
    assert getattr(row, column) != value
    root = AGGREGATE_OF[table](row)
    kind = next(k for k, m in canonical.aggregate_roots() if isinstance(root, m))
    ref, row_id = root.log_ref, row.id
    seq = latest_seq(ref)
    assert verify(factory).ok
    sql(f"UPDATE {table} SET {column} = :v WHERE id = :i", v=value, i=row_id)
    assert verify(factory).failures == [f"{kind} {ref}: canonical state digest differs from entry {seq}"]


def test_an_edited_calendar_day_is_named(world, factory):
    """A working day slipped into a loaded schedule (moving every deadline) is found like any other edit."""
    row = world["calendar"]
    seq = latest_seq(row.log_ref)
    from sqlalchemy import update

    from registry.calendar.models import CalendarYear

    # A JSON column: written through the table (bound as JSON on either engine), outside any service.
    db.session.execute(update(CalendarYear.__table__).where(CalendarYear.id == row.id).values(workdays=["2027-01-02"]))
    db.session.commit()
    assert verify(factory).failures == [f"calendar {row.log_ref}: canonical state digest differs from entry {seq}"]


def test_a_bulletins_replaced_file_and_edited_manifest_are_named(world, factory):
    """A bulletin's state holds each file's size and SHA-256, not its bytes: the bytes are checked against the row,
    and the manifest against its signature and the files (see tests/bulletins/test_services.py for each case)."""
    b = world["bulletin"]
    seq = latest_seq(b.log_ref)
    sql("UPDATE bulletin_files SET content = :c WHERE bulletin_id = :i AND name = 'bulletin-2026-11.pdf'",
        c=b"%PDF-1.7 ..!", i=b.id)
    assert verify(factory).failures == [
        f"bulletin {b.log_ref}: file bulletin-2026-11.pdf: content does not match its SHA-256"]
    sql("UPDATE bulletins SET manifest = :m WHERE id = :i", m=b.manifest.replace("2026-11 v1", "2026-11 v2"), i=b.id)
    failures = verify(factory).failures
    assert failures[0] == f"bulletin {b.log_ref}: canonical state digest differs from entry {seq}"
    assert failures[2].startswith(f"bulletin {b.log_ref}: manifest does not verify") and len(failures) == 3


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
    from registry.keys.crypto import aad, seal

    a = world["workers"][0]
    sql("UPDATE workers SET name_enc = :e WHERE id = :i", e=seal(factory.ring, "李四", aad("workers", "name", a.ref)),
        i=a.id)
    assert verify(factory).failures == [f"worker {a.log_ref}: name does not match its state HMAC"]


def test_a_sanctions_sealed_facts_and_named_persons_are_checked(world, factory):
    from registry.keys.crypto import aad, seal

    s = world["sanction"]
    person = s.persons[0]
    sql("UPDATE sanction_persons SET name_enc = :e WHERE id = :i",
        e=seal(factory.ring, "王五", aad("sanction_persons", "name", person.ref)), i=person.id)
    sql("UPDATE sanctions SET facts_enc = :e WHERE id = :i",
        e=seal(factory.ring, "改过的事实", aad("sanctions", "facts", "0" * 32)), i=s.id)
    assert verify(factory).failures == [f"sanction {s.log_ref}: facts does not decrypt for this row",
                                        f"sanction {s.log_ref}: named person: name does not match its state HMAC"]


def test_an_account_sealed_name_is_checked(world, factory):
    from registry.keys.crypto import aad, seal

    account = world["admin"]
    sql("UPDATE accounts SET name_enc = :e WHERE id = :i",
        e=seal(factory.ring, "冒名", aad("accounts", "name", account.ref)), i=account.id)
    assert verify(factory).failures == [
        f"account {account.ref} (company {world['company'].log_ref}): name does not match its state HMAC"]


def test_a_reports_sealed_text_is_checked(world, factory):
    """A report's text, re-sealed for its own row but changed, or moved from another row, is named."""
    from registry.keys.crypto import aad, seal

    report = world["report"]
    sql("UPDATE card_reports SET text_enc = :e WHERE id = :i",
        e=seal(factory.ring, "改过的举报内容", aad("card_reports", "text", report.ref)), i=report.id)
    assert verify(factory).failures == [f"report {report.log_ref}: text does not match its state HMAC"]
    sql("UPDATE card_reports SET text_enc = :e WHERE id = :i",
        e=seal(factory.ring, "照片与本人不符", aad("card_reports", "text", "0" * 32)), i=report.id)
    assert verify(factory).failures == [f"report {report.log_ref}: text does not decrypt for this row"]
    sql("UPDATE card_reports SET text_enc = NULL WHERE id = :i", i=report.id)
    assert verify(factory).failures == [
        f"report {report.log_ref}: text is sealed without its state HMAC, or the reverse"]


def _photo_row(worker):
    return db.session.execute(select(WorkerPhoto).where(WorkerPhoto.worker_id == worker.id)).scalar_one()


def test_a_swapped_photo_ciphertext_is_named(world, factory):
    """A photo sealed for another row (here: under another ref) does not open for this one."""
    from registry.keys.crypto import aad, seal_bytes

    worker = world["workers"][0]
    photo = _photo_row(worker)
    sql("UPDATE worker_photos SET photo_enc = :e WHERE id = :i",
        e=seal_bytes(factory.ring, PHOTO, aad("worker_photos", "photo", "0" * 32)), i=photo.id)
    assert verify(factory).failures == [f"worker {worker.log_ref}: photo does not decrypt for this row"]


def _document_row(objection):
    from registry.attachments.models import Attachment

    return db.session.execute(select(Attachment).where(Attachment.owner_kind == "sanction_objection",
                                                       Attachment.owner_id == objection.id)).scalar_one()


def test_a_swapped_or_replaced_objection_document_is_named(world, factory):
    """A document sealed for another row does not open; one replaced under its own ref does not match its HMAC."""
    from registry.keys.crypto import aad, seal_bytes

    s, objection = world["sanction"], world["objection"]
    doc = _document_row(objection)
    doc_id, doc_ref, label = doc.id, doc.ref, objection.ref[:8]
    assert verify(factory).ok
    sql("UPDATE attachments SET content_enc = :e WHERE id = :i",
        e=seal_bytes(factory.ring, DOCUMENT, aad("attachments", "content", "0" * 32)), i=doc_id)
    assert verify(factory).failures == [f"sanction {s.log_ref}: objection {label}: document 0 does not decrypt "
                                        "for this row"]
    sql("UPDATE attachments SET content_enc = :e WHERE id = :i",
        e=seal_bytes(factory.ring, b"%PDF-1.7 forged", aad("attachments", "content", doc_ref)), i=doc_id)
    assert verify(factory).failures == [f"sanction {s.log_ref}: objection {label}: document 0 does not match its "
                                        "state HMAC"]


def test_a_replaced_photo_is_named(world, factory):
    """Another picture sealed correctly for the row, but not the one the log's state names."""
    from registry.keys.crypto import aad, seal_bytes

    worker = world["workers"][0]
    photo = _photo_row(worker)
    sql("UPDATE worker_photos SET photo_enc = :e WHERE id = :i",
        e=seal_bytes(factory.ring, _png((10, 20, 30)), aad("worker_photos", "photo", photo.ref)), i=photo.id)
    assert verify(factory).failures == [f"worker {worker.log_ref}: photo does not match its state HMAC"]


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
    from registry.log.actions import Action
    from registry.log.services import Change, append_entries

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


# --- the tree check on its own: any batch size, missing and extra stored hashes ------------------


def tree_failures(factory, chunk: int):
    from registry.log.verify import Report, check_checkpoints, check_tree, head_size, open_checkpoints

    db.session.expire_all()
    report = Report()
    opened = open_checkpoints(factory.ring, ORIGIN, report)
    tree = check_tree(head_size(report), report, checkpoint_sizes=[cp.size for _row, cp in opened], chunk=chunk)
    check_checkpoints(opened, tree, report)
    return report.failures, tree


@pytest.fixture
def many_checkpoints(world, factory):
    """The world's log grown in steps of 1 to 9 entries, a checkpoint signed after each."""
    from tests.support.logutil import append_synthetic

    for step in (1, 2, 3, 5, 8, 9, 1, 4):
        append_synthetic(factory.ring, step)
        assert sign(factory.ring).status == "signed"
    return world


CHUNKS = (1, 2, 3, 4, 7, 8, 16, 10000)


def test_the_tree_check_gives_the_same_roots_in_any_batch_size(many_checkpoints, factory, monkeypatch):
    from registry.log.verify import tree as verify_module
    from tests.support.logutil import leaves

    fast = []
    check = verify_module._AlignedBatches.check

    def counted(self, *args):
        fast.append(check(self, *args))
        return fast[-1]

    monkeypatch.setattr(verify_module._AlignedBatches, "check", counted)
    all_leaves = leaves()
    sizes = db.session.scalars(select(LogCheckpoint.size).order_by(LogCheckpoint.id)).all()
    assert len(sizes) == 9
    for chunk in CHUNKS:
        failures, tree = tree_failures(factory, chunk)
        assert failures == [], chunk
        assert tree.roots == {s: merkle.root_from_leaves(all_leaves[:s]) for s in sizes}, chunk
    assert fast and all(fast)  # whole aligned batches took the level-by-level path, and it matched


@pytest.mark.parametrize("chunk", CHUNKS)
def test_tampering_is_named_alike_in_any_batch_size(many_checkpoints, factory, chunk):
    sizes = db.session.scalars(select(LogCheckpoint.size).order_by(LogCheckpoint.id)).all()
    victim = sizes[3] - 1  # the last entry of the fourth checkpoint
    sql("UPDATE log_entries SET leaf_hash = :h WHERE seq = 2", h=b"\x07" * 32)
    sql("DELETE FROM log_entries WHERE seq = :s", s=victim)
    sql("UPDATE log_hashes SET hash = :h WHERE id = :i", h=b"\x09" * 32, i=merkle.stored_hash_index(2, 1))
    failures, _ = tree_failures(factory, chunk)
    assert failures == ["entry 2: leaf hash does not match its body", f"entries: seq {victim} missing",
                        f"stored hashes: 1 differ from the entries (first: index {merkle.stored_hash_index(2, 1)}, "
                        f"level 2, n 1)"]


def test_a_deleted_stored_hash_is_named(many_checkpoints, factory):
    index = merkle.stored_hash_index(1, 3)
    sql("DELETE FROM log_hashes WHERE id = :i", i=index)
    for chunk in (3, 10000):
        assert tree_failures(factory, chunk)[0] == ["stored hashes: 1 missing"]


def test_a_stored_hash_beyond_the_tree_is_named(many_checkpoints, factory):
    from registry.log.services import log_size

    index = merkle.stored_hash_count(log_size()) + 3
    sql("INSERT INTO log_hashes (id, hash) VALUES (:i, :h)", i=index, h=b"\x01" * 32)
    assert tree_failures(factory, 10000)[0] == [f"stored hashes: 1 beyond the tree (first: index {index})"]


def test_a_complaints_sealed_texts_are_checked(world, factory):
    """The complaint's text and contact, each step's reason and each response: a swapped or re-sealed value is named."""
    from registry.keys.crypto import aad, seal

    c = world["complaint"]
    step, response = c.steps[0], c.responses[0]
    sql("UPDATE complaints SET contact_phone_enc = :e WHERE id = :i",
        e=seal(factory.ring, "13900009999", aad("complaints", "contact_phone", c.ref)), i=c.id)
    sql("UPDATE complaint_steps SET reason_enc = :e WHERE id = :i",
        e=seal(factory.ring, "改过的理由", aad("complaint_steps", "reason", "0" * 32)), i=step.id)
    sql("UPDATE complaint_responses SET text_enc = :e WHERE id = :i",
        e=seal(factory.ring, "改过的答复", aad("complaint_responses", "text", response.ref)), i=response.id)
    assert verify(factory).failures == [
        f"complaint {c.log_ref}: contact_phone does not match its state HMAC",
        f"complaint {c.log_ref}: step accept: reason does not decrypt for this row",
        f"complaint {c.log_ref}: response: text does not match its state HMAC"]


def test_a_repair_applications_sealed_statement_is_checked(world, factory):
    """The statement of obligations met, re-sealed with another text: named as not matching its state HMAC."""
    from registry.keys.crypto import aad, seal

    s = world["minor_sanction"]
    application = s.repairs[0]
    sql("UPDATE sanction_repairs SET statement_enc = :e WHERE id = :i",
        e=seal(factory.ring, "改过的说明", aad("sanction_repairs", "statement", application.ref)), i=application.id)
    assert verify(factory).failures == [
        f"sanction {s.log_ref}: repair application: statement does not match its state HMAC"]
