"""Bulletins (an aggregate): one version of one period's bulletin, and the files it published.

A published version is never changed or deleted: it is withdrawn (with a reason) and a new version published, and
the withdrawn one's files stay, as the archive of what was once public. The files are stored in the database itself,
so every server answers a download from the same bytes (bytea on PostgreSQL, a blob on SQLite); the canonical state
commits to each file's size and SHA-256 and to the signed manifest's SHA-256, never to the content.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime, new_ref

STATES = ("current", "withdrawn")
CURRENT, WITHDRAWN = STATES
MAX_REASON = 500
MAX_MEDIA_TYPE = 100


class Bulletin(LoggedAggregate, db.Model):
    """One version of one period's bulletin: what it cites, who signed it, and whether it still stands."""

    __tablename__ = "bulletins"
    __table_args__ = (
        # One bulletin per period and version, whatever the number of processes publishing: the second insert fails.
        UniqueConstraint("period_key", "version"),
        # The listing's order: newest made first.
        Index("ix_bulletins_made_at", "made_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The public reference in URLs (never the log_ref).
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)  # month | week
    period_key: Mapped[str] = mapped_column(String(16), nullable=False)  # "2026-11" | "2026-W48"
    version: Mapped[int] = mapped_column(Integer, nullable=False)  # 1, 2, …
    state: Mapped[str] = mapped_column(String(12), nullable=False)  # current | withdrawn
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The log checkpoint the bulletin cites (its size, and its root in lowercase hex).
    checkpoint_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    checkpoint_root: Mapped[str] = mapped_column(String(64), nullable=False)
    # The signed-note key id (8 hex) of the `bulletin` key that signed the manifest, as /api/v1/bulletins/keys
    # lists it.
    key_id: Mapped[str] = mapped_column(String(8), nullable=False)
    # The signed manifest (manifest.py): a C2SP signed note whose body is `sha256sum` lines.
    manifest: Mapped[str] = mapped_column(Text, nullable=False)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(MAX_REASON))
    withdrawn_by: Mapped[str | None] = mapped_column(String(32))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The publishing account's ref, or `system` for the scheduled job.
    created_by: Mapped[str] = mapped_column(String(32), nullable=False)

    files: Mapped[list[BulletinFile]] = relationship(order_by="BulletinFile.id", back_populates="bulletin")


class BulletinFile(db.Model):
    """One published file of a bulletin (a dependent row: no log_ref of its own)."""

    __tablename__ = "bulletin_files"
    __table_args__ = (
        UniqueConstraint("bulletin_id", "name"),
        # The verify page and `flask bulletins verify`: which published file has this SHA-256 (migration 0020).
        Index("ix_bulletin_files_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)  # plain: manifest.is_plain_name
    media_type: Mapped[str] = mapped_column(String(MAX_MEDIA_TYPE), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # lowercase hex
    # Loaded only when asked for (a listing never reads the PDFs).
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)

    bulletin: Mapped[Bulletin] = relationship(back_populates="files")


class BulletinRecord(db.Model):
    """A sanction one bulletin version carries, in any section or change file: which bulletins a repair, withdrawal
    or correction of that sanction affects (`follow.py`). Derived, unlogged: written with the publication from
    what it published, like the public search's grams."""

    __tablename__ = "bulletin_records"
    __table_args__ = (
        # A sanction's bulletins: the follow-up's join from a changed sanction.
        Index("ix_bulletin_records_sanction", "sanction_ref", "bulletin_id"),
        {"sqlite_with_rowid": False},
    )

    bulletin_id: Mapped[int] = mapped_column(ForeignKey("bulletins.id"), primary_key=True)
    # The sanction's public ref, as the open-data files name it.
    sanction_ref: Mapped[str] = mapped_column(String(32), primary_key=True)
