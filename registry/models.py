"""Shared column helpers for the domain models."""
from __future__ import annotations

import secrets
from datetime import UTC

from sqlalchemy import DateTime, String, TypeDecorator
from sqlalchemy.orm import Mapped, mapped_column


def new_ref() -> str:
    """A random 128-bit reference, 32 lowercase hex characters."""
    return secrets.token_hex(16)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if dialect.name != "sqlite" else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class LoggedAggregate:
    """The root row of an aggregate: a random log_ref and a per-record salt.

    The log's `subject` is the log_ref; the salt goes into the canonical state
    so a digest cannot be confirmed by guessing the record's contents.
    """

    log_ref: Mapped[str] = mapped_column(String(32), unique=True, default=new_ref, nullable=False)
    salt: Mapped[str] = mapped_column(String(32), default=new_ref, nullable=False)
