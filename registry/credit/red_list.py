"""The red list (守信激励, 红名单): the verified firms graded AAA and the firms with a commendation in force.

Who is on it, on `today` (docs/rules.md, "The red list (红名单)"):
- a verified company whose kept grade is AAA (`credit_scores`), or that holds a commendation in force
  (not revoked, commended_on ≤ today ≤ valid_until) — each row says which (`reasons`: `aaa`, `commended`, or both);
- never a company a serious listing binds today, whatever its grade or commendations (`serious_listed_today`,
  the SQL of `sanctions.rules.is_in_effect` for serious listings, as `sanctions.access.company_listed` decides).

Everything here is in SQL, so a page and its total are right together: one count and one page of companies (the
whole list: no count), then one query for those companies' commendations in force. The order is stable: the
highest score first (a firm with no kept score last), then by USCC. Every row is a public fact about a firm;
nothing personal is read.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Text, and_, cast, func, literal, or_, select
from sqlalchemy.orm import selectinload

from ..companies import districts
from ..companies.models import Company
from ..extensions import db
from ..sanctions.models import Sanction
from . import commendations
from .models import Commendation
from .score_models import CreditScore

REASONS = ("aaa", "commended")
RED_GRADE = "AAA"
# The states in which a serious listing may bind (rules.is_in_effect: approved by a second regulator, then
# published and later expired — its window, not its state, says whether it still binds).
LISTING_TAKEN = ("approved", "published", "expired")


@dataclass(frozen=True)
class Filters:
    sector: str | None = None
    district: str | None = None


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    total: int


def reasons_for(*, grade: str | None, commended: bool, listed: bool) -> list[str]:
    """Why a verified firm is on the red list (empty: it is not). A serious listing in effect outweighs all."""
    if listed:
        return []
    return [r for r, yes in (("aaa", grade == RED_GRADE), ("commended", commended)) if yes]


def serious_listed_today(today: date):
    """The ids of the companies a serious listing binds on `today` (a subquery; `rules.is_in_effect` in SQL:
    approved, decided by today, and today within its window, whose last day is `public_until`)."""
    return (select(Sanction.company_id)
            .where(Sanction.company_id.is_not(None), Sanction.kind == literal("serious_list"),
                   Sanction.state.in_([literal(s) for s in LISTING_TAKEN]), Sanction.decision_date.is_not(None),
                   Sanction.decision_date <= today, Sanction.public_until >= today))


def commended_today(today: date):
    """The ids of the companies holding a commendation in force on `today` (a subquery)."""
    return (select(Commendation.company_id)
            .where(Commendation.revoked_dt.is_(None), Commendation.commended_on <= today,
                   Commendation.valid_until >= today))


def _sector_holds(sector: str):
    """`sector in Company.sectors` in SQL on both engines: the JSON list's text holds the quoted code (codes are
    plain words, so a quoted match is exact)."""
    return cast(Company.sectors, Text).like(f'%"{sector}"%')


def red_list(filters: Filters, *, today: date, page: int = 1, page_size: int | None = 20) -> Page:
    """One page of the red list on `today`, with its total (`page_size` None: the whole list, as a bulletin
    prints it)."""
    where = [Company.status == "verified",
             or_(CreditScore.grade == RED_GRADE, Company.id.in_(commended_today(today))),
             Company.id.not_in(serious_listed_today(today))]
    if filters.district:
        where.append(Company.district == filters.district)
    if filters.sector:
        where.append(_sector_holds(filters.sector))
    joined = and_(CreditScore.subject_kind == "company", CreditScore.subject_id == Company.id)
    base = select(Company.id).outerjoin(CreditScore, joined).where(*where)
    q = (select(Company, CreditScore.points, CreditScore.grade).outerjoin(CreditScore, joined).where(*where)
         .order_by(func.coalesce(CreditScore.points, -1).desc(), Company.uscc))
    if page_size is not None:
        q = q.offset((page - 1) * page_size).limit(page_size)
    found = db.session.execute(q).all()
    total = len(found) if page_size is None else db.session.execute(
        select(func.count()).select_from(base.subquery())).scalar_one()
    held = _commendations_of([c.id for c, _p, _g in found], today)
    rows = [row_view(company, points, grade, held.get(company.id, [])) for company, points, grade in found]
    return Page(rows=rows, total=total)


def _commendations_of(company_ids: list[int], today: date) -> dict[int, list[Commendation]]:
    """The commendations in force of these companies, newest first (one query, even for none: a fixed number of
    statements)."""
    out: dict[int, list[Commendation]] = {}
    for c in db.session.execute(
            select(Commendation).where(Commendation.company_id.in_(company_ids), Commendation.revoked_dt.is_(None),
                                       Commendation.commended_on <= today, Commendation.valid_until >= today)
            .options(selectinload(Commendation.agency))
            .order_by(Commendation.commended_on.desc(), Commendation.id.desc())).scalars():
        out.setdefault(c.company_id, []).append(c)
    return out


def row_view(company: Company, points: int | None, grade: str | None, held: list[Commendation]) -> dict:
    """One firm on the red list, as anyone sees it."""
    return {"uscc": company.uscc, "name": company.name, "sectors": company.sectors, "district": company.district,
            "district_name": {"zh": districts.name(company.district, "zh"),
                              "en": districts.name(company.district, "en")},
            "grade": grade, "score": points,
            "commendations": [commendations.public_view(c) for c in held],
            "reasons": reasons_for(grade=grade, commended=bool(held), listed=False)}


def grade_counts() -> dict[str, int]:
    """How many verified companies hold each kept grade now (a grade none holds is absent)."""
    return dict(db.session.execute(
        select(CreditScore.grade, func.count()).join(Company, Company.id == CreditScore.subject_id)
        .where(CreditScore.subject_kind == "company", CreditScore.grade.is_not(None), Company.status == "verified")
        .group_by(CreditScore.grade)).all())
