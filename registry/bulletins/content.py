"""What one bulletin says, as plain values (pure): the records it lists and the figures behind them.

`gather` (the database side) fills a `Content` for a period; `render` makes the PDF of it and `opendata` the CSV
and JSON Lines files. Everything here is already fit for the public: a worker appears only by card number and
masked name, a named person only masked — exactly as the public views show them (sanctions/public.py,
views_model.listing_view).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .periods import Period


@dataclass(frozen=True)
class Person:
    """A person a company's sanction names, as the public sees them."""

    role: str  # legal_representative | responsible
    role_zh: str
    name_masked: str
    card_no: str | None = None


@dataclass(frozen=True)
class Record:
    """One sanction as a bulletin lists it: the public view's fields, the subject, and the persons masked."""

    ref: str
    subject_kind: str  # worker | company
    subject_id: str  # a worker's card number, a company's USCC
    subject_name: str  # a worker's masked name, a company's name
    district: str | None  # a company subject's district code; a worker's current employer's (or None)
    kind: str
    kind_zh: str
    severity: str
    severity_zh: str
    decision_no: str | None
    decision_date: date
    legal_basis: str
    agency_code: str
    agency_zh: str
    sector: str  # the issuing agency's: housekeeping | property | market
    window_end: date | None  # the publication window's last day
    persons: tuple[Person, ...] = ()
    # An objection (异议) to the sanction was pending when the bulletin was made (a snapshot: the bulletin is not made
    # again when one is filed or answered; the next one shows the mark as it stands then).
    objection_pending: bool = False


@dataclass(frozen=True)
class Stats:
    """The figures of the full list at the period's end, and the trend of the twelve months up to it."""

    by_sector: dict[str, int]
    by_district: dict[str, int]
    by_kind: dict[str, int]
    by_severity: dict[str, int]
    # (month "YYYY-MM", sanctions made public that month), oldest first, the period's own month last.
    trend: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Commended:
    """A commendation in force, as the red list shows it."""

    title: str
    basis: str  # the document it was given under (表彰文件), as recorded
    agency_zh: str
    commended_on: date
    valid_until: date


@dataclass(frozen=True)
class RedFirm:
    """A firm on the red list (守信激励) as the bulletin was made: public facts about a firm, nothing personal."""

    uscc: str
    name: str
    sectors: tuple[str, ...]
    district: str | None
    grade: str | None
    score: int | None
    reasons: tuple[str, ...]  # aaa | commended
    commendations: tuple[Commended, ...] = ()


@dataclass(frozen=True)
class Content:
    """One bulletin of one period and version."""

    period: Period
    version: int
    issuer_zh: str  # the issuing body, for the title page
    issuer_en: str
    made_at: datetime  # aware
    # The log checkpoint current when the bulletin was made: a reader ties the bulletin to the log with it.
    checkpoint_size: int
    checkpoint_root: str  # hex
    verify_url: str  # where the QR code on the title page leads: the bulletin verification page
    published: tuple[Record, ...]  # made public during the period
    ended: tuple[Record, ...]  # whose publication window ended during the period
    full: tuple[Record, ...]  # every record public at the period's end
    stats: Stats
    sections: tuple[str, ...] = field(default=("published", "ended", "full"))
    # The red list as the bulletin was made (credit/red_list.py, on the Shanghai day of `made_at`), and how many
    # verified firms held each kept grade then, highest grade first: (grade, firms).
    red_list: tuple[RedFirm, ...] = ()
    grades: tuple[tuple[str, int], ...] = ()
