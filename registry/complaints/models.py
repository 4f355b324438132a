"""Complaints (the `complaint` aggregate): the root, the regulators' steps, and the subject's responses.

Nothing is deleted: a complaint moves through its states (rules.STATES), each
step one log entry. Everything a person wrote (the complaint's text, the
complainant's contact, a regulator's reasons, the subject's responses) is
sealed with its state HMAC, like a report's text. The tracking code is kept
only as an HMAC (like a review code).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref

# The public reference the complainant quotes: the first 12 hex characters of the random `ref` (never the log_ref).
REFERENCE_CHARS = 12


class Complaint(LoggedAggregate, db.Model):
    """A complaint about a worker or a company, filed anonymously, handled by the regulators of its subject."""

    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_state_id", "state", "id"),
        Index("ix_complaints_worker", "worker_id", "state"),
        Index("ix_complaints_company", "company_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # AES-GCM associated data and the tracking code's hash bind to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    reference: Mapped[str] = mapped_column(String(REFERENCE_CHARS), nullable=False, index=True)
    subject_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    # The service the complaint is about (filed with its review code, or by the phone it was recorded for).
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"), index=True)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    text_enc: Mapped[str] = mapped_column(Text, nullable=False)
    text_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # The complainant's optional contact: personal data, sealed; only the handling regulator reads it.
    contact_name_enc: Mapped[str | None] = mapped_column(Text)
    contact_name_state: Mapped[str | None] = mapped_column(String(64))
    contact_phone_enc: Mapped[str | None] = mapped_column(Text)
    contact_phone_state: Mapped[str | None] = mapped_column(String(64))
    tracking_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="received")
    # The working days each deadline counts, fixed when it starts (a later change of the setting moves no deadline).
    accept_days: Mapped[int] = mapped_column(Integer, nullable=False)
    conclude_days: Mapped[int | None] = mapped_column(Integer)
    filed_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    # Days in Shanghai, from which the deadlines count and which the public sees.
    filed_on: Mapped[date] = mapped_column(Date, nullable=False)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    concluded_on: Mapped[date | None] = mapped_column(Date)
    # The agency whose regulator concluded it (named publicly when substantiated).
    concluded_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))

    worker = relationship("Worker")
    company = relationship("Company")
    service = relationship("ServiceRecord")
    concluded_agency = relationship("Agency")
    steps: Mapped[list[ComplaintStep]] = relationship(order_by="ComplaintStep.id", back_populates="complaint")
    responses: Mapped[list[ComplaintResponse]] = relationship(order_by="ComplaintResponse.id",
                                                              back_populates="complaint")
    objections: Mapped[list[ComplaintObjection]] = relationship(order_by="ComplaintObjection.id",
                                                                back_populates="complaint")


class ComplaintStep(db.Model):
    """One regulator's step (accept, reject, investigate, substantiate, dismiss) with the reason for it."""

    __tablename__ = "complaint_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False, index=True)
    # AES-GCM associated data binds the sealed reason to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    step: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    reason_enc: Mapped[str] = mapped_column(Text, nullable=False)
    reason_state: Mapped[str] = mapped_column(String(64), nullable=False)
    by: Mapped[str] = mapped_column(String(32), nullable=False)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    at_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    complaint: Mapped[Complaint] = relationship(back_populates="steps")
    agency = relationship("Agency")


class ComplaintResponse(db.Model):
    """The subject's response (the worker in self-service, or a member of the company), before a decision."""

    __tablename__ = "complaint_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False, index=True)
    # AES-GCM associated data binds the sealed text to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    by_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    # The entry's actor: a company member's account ref, or the worker's self-service actor on this complaint
    # (`workers.services.self_actor(worker, complaint.log_ref)`; "worker" in responses written before migration 0024).
    by: Mapped[str] = mapped_column(String(32), nullable=False)
    text_enc: Mapped[str] = mapped_column(Text, nullable=False)
    text_state: Mapped[str] = mapped_column(String(64), nullable=False)
    at_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    complaint: Mapped[Complaint] = relationship(back_populates="responses")


class ComplaintObjection(db.Model):
    """The subject's objection (异议) to a substantiated complaint, and the concluding agency's answer.

    A dependent row of the complaint's aggregate: filing and each step is one entry of the complaint. Reasons and
    answer sealed with their state HMACs; documents are `attachments` owned by (`complaint_objection`, id). The
    states and steps are the sanction objections' (`sanctions.objection_rules`).
    """

    __tablename__ = "complaint_objections"
    __table_args__ = (Index("ix_complaint_objections_state", "state", "complaint_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False, index=True)
    # The objection's ref in URLs and the binding of its sealed texts.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    # "company" (a member's account ref in filed_by) or "worker" (the worker's self-service actor on this
    # complaint: `workers.services.self_actor(worker, complaint.log_ref)`).
    filed_by_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    filed_by: Mapped[str] = mapped_column(String(32), nullable=False)
    reasons_enc: Mapped[str] = mapped_column(Text, nullable=False)
    reasons_state: Mapped[str] = mapped_column(String(64), nullable=False)
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
    answer_enc: Mapped[str | None] = mapped_column(Text)
    answer_state: Mapped[str | None] = mapped_column(String(64))
    # Upheld: "correct" (the category) or "withdraw" (the complaint leaves every public answer).
    outcome: Mapped[str | None] = mapped_column(String(12))
    # A correction's category before it (None unless corrected): the answer says why.
    corrected_from: Mapped[str | None] = mapped_column(String(16))

    complaint: Mapped[Complaint] = relationship(back_populates="objections")
