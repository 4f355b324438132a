"""Commendations (表彰, the `commendation` aggregate): a regulator's record that a company was commended.

One row is one commendation: which company, which agency recorded it, its title and the document that commends
(its basis, such as a decision's number), the day it was given and the last day it counts. Nothing is deleted: a
commendation recorded in error is revoked (who, when, why) and is no longer shown. Everything here is a public
fact about a company; no column holds personal data, so nothing is sealed.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
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
