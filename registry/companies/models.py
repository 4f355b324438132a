"""Companies (an aggregate) with their credit pledges and change requests."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref

COMPANY_SECTORS = ("housekeeping", "property")
BUSINESS_MODELS = ("employee", "intermediary")  # 员工制, 中介制
# The four conditions of 员工制 (国办发〔2019〕30号).
EMPLOYEE_CONDITIONS = ("contracts", "social_insurance", "minimum_wage", "ongoing_training")
# What regulators verified: a verified company changes these only through a change request.
MATERIAL_FIELDS = ("name", "sectors", "business_model", "employee_conditions")
CHANGE_STATUSES = ("open", "approved", "rejected", "withdrawn")
# The basis of a finding that a pledge was broken (its decision or finding number): one line, as long as a
# commendation's basis may be.
BREACH_BASIS_MAX = 200


class Company(LoggedAggregate, db.Model):
    """A housekeeping or property-management firm, keyed by its USCC."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    sectors: Mapped[list] = mapped_column(JSON, nullable=False)
    # Housekeeping only; None for a property-only firm.
    business_model: Mapped[str | None] = mapped_column(String(16))
    employee_conditions: Mapped[dict | None] = mapped_column(JSON)
    district: Mapped[str] = mapped_column(String(6), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    # A genuine early code that fails the checksum, admitted by a regulator's review.
    checksum_flagged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    review_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    # The contact person: personal data, sealed with their state HMACs.
    contact_name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    contact_name_state: Mapped[str] = mapped_column(String(64), nullable=False)
    contact_phone_enc: Mapped[str] = mapped_column(Text, nullable=False)
    contact_phone_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # The company's public service line (companies/phones.py), shown at the door: not personal data, so in clear.
    service_phone: Mapped[str | None] = mapped_column(String(20))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    accounts = relationship("Account", back_populates="company", order_by="Account.id")
    pledges: Mapped[list[Pledge]] = relationship(back_populates="company", order_by="Pledge.id")
    changes: Mapped[list[CompanyChange]] = relationship(back_populates="company", order_by="CompanyChange.id")
    # What the name is searched by (companies/search.py): derived, kept by `search.index_name`.
    name_grams: Mapped[list[NameGram]] = relationship(cascade="all, delete-orphan")
    name_fold: Mapped[NameFold | None] = relationship(cascade="all, delete-orphan")

    @property
    def current_pledge(self) -> Pledge | None:
        return self.pledges[-1] if self.pledges else None

    @property
    def open_change(self) -> CompanyChange | None:
        return next((c for c in self.changes if c.status == "open"), None)


class Pledge(db.Model):
    """An online credit pledge (信用承诺): which text version, by whom, when; and, once a regulator found it broken,
    the day found, on what basis and by whom (docs/rules.md, "Credit pledges found broken"). A broken pledge stays
    broken: the company signs the pledge again, as a new row."""

    __tablename__ = "pledges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    text_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    accepted_by: Mapped[str] = mapped_column(String(32), nullable=False)
    accepted_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    # kept | broken.
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="kept")
    # Set together when a regulator records the pledge broken: the day it was found (Asia/Shanghai), the finding or
    # decision number (public facts only), the regulator's account ref.
    broken_on: Mapped[date | None] = mapped_column(Date)
    broken_basis: Mapped[str | None] = mapped_column(String(BREACH_BASIS_MAX))
    broken_by: Mapped[str | None] = mapped_column(String(32))

    company: Mapped[Company] = relationship(back_populates="pledges")


class CompanyChange(db.Model):
    """A verified company's request to change what its regulators verified (name, sectors, business model).

    The company keeps its verified values until a regulator of an old or a new
    sector approves; at most one request per company is open at a time.
    """

    __tablename__ = "company_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False, index=True)
    # The proposed values, normalised as the profile stores them.
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    sectors: Mapped[list] = mapped_column(JSON, nullable=False)
    business_model: Mapped[str | None] = mapped_column(String(16))
    employee_conditions: Mapped[dict | None] = mapped_column(JSON)
    # open | approved | rejected | withdrawn (also when the company replaces it with a new request).
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    requested_by: Mapped[str] = mapped_column(String(32), nullable=False)
    requested_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)

    company: Mapped[Company] = relationship(back_populates="changes")


class ContactRead(db.Model):
    """Who opened a company's contact person (name and phone in clear), when and why.

    The contact person is not a worker, so these reads are kept here rather
    than in a worker's access record; private, like that record, and never in
    the public log.
    """

    __tablename__ = "company_contact_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False, index=True)
    accessor_ref: Mapped[str] = mapped_column(String(32), nullable=False)
    organisation: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)


class NameGram(db.Model):
    """One character, or one pair of neighbouring characters, of a company's folded name (companies/grams.py).

    Derived from the name and rebuilt from it (unlogged): a fragment of one or two characters is one look-up of
    the primary key, a longer one starts from the companies holding its rarest bigram.
    """

    __tablename__ = "company_name_grams"
    # On SQLite the primary key is the table (no rowid beside it): half the size, one B-tree to search.
    __table_args__ = {"sqlite_with_rowid": False}

    gram: Mapped[str] = mapped_column(String(2), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)


class NameFold(db.Model):
    """A company's name folded as searches compare it (NFKC, ASCII lower case): what a longer fragment is
    confirmed against. Derived, like the grams."""

    __tablename__ = "company_name_folds"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True, autoincrement=False)
    folded: Mapped[str] = mapped_column(Text, nullable=False)
