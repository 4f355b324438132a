"""The kept credit scores (`credit_scores`): one row per company and per worker, derived and unlogged.

A score is made from logged records (reviews, complaints, sanctions, a worker's
records, a company's verification and pledge) and the versioned rules, so the
row holds nothing the log does not already commit to: it is a cache, kept
current in the transaction of every change that feeds it (`keeping.py`), moved
on by the hourly `refresh_due` when a component's window ends, and made again
whole by `flask --app wsgi credit rebuild` (`services.py`). Unlogged
(`canonical.UNLOGGED_TABLES`). What a row holds is public refs and points,
never anything personal (docs/privacy.md, "Credit scores").
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models import UTCDateTime

SUBJECT_KINDS = ("company", "worker")


class CreditScore(db.Model):
    """A subject's score as last computed: its points, grade (companies only), rules version and components."""

    __tablename__ = "credit_scores"
    __table_args__ = (
        # What the hourly `refresh_due` walks: the rows a component's window has left behind.
        Index("ix_credit_scores_stands_until", "stands_until"),
    )

    # "company" or "worker"; with the subject's id, the key (no foreign key: the id is of either table).
    subject_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    # AAA … C for a company; None for a worker (a worker has a score and no grade).
    grade: Mapped[str | None] = mapped_column(String(8))
    rules_version: Mapped[str] = mapped_column(String(16), nullable=False)
    # `scoring.Score.components` as plain values (`services.components_json`), dates as ISO text.
    components: Mapped[list] = mapped_column(JSON, nullable=False)
    # The last day these facts give this score (`Score.stands_until`); None when no window will ever move it.
    stands_until: Mapped[date | None] = mapped_column(Date)
    computed_dt: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # A worker's qualification verdict on the day computed (`inputs.Verdict`): are their qualifications current,
    # and the last day that stays so (None: no record's date will change it). None for a company. A company's
    # staff share reads these instead of its staff's records (`inputs._staff_shares`); `stands_until` is never
    # later than `qualified_until`, so the hourly job renews a verdict the day it would change.
    qualified: Mapped[bool | None] = mapped_column(Boolean)
    qualified_until: Mapped[date | None] = mapped_column(Date)
