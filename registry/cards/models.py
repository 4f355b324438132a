"""Cards issued to a worker (rows of the worker aggregate) and the files of bulk print runs."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import UTCDateTime


class Card(db.Model):
    """One physical card: the worker's lifetime number with a serial counting from 1.

    A lost card is reissued as the next serial; the QR of an older serial then
    reads "replaced by a newer card". The signature is not stored: it is made
    from (card_no, serial, valid_until) whenever the card is printed.

    Ending an employment voids the cards that company issued (`voided_on`, the
    employment's end date): the printed card names a company that no longer
    sends the person, so its QR reads "void" and it never prints again.
    """

    __tablename__ = "cards"
    __table_args__ = (UniqueConstraint("worker_id", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False)
    serial: Mapped[int] = mapped_column(Integer, nullable=False)
    # The employer that issued it (printed on the card).
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    # The card-signing key its QR is signed with (hex of SHA-256(public key)[:4]).
    key_id: Mapped[str] = mapped_column(String(8), nullable=False)
    issued_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    voided_on: Mapped[date | None] = mapped_column(Date)

    company = relationship("Company")


class CardPrint(db.Model):
    """The PDF a bulk print task produced (masked data only), for its company to download."""

    __tablename__ = "card_prints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), nullable=False, unique=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False)
    cards: Mapped[int] = mapped_column(Integer, nullable=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
