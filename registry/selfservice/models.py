"""The worker's own sign-in: PIN, one-time codes and sessions (unlogged: credentials and counters)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import UTCDateTime

CODE_KINDS = ("activation", "consent", "confirmation")


class WorkerLogin(db.Model):
    """A worker's PIN and its lock-out. A new activation code bumps `generation`,
    which clears the PIN and ends every session of the old one."""

    __tablename__ = "worker_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    generation: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now, onupdate=clock.now)


class WorkerCode(db.Model):
    """An activation, consent or attachment-confirmation code, stored only as a hash.

    Single use, and burnt after too many wrong tries.
    """

    __tablename__ = "worker_codes"
    __table_args__ = (Index("ix_worker_codes_worker_kind", "worker_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # Who asked for it (an account ref, or "worker" for a consent code).
    created_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    burnt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A confirmation code confirms this one pending employment only.
    employment_id: Mapped[int | None] = mapped_column(ForeignKey("employments.id"))


class WorkerSession(db.Model):
    """A signed-in worker: the token's SHA-256, never the token."""

    __tablename__ = "worker_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id"), nullable=False, index=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
