"""The development outbox: messages the notification interface would send."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import UTCDateTime, new_ref


class OutboxMessage(db.Model):
    """One message; recipient and text are sealed (they may hold codes and phones)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    recipient_enc: Mapped[str] = mapped_column(Text, nullable=False)
    text_enc: Mapped[str] = mapped_column(Text, nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
