"""Uploaded staff files, sealed at rest, with their import report."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import UTCDateTime, new_ref


class ImportFile(db.Model):
    """A company's uploaded staff file: the content is personal data, so it is sealed."""

    __tablename__ = "import_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, nullable=False, default=new_ref)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False, index=True)
    uploaded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # Loaded only when read: listing imports must not pull every file into memory.
    # Empty (b"") once deleted (`deleted_dt`, STAFF_FILE_DAYS after upload), with `valid_rows`: the report stays.
    content_enc: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, deferred=True)
    deleted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    keep_good: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    # Filled by the validation phase: the data rows to store, and the report (no personal values).
    # Loaded only when read: every batch of a long import reads the file's row again after its commit (its result),
    # and 100,000 row numbers parsed each time were a sixth of a batch's work under the log head's lock.
    valid_rows: Mapped[list | None] = mapped_column(JSON, deferred=True)
    report_csv: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
