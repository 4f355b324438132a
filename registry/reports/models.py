"""Reports from the door ("report this card") waiting in the regulators' queue."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref

REPORT_REASONS = {
    "fake": ("疑似假证", "Suspected fake card"),
    "not_holder": ("持证人与本人不符", "The person is not the card's holder"),
    "misconduct": ("服务中的不当行为", "Misconduct during a service"),
    "other": ("其他", "Other"),
}
# What a card report is filed for now. Misconduct during a service is a complaint (complaints/), with due process;
# reports stored with `misconduct` before complaints existed keep their reason and stay readable.
FILED_REASONS = ("fake", "not_holder", "other")
REPORT_STATES = ("open", "closed")


class CardReport(LoggedAggregate, db.Model):
    """A resident's report about a card; its own aggregate, handled by a regulator.

    The free text may name people, so it is sealed like any personal data.
    """

    __tablename__ = "card_reports"
    __table_args__ = (Index("ix_card_reports_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # AES-GCM associated data binds the sealed text to this ref.
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    reason: Mapped[str] = mapped_column(String(16), nullable=False)
    text_enc: Mapped[str | None] = mapped_column(Text)
    text_state: Mapped[str | None] = mapped_column(String(64))
    # What the card page said about the scanned QR, if there was one.
    serial: Mapped[int | None] = mapped_column(Integer)
    qr_verdict: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The regulator's note may name people too: sealed, with its HMAC for the canonical state.
    closing_note_enc: Mapped[str | None] = mapped_column(Text)
    closing_note_state: Mapped[str | None] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)

    worker = relationship("Worker")
