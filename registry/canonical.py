"""Canonical states: what each aggregate's log digest is computed over.

Versioned: a change to any state's shape bumps VERSION and keeps the old
function so earlier digests can still be replayed. Every table is assigned to
an aggregate kind or marked unlogged (a test checks none is forgotten).

Rules (docs/log.md, "Canonical states and aggregates"): each state carries the record's random salt; links to other
records appear only inside it (as refs, never database ids); personal data and
secrets appear only as HMACs under the `state` key — never plaintext,
ciphertext or blind-index values — so re-encryption and index-key rotation
keep every digest valid.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import rfc8785
from sqlalchemy import select

VERSION = 1

# Table → the aggregate kinds its rows belong to.
AGGREGATE_TABLES: dict[str, tuple[str, ...]] = {
    "agencies": ("agency",),
    "companies": ("company",),
    "pledges": ("company",),
    "company_changes": ("company",),
    # A user belongs to their company's or agency's aggregate.
    "accounts": ("company", "agency"),
    "api_tokens": ("company", "agency"),
    "workers": ("worker",),
    "employments": ("worker",),
    "worker_records": ("worker",),
    "cards": ("worker",),
    "worker_photos": ("worker",),
    "card_reports": ("report",),
    "sanctions": ("sanction",),
    "sanction_persons": ("sanction",),
    "sanction_notices": ("sanction",),
    "sanction_decisions": ("sanction",),
    "sanction_approvals": ("sanction",),
    "sanction_corrections": ("sanction",),
    # Credit repair applications and the withdrawal of a revoked decision sit in the sanction's aggregate.
    "sanction_repairs": ("sanction",),
    "sanction_withdrawals": ("sanction",),
    # The subject's objections (异议), and the documents attached to them (a generic table: each owner kind's
    # aggregate lists it: objections' `sanction_objection`, repair applications' `sanction_repair`).
    "sanction_objections": ("sanction",),
    "attachments": ("sanction", "complaint", "service"),
    "calendar_years": ("calendar",),
    "bulletins": ("bulletin",),
    "bulletin_files": ("bulletin",),
    "services": ("service",),
    "service_reviews": ("service",),
    # The subject's objections (异议) to a service's review (documents: `attachments`, `review_objection`).
    "review_objections": ("service",),
    # Complaints (投诉): the regulators' steps and the subject's responses sit in the complaint's aggregate.
    "complaints": ("complaint",),
    "complaint_steps": ("complaint",),
    "complaint_responses": ("complaint",),
    # The subject's objections (异议) to a substantiated complaint (documents: `attachments`, `complaint_objection`).
    "complaint_objections": ("complaint",),
    # Commendations (表彰) regulators record of a company: each its own aggregate.
    "commendations": ("commendation",),
    # The adoptions of credit-rules versions: each its own aggregate, never changed.
    "credit_rules": ("credit_rules",),
    # Requests for human review of a credit score (PIPL art. 24) and their answers: each its own aggregate.
    "score_reviews": ("score_review",),
}
# Tables that hold no business state: the log itself, queues, leases, the outbox.
UNLOGGED_TABLES = frozenset({
    "alembic_version", "log_head", "log_entries", "tasks", "job_leases", "job_runs", "jobs_processes", "outbox",
    # The transparency log's tree, checkpoints and alarms: the log itself.
    "log_hashes", "log_checkpoints", "log_alarms",
    # `flask db move`'s marker and progress (registry/move): the move's bookkeeping, never copied by it.
    "db_moves", "db_move_progress",
    # Reads of personal data (a worker's, a company contact person's): private, never in the public log.
    "access_records", "company_contact_reads",
    # Uploaded files awaiting import (sealed); what they register is logged per row.
    "import_files",
    # Bulk card print output: the cards it issues are logged in their workers' states.
    "card_prints",
    # A worker's own sign-in: PIN, one-time codes, sessions and their failure counters.
    "worker_logins", "worker_codes", "worker_sessions",
    # Accounts' signed-in browsers: credentials, like worker sessions and a token's last use.
    "account_sessions",
    # How company names are searched (companies/search.py): derived from the names, which companies' states hold;
    # no business state of their own, rebuilt from the names.
    "company_name_grams", "company_name_folds",
    # The public search's walk of company sanctions by name (sanctions/listing_index.py): derived likewise from
    # the sanctions and the names.
    "listing_grams",
    # Which sanctions each bulletin version carries (bulletins/follow.py): derived from what it published, which
    # the bulletin's state commits to.
    "bulletin_records",
    # A service's review code (a credential, like a worker's codes) and regulators' household queries (reads).
    "review_codes", "household_queries",
    # An uploaded service file while its import runs (sealed; its content deleted when the task ends), like the
    # staff files.
    "service_files",
    # Kept credit scores (credit/score_models.py): derived from logged records and the versioned rules, made again
    # whole by `flask credit rebuild`.
    "credit_scores",
})


def _dt(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def digest(state: dict) -> str:
    """SHA-256 of the state's RFC 8785 bytes, lowercase hex."""
    return hashlib.sha256(jcs_of_plain(state)).hexdigest()


def _h(ring, field: str, value: str | None) -> str | None:
    from .keys.crypto import state_hmac

    return None if value is None else state_hmac(ring, field, value)


def _accounts(ring, owner_column, owner_id) -> list[dict]:
    from .accounts.models import Account, ApiToken
    from .extensions import db

    accounts = db.session.execute(select(Account).where(owner_column == owner_id).order_by(Account.id)).scalars()
    out = []
    for a in accounts:
        tokens = db.session.execute(
            select(ApiToken).where(ApiToken.account_id == a.id).order_by(ApiToken.id)
        ).scalars()
        out.append({
            "ref": a.ref,
            "login": _h(ring, "login", a.login),
            "role": a.role,
            "name": a.name_state,
            "password": _h(ring, "password_hash", a.password_hash),
            "must_change_password": a.must_change_password,
            "totp": a.totp_state,
            "disabled": a.disabled,
            "created": _dt(a.created_dt),
            "tokens": [
                {"name": t.name, "hash": _h(ring, "token_hash", t.token_hash), "prefix": t.prefix,
                 "created": _dt(t.created_dt), "revoked": _dt(t.revoked_dt)}
                for t in tokens
            ],
        })
    return out


def company_state(ring, company) -> dict:
    """A company's state; `changes` (its change requests) and `service_phone` appear only once the company
    has one, and a pledge's breach only once one is recorded, so the digests of companies logged before either
    existed stay valid."""
    from .accounts.models import Account
    from .companies.models import CompanyChange, Pledge
    from .extensions import db

    pledges = db.session.execute(
        select(Pledge).where(Pledge.company_id == company.id).order_by(Pledge.id)
    ).scalars()
    changes = db.session.execute(
        select(CompanyChange).where(CompanyChange.company_id == company.id).order_by(CompanyChange.id)
    ).scalars().all()
    state = {
        "v": VERSION,
        "kind": "company",
        "salt": company.salt,
        "uscc": company.uscc,
        "name": company.name,
        "sectors": sorted(company.sectors),
        "business_model": company.business_model,
        "employee_conditions": company.employee_conditions,
        "district": company.district,
        "status": company.status,
        "checksum_flagged": company.checksum_flagged,
        "review_note": company.review_note,
        "decided_by": company.decided_by,
        "decided": _dt(company.decided_dt),
        "decision_note": company.decision_note,
        "contact": {"name": company.contact_name_state, "phone": company.contact_phone_state},
        "created": _dt(company.created_dt),
        "accounts": _accounts(ring, Account.company_id, company.id),
        "pledges": [_pledge_state(p) for p in pledges],
    }
    if company.service_phone is not None:
        state["service_phone"] = company.service_phone
    if changes:
        state["changes"] = [
            {"ref": c.ref, "name": c.name, "sectors": sorted(c.sectors), "business_model": c.business_model,
             "employee_conditions": c.employee_conditions, "status": c.status, "requested_by": c.requested_by,
             "requested": _dt(c.requested_dt), "decided_by": c.decided_by, "decided": _dt(c.decided_dt),
             "reason": c.reason}
            for c in changes
        ]
    return state


def _pledge_state(p) -> dict:
    """A pledge in its company's state; one found broken adds the day found, the basis and who recorded it (only
    when any of them is set, so the digests of companies logged before breaches were recorded stay valid)."""
    out = {"version": p.version, "text_sha256": p.text_sha256, "accepted_by": p.accepted_by,
           "accepted": _dt(p.accepted_dt), "state": p.state}
    if (p.broken_on, p.broken_basis, p.broken_by) != (None, None, None):
        out.update(broken_on=_d(p.broken_on), broken_basis=p.broken_basis, broken_by=p.broken_by)
    return out


def agency_state(ring, agency) -> dict:
    from .accounts.models import Account

    return {
        "v": VERSION,
        "kind": "agency",
        "salt": agency.salt,
        "code": agency.code,
        "name_zh": agency.name_zh,
        "name_en": agency.name_en,
        "agency_kind": agency.kind,
        "sector": agency.sector,
        "created": _dt(agency.created_dt),
        "accounts": _accounts(ring, Account.agency_id, agency.id),
    }


def _d(value) -> str | None:
    return None if value is None else value.isoformat()


def worker_state(ring, worker) -> dict:
    """Load a worker's dependent rows and build its state."""
    return worker_state_from(worker, **load_worker_rows([worker.id])[worker.id])


def load_worker_rows(worker_ids) -> dict[int, dict]:
    """The rows each worker's state is built from, keyed by worker id: the keyword arguments of
    `worker_state_from` after the worker itself (`employments`, `records`, `cards`, `photo`).

    Each row comes with its company's log_ref, in id order (cards by serial).
    One loader for one worker (`worker_state`) and for a batch (the staff
    import, attaching existing workers), so the two cannot disagree on what a
    state holds.
    """
    from .cards.models import Card
    from .companies.models import Company
    from .extensions import db
    from .workers.models import Employment, WorkerPhoto, WorkerRecord

    ids = list(worker_ids)
    out = {wid: {"employments": [], "records": [], "cards": [], "photo": None} for wid in ids}
    if not ids:
        return out
    for e, ref in db.session.execute(
            select(Employment, Company.log_ref).join(Company, Company.id == Employment.company_id)
            .where(Employment.worker_id.in_(ids)).order_by(Employment.id)).all():
        out[e.worker_id]["employments"].append((e, ref))
    for r, ref in db.session.execute(
            select(WorkerRecord, Company.log_ref).join(Company, Company.id == WorkerRecord.company_id)
            .where(WorkerRecord.worker_id.in_(ids)).order_by(WorkerRecord.id)).all():
        out[r.worker_id]["records"].append((r, ref))
    for c, ref in db.session.execute(
            select(Card, Company.log_ref).join(Company, Company.id == Card.company_id)
            .where(Card.worker_id.in_(ids)).order_by(Card.worker_id, Card.serial)).all():
        out[c.worker_id]["cards"].append((c, ref))
    for p, ref in db.session.execute(
            select(WorkerPhoto, Company.log_ref).join(Company, Company.id == WorkerPhoto.company_id)
            .where(WorkerPhoto.worker_id.in_(ids))).all():
        out[p.worker_id]["photo"] = (p, ref)
    return out


def _employment(e, ref) -> dict:
    out = {"company": ref, "occupation": e.occupation, "kind": e.kind, "start": _d(e.start_date),
           "end": _d(e.end_date), "social_insurance": e.social_insurance, "recorded_by": e.recorded_by,
           "created": _dt(e.created_dt)}
    # An attachment awaiting the worker's confirmation, and its confirmation, appear only once
    # present, so the digests of employments logged before confirmations existed stay valid.
    pending_until = getattr(e, "pending_until", None)
    if pending_until is not None:
        out["pending_until"] = _d(pending_until)
    confirmed = getattr(e, "confirmed_dt", None)
    if confirmed is not None:
        out["confirmed"] = _dt(confirmed)
        out["confirmed_by"] = e.confirmed_by
    # The listings the registration warned of, likewise only once an employment has any.
    warnings = getattr(e, "listing_warnings", None)
    if warnings:
        out["listing_warnings"] = list(warnings)
    return out


def _card(c, ref) -> dict:
    out = {"serial": c.serial, "company": ref, "issued_on": _d(c.issued_on), "valid_until": _d(c.valid_until),
           "key_id": c.key_id, "issued_by": c.issued_by, "created": _dt(c.created_dt)}
    # A void appears only once set, so the digests of cards logged before voiding existed stay valid.
    voided_on = getattr(c, "voided_on", None)
    if voided_on is not None:
        out["voided_on"] = _d(voided_on)
    return out


def worker_state_from(worker, employments, records, *, cards=(), photo=None) -> dict:
    """A worker's state from its row and its (row, company log_ref) pairs, in id order.

    Rows may be ORM objects or anything with the same attributes: the staff
    import builds states for a whole batch without reading them back.

    `cards` and `photo` appear in the state only once the worker has one, so
    the digests of workers logged before cards existed stay valid.
    """
    # Links between records inside the aggregate are positions in this list, not database ids.
    position = {r.id: i for i, (r, _ref) in enumerate(records)}
    state = {
        "v": VERSION,
        "kind": "worker",
        "salt": worker.salt,
        "card_no": worker.card_no,
        "id_kind": worker.id_kind,
        "name": worker.name_state,
        "name_masked": worker.name_masked,
        "id_number": worker.id_number_state,
        "phone": worker.phone_state,
        "registered_by": worker.registered_by,
        "created": _dt(worker.created_dt),
        "employments": [_employment(e, ref) for e, ref in employments],
        "records": [
            {"company": ref, "kind": r.kind, "result": r.result, "on": _d(r.on_date), "valid_until": _d(r.valid_until),
             "course": r.course, "hours": None if r.hours is None else f"{r.hours:.1f}", "exam_passed": r.exam_passed,
             "issuer": r.issuer, "recorded_by": r.recorded_by,
             "supersedes": None if r.supersedes_id is None else position[r.supersedes_id],
             "created": _dt(r.created_dt)}
            for r, ref in records
        ],
    }
    if cards:
        state["cards"] = [_card(c, ref) for c, ref in cards]
    if photo is not None:
        p, ref = photo
        state["photo"] = {"photo": p.photo_state, "content_type": p.content_type, "consent_on": _d(p.consent_on),
                          "company": ref, "uploaded_by": p.uploaded_by, "created": _dt(p.created_dt)}
    # Erasure appears only once it happened, so every earlier digest stays valid. The state HMACs above stay as
    # they were (only the ciphertexts and look-up indexes go), so the erased state still commits to the values.
    erased = getattr(worker, "erased_dt", None)
    if erased is not None:
        state["erased"] = {"at": _dt(erased), "basis": worker.erased_basis, "reference": worker.erased_reference}
    return state


def report_state(ring, report) -> dict:
    """A card report: which worker (by log_ref), why, and how it was handled; the text only as an HMAC."""
    return {
        "v": VERSION,
        "kind": "report",
        "salt": report.salt,
        "worker": report.worker.log_ref,
        "reason": report.reason,
        "text": report.text_state,
        "serial": report.serial,
        "qr_verdict": report.qr_verdict,
        "state": report.state,
        "closed_by": report.closed_by,
        "closed": _dt(report.closed_dt),
        "closing_note": report.closing_note_state,
        "created": _dt(report.created_dt),
    }


def sanction_state(ring, sanction) -> dict:
    """A sanction with its named persons, notice, decision, approvals and corrections.

    Subjects and links are log_refs; the facts and each person's name only as
    HMACs. Derived dates (the window's end, the publication and objection
    deadlines) are never stored: they follow from the dates here and the calendar.
    """
    subject = sanction.worker if sanction.subject_kind == "worker" else sanction.company
    notice, decision = sanction.notice, sanction.decision
    state = {
        "v": VERSION,
        "kind": "sanction",
        "salt": sanction.salt,
        "subject": {"kind": sanction.subject_kind, "ref": subject.log_ref},
        "agency": sanction.agency.log_ref,
        "sanction_kind": sanction.kind,
        "severity": sanction.severity,
        "legal_basis": sanction.legal_basis,
        "facts": sanction.facts_state,
        "measures": sanction.measures,
        "bars_home_service": sanction.bars_home_service,
        "publish_months": sanction.publish_months,
        "origin": _sanction_origin(sanction),
        "state": sanction.state,
        "proposed_by": sanction.proposed_by,
        "created": _dt(sanction.created_dt),
        "persons": [
            {"role": p.role, "name": p.name_state, "name_masked": p.name_masked,
             "worker": None if p.worker is None else p.worker.log_ref}
            for p in sanction.persons
        ],
        "notice": None if notice is None else {
            "reasons": notice.reasons_state, "objection_days": notice.objection_days,
            "delivery_method": notice.delivery_method,
            "delivered_on": _d(notice.delivered_on), "notified_by": notice.notified_by,
            "notified": _dt(notice.notified_dt)},
        "decision": None if decision is None else {
            "decision_no": decision.decision_no, "decision_date": _d(decision.decision_date),
            "decided_by": decision.decided_by, "decided": _dt(decision.decided_dt)},
        "approvals": [{"approved_by": a.approved_by, "approved": _dt(a.approved_dt)} for a in sanction.approvals],
        "published": None if sanction.published_dt is None else {
            "by": sanction.published_by, "at": _dt(sanction.published_dt)},
        "expired": _dt(sanction.expired_dt),
        "corrections": [
            {"fields": c.fields, "reason": c.reason, "corrected_by": c.corrected_by, "corrected": _dt(c.corrected_dt)}
            for c in sanction.corrections
        ],
    }
    # Repairs and the withdrawal appear only once a sanction has them, so earlier digests stay valid.
    repairs = getattr(sanction, "repairs", None)
    if repairs:
        state["repairs"] = _repairs(ring, repairs)
    withdrawal = getattr(sanction, "withdrawal", None)
    if withdrawal is not None:
        state["withdrawal"] = {
            "authority": withdrawal.authority, "revoked_on": _d(withdrawal.revoked_on), "reason": withdrawal.reason,
            "recorded_by": withdrawal.recorded_by, "recorded": _dt(withdrawal.recorded_dt),
            "withdrawn_by": withdrawal.withdrawn_by, "withdrawn": _dt(withdrawal.withdrawn_dt)}
    # Objections appear only once there is one, so the digests of sanctions logged before objections existed stay
    # valid.
    objections = getattr(sanction, "objections", None)
    if objections:
        state["objections"] = _objections(ring, objections)
    return state


def _repairs(ring, repairs) -> list[dict]:
    """Each repair application: its statement only as a state HMAC, and its documents (type, size and the HMAC of
    each file's SHA-256) under `documents` only when it has some, so applications logged without documents (or
    before documents existed) keep their digests."""
    from .attachments import services as attachments
    from .sanctions.repair import OWNER_KIND

    files = attachments.for_owners(OWNER_KIND, [r.id for r in repairs if r.id is not None])
    out = []
    for r in repairs:
        entry = {"ref": r.ref, "applicant_kind": r.applicant_kind, "applicant": r.applicant,
                 "statement": r.statement_state, "pledge": r.pledge, "applied": _dt(r.applied_dt), "state": r.state,
                 "decided_by": r.decided_by, "decided": _dt(r.decided_dt), "reason": r.reason}
        documents = files.get(r.id)
        if documents:
            entry["documents"] = attachments.state_entries(documents)
        out.append(entry)
    return out


def _objections(ring, objections) -> list[dict]:
    """Each objection in id order: who filed it, its reasons and answer only as state HMACs, its documents (type,
    size and the HMAC of each file's SHA-256), its state and days. Deadlines are derived, never stored."""
    from .attachments import services as attachments
    from .sanctions.objections import OWNER_KIND

    files = attachments.for_owners(OWNER_KIND, [o.id for o in objections])
    return [{"filed_by_kind": o.filed_by_kind, "filed_by": o.filed_by, "reasons": o.reasons_state,
             "documents": attachments.state_entries(files[o.id]), "in_window": o.in_window, "state": o.state,
             "accept_days": o.accept_days, "answer_days": o.answer_days, "filed": _dt(o.filed_dt),
             "filed_on": _d(o.filed_on), "accepted_by": o.accepted_by, "accepted_on": _d(o.accepted_on),
             "answered_by": o.answered_by, "answered_on": _d(o.answered_on), "answered": _dt(o.answered_dt),
             "answer": o.answer_state, "outcome": o.outcome}
            for o in objections]


def _sanction_origin(sanction) -> dict | None:
    """Where the case came from: a card report and/or a substantiated complaint, by log_ref.

    `complaint` appears only when set, so the digests of sanctions logged before complaints existed stay valid.
    """
    origin = {}
    if sanction.origin_report is not None:
        origin["report"] = sanction.origin_report.log_ref
    if getattr(sanction, "origin_complaint", None) is not None:
        origin["complaint"] = sanction.origin_complaint.log_ref
    return origin or None


def calendar_state(ring, row) -> dict:
    """A year's loaded working-day schedule: its off days and make-up working days (sorted ISO dates), its source,
    who loaded it and when. Public facts, in clear."""
    return {
        "v": VERSION,
        "kind": "calendar",
        "salt": row.salt,
        "year": row.year,
        "holidays": sorted(row.holidays),
        "workdays": sorted(row.workdays),
        "source": row.source,
        "loaded_by": row.loaded_by,
        "loaded": _dt(row.loaded_dt),
    }


def bulletin_state(ring, bulletin) -> dict:
    """One version of a period's bulletin: the period, version and state, when it was made, the checkpoint it cites,
    the signing key's id, the signed manifest's SHA-256, and each file's name, media type, size and SHA-256 (never
    its content), in id order; the withdrawal (reason, by whom, when) once withdrawn. The log thus commits to every
    byte published. Public facts, in clear."""
    from .bulletins.models import BulletinFile
    from .extensions import db

    files = db.session.execute(
        select(BulletinFile.name, BulletinFile.media_type, BulletinFile.size, BulletinFile.sha256)
        .where(BulletinFile.bulletin_id == bulletin.id).order_by(BulletinFile.id)).all()
    withdrawn = (bulletin.withdrawn_reason, bulletin.withdrawn_by, bulletin.withdrawn_at)
    return {
        "v": VERSION,
        "kind": "bulletin",
        "salt": bulletin.salt,
        "period": {"kind": bulletin.period_kind, "key": bulletin.period_key},
        "version": bulletin.version,
        "state": bulletin.state,
        "made": _dt(bulletin.made_at),
        "checkpoint": {"size": bulletin.checkpoint_size, "root": bulletin.checkpoint_root},
        "key_id": bulletin.key_id,
        "manifest_sha256": hashlib.sha256(bulletin.manifest.encode("utf-8")).hexdigest(),
        "files": [{"name": f.name, "media_type": f.media_type, "size": f.size, "sha256": f.sha256} for f in files],
        "created_by": bulletin.created_by,
        # Read whenever any of its columns is set, so a reason slipped into a current bulletin changes the digest.
        "withdrawn": None if withdrawn == (None, None, None) else {
            "reason": withdrawn[0], "by": withdrawn[1], "at": _dt(withdrawn[2])},
    }


def service_state(ring, service) -> dict:
    """A service record with its review (if any), from the ORM row; its review's objections only once there is
    one, so the digests of services logged before objections existed stay valid."""
    state = service_state_from(ring, service, worker=service.worker.log_ref, company=service.company.log_ref,
                               review=service.review)
    objections = getattr(service, "objections", None)
    if objections:
        from .trace.review_objections import OWNER_KIND

        state["objections"] = _complaint_objections(ring, objections, owner_kind=OWNER_KIND)
    return state


def service_state_from(ring, service, *, worker: str, company: str, review=None) -> dict:
    """A service record's state from its row (an ORM object or anything with the same attributes), the worker's
    and the company's log_refs, and its review.

    The household only as HMACs of its references (the global and the company's): the public log says nothing of
    who was served, and an edit to either reference changes the digest. Both texts of a review only as HMACs.
    """
    return {
        "v": VERSION,
        "kind": "service",
        "salt": service.salt,
        "worker": worker,
        "company": company,
        "service_type": service.service_type,
        "district": service.district,
        "start": _dt(service.start_dt),
        "end": _dt(service.end_dt),
        "household": _h(ring, "household_ref", service.household_ref),
        "company_household": _h(ring, "company_household", service.company_household),
        "overrides": None if service.overrides is None else sorted(service.overrides),
        "override_reason": _h(ring, "override_reason", service.override_reason),
        "recorded_by": service.recorded_by,
        "created": _dt(service.created_dt),
        "review": None if review is None else {
            "rating": review.rating, "tags": sorted(review.tags), "text": review.text_state,
            "reviewed": _dt(review.reviewed_dt), "reply": review.reply_state, "replied_by": review.replied_by,
            "replied": _dt(review.replied_dt),
            # Only once withdrawn by an upheld objection: earlier digests stay valid.
            **({} if getattr(review, "withdrawn_dt", None) is None else {
                "withdrawn": _dt(review.withdrawn_dt), "withdrawn_by": review.withdrawn_by})},
    }


def complaint_state(ring, complaint) -> dict:
    """A complaint: its subject and service (log_refs), how and why it was filed, each regulator's step and each
    response of the subject, in order.

    Every text (the complaint, the complainant's contact, the reasons, the responses) only as its state HMAC, the
    tracking code's hash only as an HMAC of it. Deadlines are derived, never stored: the days here and the calendar.
    """
    subject = complaint.worker if complaint.subject_kind == "worker" else complaint.company
    agency = complaint.concluded_agency
    state = {
        "v": VERSION,
        "kind": "complaint",
        "salt": complaint.salt,
        "subject": {"kind": complaint.subject_kind, "ref": subject.log_ref},
        "service": None if complaint.service is None else complaint.service.log_ref,
        "method": complaint.method,
        "category": complaint.category,
        "text": complaint.text_state,
        "contact": {"name": complaint.contact_name_state, "phone": complaint.contact_phone_state},
        "tracking": _h(ring, "tracking_hash", complaint.tracking_hash),
        "state": complaint.state,
        "accept_days": complaint.accept_days,
        "conclude_days": complaint.conclude_days,
        "filed": _dt(complaint.filed_dt),
        "filed_on": _d(complaint.filed_on),
        "accepted_on": _d(complaint.accepted_on),
        "concluded_on": _d(complaint.concluded_on),
        "concluded_agency": None if agency is None else agency.log_ref,
        "steps": [{"step": s.step, "state": s.state, "reason": s.reason_state, "by": s.by,
                   "agency": s.agency.log_ref, "at": _dt(s.at_dt)} for s in complaint.steps],
        "responses": [{"by_kind": r.by_kind, "by": r.by, "text": r.text_state, "at": _dt(r.at_dt)}
                      for r in complaint.responses],
    }
    # Objections appear only once there is one, so the digests of complaints logged before they existed stay valid.
    objections = getattr(complaint, "objections", None)
    if objections:
        state["objections"] = _complaint_objections(ring, objections)
    return state


def _complaint_objections(ring, objections, *, owner_kind: str | None = None) -> list[dict]:
    """Each objection to the complaint (or to a service's review, under its `owner_kind`) in id order, as a
    sanction objection's (`_objections`) without the notice window, with the category a correction replaced (a
    review's: always None)."""
    from .attachments import services as attachments
    from .complaints.objections import OWNER_KIND

    files = attachments.for_owners(owner_kind or OWNER_KIND, [o.id for o in objections])
    return [{"filed_by_kind": o.filed_by_kind, "filed_by": o.filed_by, "reasons": o.reasons_state,
             "documents": attachments.state_entries(files[o.id]), "state": o.state,
             "accept_days": o.accept_days, "answer_days": o.answer_days, "filed": _dt(o.filed_dt),
             "filed_on": _d(o.filed_on), "accepted_by": o.accepted_by, "accepted_on": _d(o.accepted_on),
             "answered_by": o.answered_by, "answered_on": _d(o.answered_on), "answered": _dt(o.answered_dt),
             "answer": o.answer_state, "outcome": o.outcome, "corrected_from": getattr(o, "corrected_from", None)}
            for o in objections]


def commendation_state(ring, commendation) -> dict:
    """A commendation: the company and the recording agency (log_refs), what and on what basis, its days, who
    recorded it and when, and its revocation once revoked. Public facts about a company, in clear."""
    revoked = (commendation.revoked_dt, commendation.revoked_by, commendation.revoke_reason)
    return {
        "v": VERSION,
        "kind": "commendation",
        "salt": commendation.salt,
        "company": commendation.company.log_ref,
        "agency": commendation.agency.log_ref,
        "title": commendation.title,
        "basis": commendation.basis,
        "commended_on": _d(commendation.commended_on),
        "valid_until": _d(commendation.valid_until),
        "recorded_by": commendation.recorded_by,
        "recorded": _dt(commendation.recorded_dt),
        # Read whenever any of its columns is set, so a revocation slipped into a current one changes the digest.
        "revoked": None if revoked == (None, None, None) else {
            "by": revoked[1], "at": _dt(revoked[0]), "reason": revoked[2]},
    }


def credit_rules_state(ring, adoption) -> dict:
    """An adoption of a credit-rules version: the version, the SHA-256 of its file as adopted, the version it
    replaced, the reason, who adopted it and when. Public facts, in clear."""
    return {
        "v": VERSION,
        "kind": "credit_rules",
        "salt": adoption.salt,
        "version": adoption.version,
        "sha256": adoption.sha256,
        "previous_version": adoption.previous_version,
        "reason": adoption.reason,
        "adopted_by": adoption.adopted_by,
        "adopted": _dt(adoption.adopted_dt),
    }


def score_review_state(ring, review) -> dict:
    """A request for human review of a score: its subject (log_ref), who filed it and when, the reason only as its
    state HMAC, the components disputed (public refs), the score asked about, and the answer — who, which agency
    (log_ref), when, the note only as its state HMAC, and the correction (points and last day) when one is made.
    The deadline is derived, never stored: the filing day, `answer_days` and the calendar."""
    subject = review.worker if review.subject_kind == "worker" else review.company
    agency = review.answered_agency
    return {
        "v": VERSION,
        "kind": "score_review",
        "salt": review.salt,
        "subject": {"kind": review.subject_kind, "ref": subject.log_ref},
        "filed_by": review.filed_by,
        "filed": _dt(review.filed_dt),
        "filed_on": _d(review.filed_on),
        "reason": review.reason_state,
        "disputed": [{"kind": d["kind"], "ref": d["ref"]} for d in review.disputed or []],
        "score": {"points": review.score_points, "rules_version": review.rules_version},
        "state": review.state,
        "answer_days": review.answer_days,
        "answered_by": review.answered_by,
        "answered_agency": None if agency is None else agency.log_ref,
        "answered_on": _d(review.answered_on),
        "answered": _dt(review.answered_dt),
        "note": review.note_state,
        "correction": None if review.correction_points is None and review.correction_until is None else {
            "points": review.correction_points, "until": _d(review.correction_until)},
    }


def state_of(ring, aggregate) -> dict:
    """The canonical state of any aggregate root."""
    from .accounts.models import Agency
    from .bulletins.models import Bulletin
    from .calendar.models import CalendarYear
    from .companies.models import Company
    from .complaints.models import Complaint
    from .credit.models import Commendation, RulesAdoption, ScoreReview
    from .reports.models import CardReport
    from .sanctions.models import Sanction
    from .trace.models import ServiceRecord
    from .workers.models import Worker

    if isinstance(aggregate, Worker):
        return worker_state(ring, aggregate)
    if isinstance(aggregate, CardReport):
        return report_state(ring, aggregate)
    if isinstance(aggregate, Sanction):
        return sanction_state(ring, aggregate)
    if isinstance(aggregate, Company):
        return company_state(ring, aggregate)
    if isinstance(aggregate, Agency):
        return agency_state(ring, aggregate)
    if isinstance(aggregate, CalendarYear):
        return calendar_state(ring, aggregate)
    if isinstance(aggregate, Bulletin):
        return bulletin_state(ring, aggregate)
    if isinstance(aggregate, ServiceRecord):
        return service_state(ring, aggregate)
    if isinstance(aggregate, Complaint):
        return complaint_state(ring, aggregate)
    if isinstance(aggregate, Commendation):
        return commendation_state(ring, aggregate)
    if isinstance(aggregate, RulesAdoption):
        return credit_rules_state(ring, aggregate)
    if isinstance(aggregate, ScoreReview):
        return score_review_state(ring, aggregate)
    raise TypeError(f"{type(aggregate).__name__} is not an aggregate root")


def aggregate_roots():
    """(kind, model) for every aggregate root, for replay."""
    from .accounts.models import Agency
    from .bulletins.models import Bulletin
    from .calendar.models import CalendarYear
    from .companies.models import Company
    from .complaints.models import Complaint
    from .credit.models import Commendation, RulesAdoption, ScoreReview
    from .reports.models import CardReport
    from .sanctions.models import Sanction
    from .trace.models import ServiceRecord
    from .workers.models import Worker

    return (("agency", Agency), ("company", Company), ("worker", Worker), ("report", CardReport),
            ("sanction", Sanction), ("calendar", CalendarYear), ("bulletin", Bulletin), ("service", ServiceRecord),
            ("complaint", Complaint), ("commendation", Commendation), ("credit_rules", RulesAdoption),
            ("score_review", ScoreReview))


def canonical_json(value) -> bytes:
    """RFC 8785 (JCS) bytes for the values our states and entries hold.

    For dicts with ASCII string keys, strings, integers, booleans, None and
    lists — and no floats — JCS is exactly sorted keys, no whitespace, UTF-8,
    and JSON's minimal escapes, which the standard library writes ~100 times
    faster than a general JCS implementation. Anything else goes to `rfc8785`.
    A test compares the two over states and awkward strings.
    """
    if _plain(value):
        return jcs_of_plain(value)
    return rfc8785.dumps(value)


def jcs_of_plain(value) -> bytes:
    """RFC 8785 bytes of a value known to be plain (see `canonical_json`): states and entry bodies.

    Their shapes are fixed by this module (ASCII keys, no floats, integers far
    below 2**53), so the check is skipped on this hot path; tests hold the two equal.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _plain(value) -> bool:
    if value is None or isinstance(value, (bool, str)):
        return True
    if isinstance(value, int):
        return -(2**53) < value < 2**53
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return False
