"""Service records (the `service` aggregate), their reviews, review codes and household queries."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref

# The public reference of a service (on the customer's message, typed with the review code): the first 12 hex
# characters of its random `ref`, never of its log_ref, so it does not point at the service's log entries.
REFERENCE_CHARS = 12


class ServiceRecord(LoggedAggregate, db.Model):
    """One service a company's worker performed for a household.

    No phone anywhere: the household is its reference (global, for regulators)
    and the company's derivation of it (the only one a company sees).
    """

    __tablename__ = "services"
    __table_args__ = (
        Index("ix_services_worker_start", "worker_id", "start_dt"),
        Index("ix_services_company_start", "company_id", "start_dt"),
        Index("ix_services_household_start", "household_ref", "start_dt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # AES-GCM associated data and review-code hashes bind to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    reference: Mapped[str] = mapped_column(String(REFERENCE_CHARS), nullable=False, index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    service_type: Mapped[str] = mapped_column(String(32), nullable=False)
    district: Mapped[str] = mapped_column(String(40), nullable=False)
    start_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    end_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    household_ref: Mapped[str] = mapped_column(String(64), nullable=False)
    company_household: Mapped[str] = mapped_column(String(32), nullable=False)
    # Why the company recorded a worker the rules would refuse (a red card, not its current employee), and which
    # rules it overrode; both None for an ordinary record.
    overrides: Mapped[list | None] = mapped_column(JSON)
    override_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    worker = relationship("Worker")
    company = relationship("Company")
    review: Mapped[ServiceReview | None] = relationship(back_populates="service", uselist=False)
    objections: Mapped[list[ReviewObjection]] = relationship(order_by="ReviewObjection.id",
                                                             back_populates="service")


class ServiceReview(db.Model):
    """The customer's one review of a service, and the company's one reply; part of the service's aggregate.

    Both texts had phone and ID numbers masked before storing, and are sealed
    (they may still name people), with their HMACs for the canonical state.
    """

    __tablename__ = "service_reviews"
    __table_args__ = (
        # A credit score counts its subject's reviews still shown by day and rating (credit/inputs._reviews): a
        # firm with thousands of services, and a rebuild reading every worker's, read them from these indexes
        # alone — in order, without visiting the table.
        Index("ix_service_reviews_company_shown", "company_id", "reviewed_dt", "rating",
              sqlite_where=text("withdrawn_dt IS NULL"), postgresql_where=text("withdrawn_dt IS NULL")),
        Index("ix_service_reviews_worker_shown", "worker_id", "reviewed_dt", "rating",
              sqlite_where=text("withdrawn_dt IS NULL"), postgresql_where=text("withdrawn_dt IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # AES-GCM associated data binds the sealed texts to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), unique=True, nullable=False)
    # Denormalised from the service so the card's and the company's summaries read one index each.
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False, index=True)
    rating: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    tags: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    text_enc: Mapped[str | None] = mapped_column(Text)
    text_state: Mapped[str | None] = mapped_column(String(64))
    reviewed_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    reply_enc: Mapped[str | None] = mapped_column(Text)
    reply_state: Mapped[str | None] = mapped_column(String(64))
    replied_by: Mapped[str | None] = mapped_column(String(32))
    replied_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Withdrawn by an upheld objection (trace/review_objections.py): out of every public summary, kept in the log.
    withdrawn_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(32))

    service: Mapped[ServiceRecord] = relationship(back_populates="review")


class ReviewObjection(db.Model):
    """The subject's objection (异议) to a service's review — the company that recorded the service, or its worker —
    and a regulator's answer. A dependent row of the service's aggregate: filing and each step is one entry of the
    service. Reasons and answer sealed with their state HMACs; documents are `attachments` owned by
    (`review_objection`, id). States and steps: `sanctions.objection_rules`.
    """

    __tablename__ = "review_objections"
    __table_args__ = (Index("ix_review_objections_state", "state", "service_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), nullable=False, index=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    # "company" (a member's account ref) or "worker" (`workers.services.self_actor(worker, service.log_ref)`).
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
    # Upheld: "withdraw" (a review's text is the customer's: a regulator withdraws it, never rewrites it).
    outcome: Mapped[str | None] = mapped_column(String(12))

    service: Mapped[ServiceRecord] = relationship(back_populates="objections")


class ReviewCode(db.Model):
    """The single-use code sent to the customer's phone: only its HMAC (selfservice.codes, kind `review`).

    Unlogged, like a worker's one-time codes: a credential, not business state.
    """

    __tablename__ = "review_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), unique=True, nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    burnt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)


class HouseholdQuery(db.Model):
    """A regulator's query of one household's services: who, when, why, and how many services it found.

    Private (operators and auditors list it), never in the public log. The
    household appears only as a state HMAC of its reference: someone holding the
    phone can check whether it was queried; the record alone names no one.
    """

    __tablename__ = "household_queries"
    __table_args__ = (Index("ix_household_queries_created", "created_dt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_ref: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    household_state: Mapped[str] = mapped_column(String(64), nullable=False)
    results: Mapped[int] = mapped_column(Integer, nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
