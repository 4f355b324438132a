"""The change record and the transparency log stored beside it.

`log_entries` holds each leaf (the exact body bytes), numbered from the head
under its lock. `log_hashes` holds every interior hash of the Merkle tree at
Go's sumdb/tlog stored-hash index, written in the same transaction as the
entries that complete it. `log_checkpoints` holds the signed checkpoints;
`log_alarms` what the signer or the verifier refused, for operators.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import UTCDateTime


class LogHead(db.Model):
    """The single row (id 1) whose `size` is the next seq; locked to append."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class LogEntry(db.Model):
    """One leaf of the transparency log; `body` holds the exact leaf bytes."""

    __tablename__ = "log_entries"

    # Assigned from the head under its lock, never by the database: sequences
    # and autoincrements leave gaps when a transaction rolls back.
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    hmac: Mapped[str] = mapped_column(String(64), nullable=False)
    hmac_key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)


class LogHash(db.Model):
    """One stored hash of the tree: `id` is merkle.stored_hash_index(level, n)."""

    __tablename__ = "log_hashes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class LogCheckpoint(db.Model):
    """A signed checkpoint: the C2SP signed note exactly as served."""

    __tablename__ = "log_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # One checkpoint per size: the signer signs only when the log has grown.
    size: Mapped[int] = mapped_column(BigInteger, nullable=False, unique=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False)
    # The signed-note key id (8 hex digits of SHA-256(name || 0x0A || 0x01 || public key)),
    # not the key file's own id.
    key_id: Mapped[str] = mapped_column(String(8), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)


class LogAlarm(db.Model):
    """Something the checkpoint signer or the verifier found wrong; operators acknowledge it.

    The message names entries, checkpoints and refs only, never personal data.
    """

    __tablename__ = "log_alarms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    details: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
    acknowledged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
