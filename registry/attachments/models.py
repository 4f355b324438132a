"""One table for every attachment, whoever owns it (`owner_kind`, `owner_id`).

Why one table and not one per owner: the sealing, the key rotation (`keys/rotation.py`, one `Sealed` entry) and
the verifier (`log/verify/local.py`) are written once. An owner kind is a short fixed word naming the owning table
(`sanction_objection` for `sanction_objections`; credit repair adds its own, e.g. `repair_application`); the
owner's aggregate lists `attachments` under its kinds in `canonical.AGGREGATE_TABLES` and puts
`services.state_entries(...)` of each owner row in its canonical state.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import UTCDateTime, new_ref


class Attachment(db.Model):
    """A document sealed like a worker's photo: AES-GCM bound to the row's ref, an HMAC of its SHA-256 beside it."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_owner", "owner_kind", "owner_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # AES-GCM associated data binds the sealed content to this ref (new for every file).
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    owner_kind: Mapped[str] = mapped_column(String(24), nullable=False)
    owner_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # The file's place among its owner's (0, 1, ...): the order the person handed them in.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    # Judged by the content's first bytes, never the browser's word or the file's name (which is not kept).
    content_type: Mapped[str] = mapped_column(String(32), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    content_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    # state_hmac("attachment", SHA-256 hex of the content): what the canonical state holds.
    content_state: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
