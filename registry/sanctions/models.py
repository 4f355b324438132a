"""Sanctions (an aggregate): the root, its named persons, notice, decision, approvals, corrections, repair
applications and withdrawal.

Nothing is ever deleted: a sanction moves through its states (rules.STATES)
and each move is one log entry. Personal data — a named person's real name,
the facts (which may name people) — is sealed with its state HMAC, like a
worker's identity.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref
from . import rules


class Sanction(LoggedAggregate, db.Model):
    """A sanction or listing against a worker or a company, issued by one agency, seen by every regulator."""

    __tablename__ = "sanctions"
    __table_args__ = (
        Index("ix_sanctions_state", "state", "id"),
        Index("ix_sanctions_worker", "worker_id", "state"),
        Index("ix_sanctions_company", "company_id", "state"),
        Index("ix_sanctions_public", "state", "public_until", "decision_date"),
        # The search's order (newest decision first, then newest row): PostgreSQL walks it backwards and stops at
        # the page, rather than sorting every public sanction (SQLite's decision_date index carries the rowid).
        Index("ix_sanctions_decided", "decision_date", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The public reference in URLs and the binding of sealed text (never the log_ref).
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    subject_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    severity: Mapped[str] = mapped_column(String(8), nullable=False)
    legal_basis: Mapped[str] = mapped_column(String(500), nullable=False)
    facts_enc: Mapped[str] = mapped_column(Text, nullable=False)
    facts_state: Mapped[str] = mapped_column(String(64), nullable=False)
    measures: Mapped[str] = mapped_column(String(500), nullable=False)
    # The measures bar home-service work: a listed worker cannot be registered or attached.
    bars_home_service: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The publicity window in months (None: not published — a minor sanction only).
    publish_months: Mapped[int | None] = mapped_column(Integer)
    # Where the case came from: a card report (by its row).
    origin_report_id: Mapped[int | None] = mapped_column(ForeignKey("card_reports.id"))
    # Or a substantiated complaint about the same subject (complaints/).
    origin_complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    state: Mapped[str] = mapped_column(String(12), nullable=False)
    # Copied from the decision row so lists filter and sort in SQL; the decision row is the record.
    decision_date: Mapped[date | None] = mapped_column(Date, index=True)
    # Derived, for the public search's SQL: window_end(decision_date, publish_months), kept by `_derive` below
    # whenever the row is written. Not in the canonical state (its inputs are): an index column, like the grams.
    public_until: Mapped[date | None] = mapped_column(Date)
    published_by: Mapped[str | None] = mapped_column(String(32))
    published_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    worker = relationship("Worker")
    company = relationship("Company")
    agency = relationship("Agency")
    origin_report = relationship("CardReport")
    origin_complaint = relationship("Complaint")
    persons: Mapped[list[SanctionPerson]] = relationship(order_by="SanctionPerson.id", back_populates="sanction")
    notice: Mapped[SanctionNotice | None] = relationship(back_populates="sanction", uselist=False)
    decision: Mapped[SanctionDecision | None] = relationship(back_populates="sanction", uselist=False)
    approvals: Mapped[list[SanctionApproval]] = relationship(order_by="SanctionApproval.id",
                                                             back_populates="sanction")
    corrections: Mapped[list[SanctionCorrection]] = relationship(order_by="SanctionCorrection.id",
                                                                 back_populates="sanction")
    repairs: Mapped[list[SanctionRepair]] = relationship(order_by="SanctionRepair.id", back_populates="sanction")
    withdrawal: Mapped[SanctionWithdrawal | None] = relationship(back_populates="sanction", uselist=False)
    objections: Mapped[list[SanctionObjection]] = relationship(order_by="SanctionObjection.id",
                                                               back_populates="sanction")

    @property
    def window_end(self) -> date | None:
        return rules.window_end(self.decision_date, self.publish_months)

    def is_public(self, today: date) -> bool:
        return rules.is_public(state=self.state, published=self.published_dt is not None,
                               decision_date=self.decision_date, months=self.publish_months, today=today)

    def is_in_effect(self, today: date) -> bool:
        return rules.is_in_effect(kind=self.kind, state=self.state, decision_date=self.decision_date,
                                  months=self.publish_months, today=today)


@event.listens_for(Sanction, "before_insert")
@event.listens_for(Sanction, "before_update")
def _derive(_mapper, _connection, sanction: Sanction) -> None:
    """Keep `public_until` the window's last day, whatever changed the decision date or the window."""
    sanction.public_until = rules.window_end(sanction.decision_date, sanction.publish_months)


class ListingGram(db.Model):
    """One character or pair of characters of a company subject's folded name, with its sanction's decision date.

    What the public search walks for a fragment of a company's name (`search`): the key (gram, decision_date,
    sanction_id), read backwards, gives a gram's sanctions newest decision first, so a page reads about as many
    rows as it shows. Derived (unlogged), kept by `listing_index` whenever a sanction's company or decision
    date or a company's name changes; `listing_index.rebuild` makes it again from the sanctions and the names.
    """

    __tablename__ = "listing_grams"
    __table_args__ = {"sqlite_with_rowid": False}

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    decision_date: Mapped[date] = mapped_column(Date, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id", ondelete="CASCADE"), primary_key=True)


class SanctionPerson(db.Model):
    """A person a company's sanction names: the legal representative or a directly responsible person."""

    __tablename__ = "sanction_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, index=True)
    # AES-GCM associated data binds the sealed name to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    role: Mapped[str] = mapped_column(String(24), nullable=False)
    name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    name_state: Mapped[str] = mapped_column(String(64), nullable=False)
    name_masked: Mapped[str] = mapped_column(String(60), nullable=False)
    # `<key id>:<hmac>` of the full name: the public search finds persons by exact name only.
    name_idx: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    # Set when the person is a registered worker (named by card number).
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"), index=True)

    sanction: Mapped[Sanction] = relationship(back_populates="persons")
    worker = relationship("Worker")


class SanctionNotice(db.Model):
    """The advance notice of a serious listing: reasons, basis, rights, and the objection window."""

    __tablename__ = "sanction_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, unique=True)
    # AES-GCM associated data binds the sealed reasons to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    # The statement of reasons written for the subject (it may name them): sealed, with its state HMAC.
    reasons_enc: Mapped[str] = mapped_column(Text, nullable=False)
    reasons_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # Working days after delivery in which the subject may object; the window's last day is derived.
    objection_days: Mapped[int] = mapped_column(Integer, nullable=False)
    delivery_method: Mapped[str] = mapped_column(String(16), nullable=False)
    delivered_on: Mapped[date] = mapped_column(Date, nullable=False)
    notified_by: Mapped[str] = mapped_column(String(32), nullable=False)
    notified_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    sanction: Mapped[Sanction] = relationship(back_populates="notice")


class SanctionDecision(db.Model):
    """The decision: its number and date (from which the window and the publication deadline count)."""

    __tablename__ = "sanction_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, unique=True)
    decision_no: Mapped[str] = mapped_column(String(100), nullable=False)
    decision_date: Mapped[date] = mapped_column(Date, nullable=False)
    decided_by: Mapped[str] = mapped_column(String(32), nullable=False)
    decided_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    sanction: Mapped[Sanction] = relationship(back_populates="decision")


class SanctionApproval(db.Model):
    """A second regulator's approval of a listing (four eyes)."""

    __tablename__ = "sanction_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, index=True)
    approved_by: Mapped[str] = mapped_column(String(32), nullable=False)
    approved_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    sanction: Mapped[Sanction] = relationship(back_populates="approvals")


class SanctionCorrection(db.Model):
    """A correction of a recorded sanction: which fields changed and why (the log keeps every earlier state)."""

    __tablename__ = "sanction_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, index=True)
    fields: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    corrected_by: Mapped[str] = mapped_column(String(32), nullable=False)
    corrected_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    sanction: Mapped[Sanction] = relationship(back_populates="corrections")


class SanctionRepair(db.Model):
    """A credit repair application (信用修复) by the subject, and the issuing agency's answer (repair_rules).

    The statement of obligations met may name people: sealed, with its state HMAC. The pledge is the public
    credit pledge's text as the applicant signed it. Documents (the proof of obligations met) are not held here:
    the sealed-attachments module attaches them to this row by its ref (see docs/architecture.md).
    """

    __tablename__ = "sanction_repairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, index=True)
    # The reference in URLs, and the binding of the sealed statement (AES-GCM associated data).
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    # "company" (a member of the sanctioned company, by account ref) or "worker" (the worker in self-service, by
    # their actor on this sanction: `workers.services.self_actor(worker, sanction.log_ref)`); the entry's actor.
    applicant_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    applicant: Mapped[str] = mapped_column(String(32), nullable=False)
    statement_enc: Mapped[str] = mapped_column(Text, nullable=False)
    statement_state: Mapped[str] = mapped_column(String(64), nullable=False)
    pledge: Mapped[str] = mapped_column(Text, nullable=False)
    applied_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The regulator's reasons (a rejection must give them); public-facing, so they name no one.
    reason: Mapped[str | None] = mapped_column(String(500))

    sanction: Mapped[Sanction] = relationship(back_populates="repairs")


class SanctionWithdrawal(db.Model):
    """The withdrawal (撤回) of a decision revoked by review, a court or the agency: recorded, then withdrawn.

    A regulator records the revocation (who revoked it, on what day, why); the issuing agency withdraws the
    sanction from publication, sharing and punishment, within 3 days of the revocation (行政处罚法 art. 48). When
    the issuing agency withdraws at once, both are the one step. The reason is published: it names no one.
    """

    __tablename__ = "sanction_withdrawals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, unique=True)
    authority: Mapped[str] = mapped_column(String(8), nullable=False)
    revoked_on: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    # Unset while the withdrawal is pending (the worklist shows it against its 3-day limit).
    withdrawn_by: Mapped[str | None] = mapped_column(String(32))
    withdrawn_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sanction: Mapped[Sanction] = relationship(back_populates="withdrawal")


class SanctionObjection(db.Model):
    """The subject's objection (异议) to the sanction: reasons and documents, and the issuing agency's answer.

    A dependent row of the sanction's aggregate: filing and each step is one entry of the sanction. The reasons
    and the answer are sealed with their state HMACs; the documents are `attachments` owned by
    (`sanction_objection`, id). The working days each deadline counts are fixed when it starts.
    """

    __tablename__ = "sanction_objections"
    __table_args__ = (Index("ix_sanction_objections_state", "state", "sanction_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sanction_id: Mapped[int] = mapped_column(ForeignKey("sanctions.id"), nullable=False, index=True)
    # The objection's ref in URLs and the binding of its sealed texts.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    # "company" (a member's account ref in filed_by) or "worker" (the worker's actor on this sanction:
    # `workers.services.self_actor(worker, sanction.log_ref)`).
    filed_by_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    filed_by: Mapped[str] = mapped_column(String(32), nullable=False)
    reasons_enc: Mapped[str] = mapped_column(Text, nullable=False)
    reasons_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # Filed inside a serious listing's notice window (before the decision): it blocks the decision while pending.
    in_window: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="received")
    accept_days: Mapped[int] = mapped_column(Integer, nullable=False)
    answer_days: Mapped[int | None] = mapped_column(Integer)
    filed_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    filed_on: Mapped[date] = mapped_column(Date, nullable=False)
    accepted_by: Mapped[str | None] = mapped_column(String(32))
    accepted_on: Mapped[date | None] = mapped_column(Date)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The reason for rejecting, upholding or dismissing: sealed, with its state HMAC.
    answer_enc: Mapped[str | None] = mapped_column(Text)
    answer_state: Mapped[str | None] = mapped_column(String(64))
    # Upheld: "correct" or "withdraw" (objection_rules.OUTCOMES).
    outcome: Mapped[str | None] = mapped_column(String(12))

    sanction: Mapped[Sanction] = relationship(back_populates="objections")
