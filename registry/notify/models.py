"""The development outbox: messages the notification interface would send."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import UTCDateTime, new_ref


class OutboxMessage(db.Model):
    """One message; recipient and text are sealed (they may hold codes and phones). The recipient's blind index
    (`index-phone`, as `workers.phone_idx`) lets a worker's erasure find the messages to their phone without opening
    every one (migration 0039)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    recipient_enc: Mapped[str] = mapped_column(Text, nullable=False)
    text_enc: Mapped[str] = mapped_column(Text, nullable=False)
    # None only for a message stored before migration 0039, until `flask keys backfill` writes it.
    recipient_idx: Mapped[str | None] = mapped_column(String(80), index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
