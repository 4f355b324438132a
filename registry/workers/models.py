"""Workers (an aggregate) with their employments and dated records, and the
private access record of who read their personal data."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, and_, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref


class Worker(LoggedAggregate, db.Model):
    """One person, for life, whichever companies employ them."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # AES-GCM associated data binds each ciphertext to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    card_no: Mapped[str] = mapped_column(String(13), unique=True, nullable=False)
    id_kind: Mapped[str] = mapped_column(String(16), nullable=False)
    name_enc: Mapped[str] = mapped_column(Text, nullable=False)
    name_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # The one masking rule's output, kept so lists and public views need no decryption.
    name_masked: Mapped[str] = mapped_column(String(60), nullable=False)
    # `<key id>:<hmac>` of the full name (`crypto.name_key`): found by exact full name; many people share one.
    # Empty only for a worker registered before it existed, until `flask keys backfill` (or `keys init`) fills it.
    name_index: Mapped[str | None] = mapped_column(String(80), index=True)
    # Empty once erased (`erased_dt`), as are `name_enc` and `phone_enc`.
    id_number_enc: Mapped[str] = mapped_column(Text, nullable=False)
    id_number_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # `<key id>:<hmac>`: one person, one worker (unique); look-ups try every active key. Once erased, a random
    # `erased:<hex>` that matches no look-up (unique and NOT NULL both hold).
    id_number_idx: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    phone_enc: Mapped[str] = mapped_column(Text, nullable=False)
    phone_state: Mapped[str] = mapped_column(String(64), nullable=False)
    phone_idx: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    registered_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    # The seed of the worker's self-service actors: random, minted with the row, derived from nothing personal, and
    # never itself an actor. An entry the worker's own action writes on another record names
    # `services.self_actor(worker, subject_log_ref)`, derived from this and that record's log_ref (one actor per
    # record, so the public cannot link the records); entries on the worker's own record use
    # `services.OWN_RECORD_ACTOR`. A unique index, not a constraint: SQLite adds it in place.
    actor_ref: Mapped[str] = mapped_column(String(32), nullable=False, default=new_ref, index=True, unique=True)
    # Erasure (PIPL art. 47; registry/retention/erasure.py): when the name, ID number, phone and photo were erased,
    # why (`retention.rules.ERASURE_BASES`), and a lawful request's reference (a case or document number). The
    # sealed columns are then empty (`ERASED`), the look-up indexes gone, the state HMACs kept.
    erased_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_basis: Mapped[str | None] = mapped_column(String(32))
    erased_reference: Mapped[str | None] = mapped_column(String(100))

    employments: Mapped[list[Employment]] = relationship(back_populates="worker", order_by="Employment.id")
    records: Mapped[list[WorkerRecord]] = relationship(back_populates="worker", order_by="WorkerRecord.id")


class Employment(db.Model):
    """A worker × company engagement; ended, never deleted.

    Attaching an existing worker to another company waits for the worker's
    confirmation (`pending_until` set, `confirmed_dt` empty): until then it
    opens nothing. `active` is the one rule for "confirmed and current" that
    everything employment opens (personal data, records, cards, public lists)
    asks, in Python and in SQL alike.
    """

    __tablename__ = "employments"
    __table_args__ = (Index("ix_employments_company_active", "company_id", "end_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    occupation: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date)
    social_insurance: Mapped[bool] = mapped_column(Boolean, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    # The last day the worker may confirm an attachment; None for a first registration (confirmed at once).
    # Kept after confirmation or lapse, so the history shows the attachment waited.
    pending_until: Mapped[date | None] = mapped_column(Date)
    confirmed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who confirmed, as the entry's actor: the account ref of the employer who entered the worker's code, or
    # "worker" (`services.OWN_RECORD_ACTOR`: the worker themself, in self-service).
    confirmed_by: Mapped[str | None] = mapped_column(String(32))
    # The public refs of the worker's listings in effect that the registration warned of (watch lists, serious
    # listings whose measures do not bar the work); None when it warned of none (docs/rules.md, "Market access").
    listing_warnings: Mapped[list | None] = mapped_column(JSON(none_as_null=True))

    worker: Mapped[Worker] = relationship(back_populates="employments")
    company = relationship("Company")

    @hybrid_property
    def active(self) -> bool:
        """Confirmed and current: the only employment that opens anything."""
        return self.end_date is None and (self.pending_until is None or self.confirmed_dt is not None)

    @active.inplace.expression
    @classmethod
    def _active_expression(cls):
        return and_(cls.end_date.is_(None), or_(cls.pending_until.is_(None), cls.confirmed_dt.is_not(None)))

    @hybrid_property
    def awaiting(self) -> bool:
        """Open and still waiting for the worker's confirmation (perhaps lapsed, until the hourly job ends it)."""
        return self.end_date is None and self.pending_until is not None and self.confirmed_dt is None

    @awaiting.inplace.expression
    @classmethod
    def _awaiting_expression(cls):
        return and_(cls.end_date.is_(None), cls.pending_until.is_not(None), cls.confirmed_dt.is_(None))

    @property
    def held(self) -> bool:
        """Ever in force: a first registration or a confirmed attachment (histories show only these)."""
        return self.pending_until is None or self.confirmed_dt is not None

    @property
    def open(self) -> bool:
        """Not ended: confirmed or still awaiting confirmation."""
        return self.end_date is None


class WorkerRecord(db.Model):
    """An identity check, training, health check, insurance or background check.

    A correction is a new row whose `supersedes_id` names the row it replaces.
    """

    __tablename__ = "worker_records"
    __table_args__ = (Index("ix_worker_records_expiry", "kind", "valid_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    result: Mapped[str | None] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date | None] = mapped_column(Date)
    course: Mapped[str | None] = mapped_column(String(100))
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    exam_passed: Mapped[bool | None] = mapped_column(Boolean)
    # Training issuer, insurer or background-check authority.
    issuer: Mapped[str | None] = mapped_column(String(100))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("worker_records.id"), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    worker: Mapped[Worker] = relationship(back_populates="records")
    company = relationship("Company")


class AccessRecord(db.Model):
    """Who read a worker's personal data, when and why (private; not in the public log)."""

    __tablename__ = "access_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    accessor_ref: Mapped[str] = mapped_column(String(32), nullable=False)
    accessor_kind: Mapped[str] = mapped_column(String(16), nullable=False)  # company | regulator | resident
    organisation: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(32), nullable=False)
    # A regulator's own words beside the purpose they chose (bounded; shown to the worker).
    note: Mapped[str | None] = mapped_column(String(200))
    fields: Mapped[str] = mapped_column(String(100), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)


class WorkerPhoto(db.Model):
    """The worker's photo, uploaded by an employer with the worker's consent.

    Sealed like any personal data; shown only in the consent-based detailed
    view a resident opens at the door. A new upload replaces the row's content.
    """

    __tablename__ = "worker_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, unique=True)
    # AES-GCM associated data binds the sealed photo to this ref (new for every upload).
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    content_type: Mapped[str] = mapped_column(String(32), nullable=False)
    # Empty (b"") once the worker is erased; the state HMAC and the row stay.
    photo_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    # HMAC under the state key of the photo's SHA-256 (hex), as the canonical state holds it.
    photo_state: Mapped[str] = mapped_column(String(64), nullable=False)
    # The date the worker's consent to the photo was given, as the employer recorded it.
    consent_on: Mapped[date] = mapped_column(Date, nullable=False)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
