"""Market access (失信联合惩戒): what a listing in effect stops, and what it only warns of.

- A company with a serious listing in effect registers, imports and attaches
  nobody: 403 `company_listed`.
- A worker with a serious listing in effect whose measures bar home-service
  work is registered and attached by nobody: 409 `worker_listed`.
- A worker's other listings in effect (a watch list; a serious listing whose
  measures do not bar the work) let a registration through with `warnings`,
  and the employment records which listings it warned of.

"In effect" is `rules.is_in_effect`: decided (a serious listing: approved by a
second regulator) and within its window, published or not. The queries here
read a superset in SQL (listing kinds, binding states, decided within the
longest window) and decide in Python with the one rule. Nothing here writes;
the rules are in docs/rules.md, "Market access".
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock
from ..errors import ApiError
from ..extensions import db
from . import rules
from .models import Sanction

# States in which a decision may bind (rules.is_in_effect); "expired" has its window behind it.
BINDING_STATES = ("decided", "approved", "published")
LONGEST_WINDOW = max(most for _least, most in rules.WINDOW_MONTHS.values())
CHUNK = 900  # ids per IN list (SQLite's bound-parameter limit)
WARNING_CODE = "listing_in_effect"


def earliest_binding_decision(today: date) -> date:
    """No decision taken before this day can bind today: no window is longer than LONGEST_WINDOW months."""
    return clock.add_months(today, -LONGEST_WINDOW)


def _binding(q, today: date, kinds=rules.LISTING_KINDS):
    return q.where(Sanction.kind.in_(kinds), Sanction.state.in_(BINDING_STATES),
                   Sanction.decision_date.is_not(None), Sanction.decision_date <= today,
                   Sanction.decision_date >= earliest_binding_decision(today))


def company_listed(company_id: int, today: date) -> bool:
    """Does a serious listing bind the company today?"""
    rows = db.session.execute(_binding(
        select(Sanction.kind, Sanction.state, Sanction.decision_date, Sanction.publish_months)
        .where(Sanction.company_id == company_id), today, ("serious_list",))).all()
    return any(rules.is_in_effect(kind=k, state=s, decision_date=d, months=m, today=today) for k, s, d, m in rows)


def companies_listed(company_ids: Iterable[int], today: date) -> set[int]:
    """Which of these companies a serious listing binds today (one query a chunk; the market access marks)."""
    return _serious_listed(Sanction.company_id, company_ids, today)


def _serious_listed(column, ids: Iterable[int], today: date) -> set[int]:
    """Which of these subjects (`column`: a sanction's company_id or worker_id) a serious listing binds today."""
    ids = sorted(set(ids))
    out: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        rows = db.session.execute(_binding(
            select(column, Sanction.kind, Sanction.state, Sanction.decision_date, Sanction.publish_months)
            .where(column.in_(ids[i:i + CHUNK])), today, ("serious_list",))).all()
        out.update(x for x, k, s, d, m in rows
                   if rules.is_in_effect(kind=k, state=s, decision_date=d, months=m, today=today))
    return out


def company_listed_error() -> ApiError:
    return ApiError(403, "company_listed",
                    "贵单位已被列入严重失信主体名单，惩戒期内不能登记、导入或挂靠从业人员。",
                    "Your company is on the serious-dishonesty list: while the listing is in effect it cannot "
                    "register, import or attach workers.")


def require_company_not_listed(company, today: date) -> None:
    """403 `company_listed` when a serious listing binds the company today."""
    if company_listed(company.id, today):
        raise company_listed_error()


def listings_of_workers(worker_ids: Iterable[int], today: date) -> dict[int, list[Sanction]]:
    """The listings binding each of these workers today (worker id → listings, oldest first); one query a chunk."""
    ids = sorted(set(worker_ids))
    out: dict[int, list[Sanction]] = {}
    for i in range(0, len(ids), CHUNK):
        q = _binding(select(Sanction).where(Sanction.worker_id.in_(ids[i:i + CHUNK])), today).options(
            selectinload(Sanction.agency), selectinload(Sanction.decision)).order_by(Sanction.id)
        for s in db.session.execute(q).scalars():
            if s.is_in_effect(today):
                out.setdefault(s.worker_id, []).append(s)
    return out


def listings_of_worker(worker_id: int, today: date) -> list[Sanction]:
    return listings_of_workers([worker_id], today).get(worker_id, [])


def serious_listed_workers(worker_ids: Iterable[int], today: date) -> set[int]:
    """Which of these workers a serious listing binds today (their cards read red)."""
    return _serious_listed(Sanction.worker_id, worker_ids, today)


def serious_listed(worker_id: int, today: date) -> bool:
    return worker_id in serious_listed_workers([worker_id], today)


def bars(sanction: Sanction) -> bool:
    """A serious listing whose measures bar home-service work."""
    return sanction.kind == "serious_list" and sanction.bars_home_service


def worker_listed_error() -> ApiError:
    return ApiError(409, "worker_listed",
                    "该人员已被列入严重失信主体名单，惩戒措施禁止其从事家政上门服务，不能登记或挂靠。",
                    "This person is on the serious-dishonesty list and its measures bar home-service work: they "
                    "cannot be registered or attached.")


def refuse_barred(listings: list[Sanction]) -> None:
    """409 `worker_listed` when one of the worker's listings in effect bars home-service work."""
    if any(bars(s) for s in listings):
        raise worker_listed_error()


def warned(listings: list[Sanction]) -> list[Sanction]:
    """The listings a registration goes through with, and warns of: every one in effect that does not bar."""
    return [s for s in listings if not bars(s)]


def warning_refs(listings: list[Sanction]) -> list[str] | None:
    """What the employment records of the warnings shown: the listings' public refs (None: no warning)."""
    return [s.ref for s in warned(listings)] or None


def warning_view(sanction: Sanction) -> dict:
    """One warning as the registration's answer carries it: the listing's public fields and a message."""
    from .views_model import public_view

    view = public_view(sanction)
    agency = sanction.agency
    number = view["decision_no"] or "—"
    end = view["window_end"].isoformat() if view["window_end"] else "—"
    kind_zh, kind_en = rules.KINDS[sanction.kind]
    zh = (f"该人员已被{agency.name_zh}{kind_zh}（决定书 {number}），有效期至 {end}。登记已完成，"
          "请知悉并加强管理。")
    en = (f"{kind_en} by {agency.name_en} (decision {number}), in effect until {end}. The registration went "
          "through: take note.")
    return {"code": WARNING_CODE, **view, "message": {"zh": zh, "en": en}}


def warnings(listings: list[Sanction]) -> list[dict]:
    return [warning_view(s) for s in warned(listings)]


def check_worker(worker_id: int, today: date) -> list[Sanction]:
    """The worker's listings in effect, after refusing one that bars the work (409 `worker_listed`)."""
    listings = listings_of_worker(worker_id, today)
    refuse_barred(listings)
    return listings
