"""The working-day schedules operators load, one row per year (a logged aggregate of its own)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..extensions import db
from ..models import LoggedAggregate, UTCDateTime


class CalendarYear(LoggedAggregate, db.Model):
    """A year's official schedule as the State Council published it; it overrides the built-in data for the year.

    Loading the year again (a corrected schedule) updates this row and writes a new `calendar:load` entry; the
    earlier versions are what the log's earlier digests covered.
    """

    __tablename__ = "calendar_years"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    # ISO dates, sorted: the off days, and the make-up working days (Saturdays and Sundays worked).
    holidays: Mapped[list] = mapped_column(JSON, nullable=False)
    workdays: Mapped[list] = mapped_column(JSON, nullable=False)
    # The notice the schedule comes from, e.g. 国办发明电〔2026〕N号.
    source: Mapped[str] = mapped_column(String(200), nullable=False)
    # The loading account's ref, or "cli" for an operator at the command line.
    loaded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    loaded_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=clock.now)
