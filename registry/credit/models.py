"""Commendations (表彰, the `commendation` aggregate): a regulator's record that a company was commended; and requests
for human review of a credit score (the `score_review` aggregate, at the end).

One row is one commendation: which company, which agency recorded it, its title and the document that commends
(its basis, such as a decision's number), the day it was given and the last day it counts. Nothing is deleted: a
commendation recorded in error is revoked (who, when, why) and is no longer shown. Everything here is a public
fact about a company; no column holds personal data, so nothing is sealed.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref

# Text limits, shared with the API's schemas and the page's form (docs/rules.md, "Commendations (表彰)").
TITLE_MAX = 100
BASIS_MAX = 200
REVOKE_REASON_MAX = 500


class Commendation(LoggedAggregate, db.Model):
    """A commendation of a company, recorded by one agency's regulator; changed only by revoking it."""

    __tablename__ = "commendations"
    __table_args__ = (
        # A company's commendations, in force or not: its public view and the regulators' page.
        Index("ix_commendations_company", "company_id", "valid_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The public reference in URLs (never the log_ref).
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    # The recording regulator's agency: only its regulators revoke the commendation.
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), nullable=False)
    basis: Mapped[str] = mapped_column(String(BASIS_MAX), nullable=False)
    commended_on: Mapped[date] = mapped_column(Date, nullable=False)
    # The last day it counts (inclusive), in Asia/Shanghai.
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    recorded_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(32))
    revoke_reason: Mapped[str | None] = mapped_column(String(REVOKE_REASON_MAX))

    company = relationship("Company")
    agency = relationship("Agency")

    @property
    def revoked(self) -> bool:
        return self.revoked_dt is not None

    def in_force(self, today: date) -> bool:
        """Shown and counted on `today`: not revoked, and `commended_on ≤ today ≤ valid_until`."""
        return not self.revoked and self.commended_on <= today <= self.valid_until


# The words an operator gives for adopting a rules version (the decision it follows: its issuer and number).
ADOPTION_REASON_MAX = 500


class RulesAdoption(LoggedAggregate, db.Model):
    """One adoption of a credit-rules version (the `credit_rules` aggregate): a row per adoption, never changed.

    The version in force is the latest adoption's (the greatest id); with none recorded, the version in code
    (`rules.CURRENT_VERSION`). `sha256` is the version's file as adopted, so the log commits to every number the
    scores are computed with. See docs/rules.md, "Adopting a rules version".
    """

    __tablename__ = "credit_rules"

    # The latest adoption is `ORDER BY id DESC LIMIT 1`: the primary key's index, one row.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(16), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # The version in force until this adoption (the previous adoption's, or the one in code).
    previous_version: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(String(ADOPTION_REASON_MAX), nullable=False)
    # The adopting account's ref, or "cli" for an operator at the command line.
    adopted_by: Mapped[str] = mapped_column(String(32), nullable=False)
    adopted_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)


# A review's reason, and the regulator's note (docs/rules.md, "Human review of a score (PIPL art. 24)").
REVIEW_REASON_MAX = 2000
REVIEW_NOTE_MAX = 1000
# At most this many components disputed in one request.
REVIEW_DISPUTED_MAX = 20
REVIEW_STATES = {"open": ("待答复", "Awaiting an answer"), "answered": ("已答复", "Answered")}


class ScoreReview(LoggedAggregate, db.Model):
    """A subject's request for human review of its current credit score (PIPL art. 24), and a regulator's answer.

    The subject is a company (filed by a member, `filed_by` their account ref) or a worker (in self-service,
    `filed_by` their actor on this review: `workers.services.self_actor(worker, review.log_ref)`). The reason is
    free text that may name people: sealed with its state HMAC, phone and ID numbers masked, never public, never
    in a log payload; the components disputed are public refs of the subject's own score. States: open → answered.
    The answer: a note (sealed likewise) and optionally a correction — whole points and the last day they count —
    that enters the subject's score as its own component (`inputs._corrections`) in the answer's transaction.
    """

    __tablename__ = "score_reviews"
    __table_args__ = (
        # A subject's reviews (one open at a time) and the regulators' open ones.
        Index("ix_score_reviews_subject", "subject_kind", "company_id", "worker_id", "state"),
        Index("ix_score_reviews_state", "state", "filed_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The public reference in URLs and the binding of its sealed texts (never the log_ref).
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    subject_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id"))
    filed_by: Mapped[str] = mapped_column(String(32), nullable=False)
    filed_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    filed_on: Mapped[date] = mapped_column(Date, nullable=False)
    reason_enc: Mapped[str] = mapped_column(Text, nullable=False)
    reason_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # [{"kind", "ref"}] of the subject's current components it disputes; [] for the score as a whole.
    disputed: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    # The score asked about: its points and rules version when the request was filed.
    score_points: Mapped[int] = mapped_column(Integer, nullable=False)
    rules_version: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="open")
    # The working days to answer, fixed when filed (REGISTRY_SCORE_REVIEW_ANSWER_WORKING_DAYS).
    answer_days: Mapped[int] = mapped_column(Integer, nullable=False)
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note_enc: Mapped[str | None] = mapped_column(Text)
    note_state: Mapped[str | None] = mapped_column(String(64))
    # The correction, when the answer makes one: whole points (non-zero, within the rules' bound) counting from
    # `answered_on` through `correction_until`.
    correction_points: Mapped[int | None] = mapped_column(Integer)
    correction_until: Mapped[date | None] = mapped_column(Date)

    company = relationship("Company")
    worker = relationship("Worker")
    answered_agency = relationship("Agency")
