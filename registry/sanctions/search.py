"""The public search of published listings, and the batch check of USCCs and card numbers (issue #12, part 8).

Never a record that is not public today: the condition is in SQL (`public_today`) so pages and totals are
right, and every row read is confirmed with `Sanction.is_public(today)` besides. A window is open today when
add_months(decision_date, publish_months) >= today; as months run 1..36 that is an OR over the months of
`decision_date >= earliest_open_decision(today, m)` (search_terms; month-end clamping tested), beside a range
on the decision date the index serves. Nothing new is stored: no derived column to keep in step with corrections.

How `q` is read is in `search_terms`. Persons are found by exact full name only (the blind index, under every
key still in use) or by card number, and are always shown masked (`views_model.listing_view`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, func, literal, or_, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Agency
from ..companies.models import Company
from ..companies.search import company_matches
from ..errors import field_error
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import name_index_candidates
from ..workers import services as workers
from ..workers.models import Employment, Worker
from . import access, rules, search_terms, views_model
from .models import Sanction, SanctionPerson

PUBLIC_STATES = ("published", "expired")
# A search counts its matches up to this many (or to the end of the page asked, if further): past it the total
# is a lower bound and the X-Pagination header says `"more": true`.
COUNT_CAP = 1000


def public_today(today: date):
    """The SQL condition of `Sanction.is_public(today)`: published, decided by today, its window still open."""
    windows = [and_(Sanction.publish_months == m,
                    Sanction.decision_date >= search_terms.earliest_open_decision(today, m))
               for m in range(1, search_terms.LONGEST_WINDOW + 1)]
    return and_(Sanction.state.in_(PUBLIC_STATES), Sanction.published_dt.is_not(None),
                Sanction.decision_date <= today,
                Sanction.decision_date >= search_terms.earliest_public_decision(today), or_(*windows))


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    sector: str | None = None
    district: str | None = None
    kind: str | None = None
    severity: str | None = None
    decided_from: date | None = None
    decided_to: date | None = None


def card_no_typo(field: str = "q"):
    return field_error(field, "This card number's check character is wrong: check it against the card.",
                       "服务证编号校验位有误，请与证件核对。", code="card_no_typo")


def _persons_named(condition):
    return Sanction.id.in_(select(SanctionPerson.sanction_id).where(condition))


def _q_condition(ring: KeyRing, term: search_terms.Term):
    if term.kind == "card":
        if term.typo:
            raise card_no_typo()
        worker_ids = select(Worker.id).where(Worker.card_no == term.value)
        return or_(Sanction.worker_id.in_(worker_ids), _persons_named(SanctionPerson.worker_id.in_(worker_ids)))
    if term.kind == "uscc":
        return Sanction.company_id.in_(select(Company.id).where(Company.uscc == term.value))
    names = name_index_candidates(ring, term.value)
    by_name = [Sanction.worker_id.in_(select(Worker.id).where(Worker.name_index.in_(names))),
               _persons_named(SanctionPerson.name_idx.in_(names))] if names else []
    return or_(company_matches(term.value, Sanction.company_id), *by_name)


def _conditions(ring: KeyRing, f: Filters, today: date) -> list:
    where = [public_today(today)]
    term = search_terms.read_q(f.q)
    if term.kind is not None:
        where.append(_q_condition(ring, term))
    if f.sector:
        where.append(Sanction.agency_id.in_(select(Agency.id).where(Agency.sector == f.sector)))
    if f.district:
        employed_there = (select(Employment.worker_id).join(Company, Company.id == Employment.company_id)
                          .where(Company.district == f.district, Employment.active))
        where.append(or_(Sanction.company_id.in_(select(Company.id).where(Company.district == f.district)),
                         Sanction.worker_id.in_(employed_there)))
    if f.kind:
        where.append(Sanction.kind == f.kind)
    if f.severity:
        where.append(Sanction.severity == f.severity)
    if f.decided_from:
        where.append(Sanction.decision_date >= f.decided_from)
    if f.decided_to:
        where.append(Sanction.decision_date <= f.decided_to)
    return where


def _loaded(q):
    return q.options(selectinload(Sanction.agency), selectinload(Sanction.decision), selectinload(Sanction.worker),
                     selectinload(Sanction.company),
                     selectinload(Sanction.persons).selectinload(SanctionPerson.worker))


@dataclass(frozen=True)
class Page:
    rows: list[Sanction]
    # Exact when `more` is False; else a lower bound (the count stopped there).
    total: int
    more: bool


def search(ring: KeyRing, f: Filters, *, today: date, page: int, page_size: int) -> Page:
    """One page of the sanctions public today that match `f`, newest decision first, and the count of matches.

    The count stops at COUNT_CAP (or at the end of the page asked, if further), so a common fragment never
    counts every published sanction on every request.
    """
    where = _conditions(ring, f, today)
    ids = (select(Sanction.id).where(*where)
           .order_by(Sanction.decision_date.desc(), Sanction.id.desc())
           .offset((page - 1) * page_size).limit(page_size))
    found = [r for (r,) in db.session.execute(ids)]
    rows = []
    if found:
        by_id = {s.id: s for s in db.session.execute(
            _loaded(select(Sanction).where(Sanction.id.in_(found)))).scalars()}
        rows = [by_id[i] for i in found if by_id[i].is_public(today)]
    cap = max(COUNT_CAP, page * page_size)
    bounded = select(literal(1)).select_from(Sanction).where(*where).limit(cap + 1).subquery()
    counted = db.session.execute(select(func.count()).select_from(bounded)).scalar_one()
    return Page(rows, min(counted, cap), counted > cap)


def listings(ring: KeyRing, f: Filters, *, today: date, page: int, page_size: int) -> tuple[list[dict], Page]:
    found = search(ring, f, today=today, page=page, page_size=page_size)
    return [views_model.listing_view(s) for s in found.rows], found


# ---- the batch check ----

CHECK_ERRORS = {
    "card_no_typo": ("服务证编号校验位有误，请与证件核对。",
                     "This card number's check character is wrong: check it against the card."),
    "not_uscc_or_card_no": ("不是统一社会信用代码或服务证编号。",
                            "Neither a unified social credit code (18 characters) nor a card number (JX…)."),
}


def _error(code: str) -> dict:
    zh, en = CHECK_ERRORS[code]
    return {"code": code, "message": {"zh": zh, "en": en}}


def _read_item(raw: str) -> tuple[str | None, str | None, str | None]:
    """(kind, key, error code) of one item."""
    card = search_terms.card_shaped(raw)
    if card is not None:
        return ("worker", card[0], None) if card[1] else ("worker", card[0], "card_no_typo")
    code = search_terms.uscc_shaped(raw)
    if code is not None:
        return "company", code, None
    return None, None, "not_uscc_or_card_no"


def _companies_listed(company_ids: list[int], today: date) -> set[int]:
    if not company_ids:
        return set()
    rows = db.session.execute(
        select(Sanction.company_id, Sanction.kind, Sanction.state, Sanction.decision_date, Sanction.publish_months)
        .where(Sanction.company_id.in_(company_ids), Sanction.kind == "serious_list",
               Sanction.state.in_(access.BINDING_STATES), Sanction.decision_date <= today,
               Sanction.decision_date >= search_terms.earliest_public_decision(today))).all()
    return {c for c, k, s, d, m in rows
            if rules.is_in_effect(kind=k, state=s, decision_date=d, months=m, today=today)}


def check(items: list[str], *, today: date) -> list[dict]:
    """Each item's standing, in order: a fixed number of statements whatever the number of items.

    Workers (with their records and employments, for the colour), companies, the serious listings binding
    them, and the sanctions public today that name them (with what the public view reads) are each read
    once for the whole batch. An item that is neither a USCC nor a card number gets its own `error`.
    """
    read = [_read_item(raw) for raw in items]
    cards = sorted({k for kind, k, err in read if kind == "worker" and err is None})
    codes = sorted({k for kind, k, err in read if kind == "company" and err is None})
    found_workers = {w.card_no: w for w in db.session.execute(
        select(Worker).where(Worker.card_no.in_(cards)).options(
            selectinload(Worker.records), selectinload(Worker.employments))).scalars()} if cards else {}
    found_companies = {c.uscc: c for c in db.session.execute(
        select(Company).where(Company.uscc.in_(codes))).scalars()} if codes else {}
    worker_ids = [w.id for w in found_workers.values()]
    company_ids = [c.id for c in found_companies.values()]
    listed_workers = access.serious_listed_workers(worker_ids, today) if worker_ids else set()
    listed_companies = _companies_listed(company_ids, today)

    by_worker: dict[int, list[Sanction]] = {}
    by_company: dict[int, list[Sanction]] = {}
    if worker_ids or company_ids:
        subject = or_(Sanction.worker_id.in_(worker_ids) if worker_ids else false(),
                      Sanction.company_id.in_(company_ids) if company_ids else false(),
                      _persons_named(SanctionPerson.worker_id.in_(worker_ids)) if worker_ids else false())
        rows = db.session.execute(_loaded(select(Sanction).where(public_today(today), subject)
                                          .order_by(Sanction.decision_date.desc(), Sanction.id.desc()))).scalars()
        wanted_workers = set(worker_ids)
        for s in rows:
            if not s.is_public(today):
                continue
            if s.company_id is not None:
                by_company.setdefault(s.company_id, []).append(s)
            named = {s.worker_id} | {p.worker_id for p in s.persons}
            for wid in named & wanted_workers:
                by_worker.setdefault(wid, []).append(s)

    out = []
    for raw, (kind, key, err) in zip(items, read):
        entry = {"item": raw, "kind": kind, "key": key, "found": False, "name": None, "listed": False,
                 "card_status": None, "sanctions": [], "error": _error(err) if err else None}
        if kind == "worker" and err is None and key in found_workers:
            w = found_workers[key]
            listed = w.id in listed_workers
            entry.update(found=True, name=w.name_masked, listed=listed,
                         card_status=workers.status_of(w, today, listed=listed).colour,
                         sanctions=[views_model.listing_view(s) for s in by_worker.get(w.id, [])])
        elif kind == "company" and key in found_companies:
            c = found_companies[key]
            entry.update(found=True, name=c.name, listed=c.id in listed_companies,
                         sanctions=[views_model.listing_view(s) for s in by_company.get(c.id, [])])
        out.append(entry)
    return out
