"""The public search of published listings, and the batch check of USCCs and card numbers (issue #12, part 8).

Never a record that is not public today: the condition is in SQL (`public_today`) so pages and totals are
right, and every row read is confirmed with `rules.is_public` besides. A window is open today when its last
day, `Sanction.public_until` (window_end, derived and stored whenever the row is written: models._derive), is
today or later.

How `q` is read is in `search_terms`. Persons are found by exact full name only (the blind index, under every
key still in use) or by card number, and are always shown masked (`views_model.listing_view`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, false, func, literal, or_, select, union
from sqlalchemy.orm import aliased, selectinload

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
from .models import Sanction, SanctionDecision, SanctionPerson
from .public import labels, published_view

PUBLIC_STATES = ("published", "expired")
# A page asked past the last one counts the matches, up to this many.
COUNT_CAP = 1000


def public_today(today: date):
    """The SQL condition of `Sanction.is_public(today)`: published, decided by today, its window still open."""
    return and_(Sanction.state.in_(PUBLIC_STATES), Sanction.published_dt.is_not(None),
                Sanction.decision_date <= today, Sanction.public_until >= today)


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
    # The persons of that exact name first, as a (usually empty) list of sanction ids: an OR of subqueries made
    # PostgreSQL hash every company holding a common gram (200,000 rows) instead of probing page by page.
    names = name_index_candidates(ring, term.value)
    named = list(db.session.execute(union(
        select(Sanction.id).where(Sanction.worker_id.in_(select(Worker.id).where(Worker.name_index.in_(names)))),
        select(SanctionPerson.sanction_id).where(SanctionPerson.name_idx.in_(names)))).scalars()) if names else []
    by_company = company_matches(term.value, Sanction.company_id)
    return or_(by_company, Sanction.id.in_(named)) if named else by_company


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


# The page reads its subjects, agency and decision joined under aliases, so that the filters' subqueries on the
# same tables (a company's name or code, an agency's sector, a worker's card) stay uncorrelated.
_agency, _decision, _worker, _company = (aliased(Agency), aliased(SanctionDecision), aliased(Worker),
                                         aliased(Company))
_PAGE_COLUMNS = (
    Sanction.id, Sanction.ref, Sanction.kind, Sanction.severity, Sanction.decision_date, Sanction.legal_basis,
    Sanction.publish_months, Sanction.state, Sanction.published_dt, Sanction.subject_kind,
    _agency.code, _agency.name_zh, _agency.name_en, _agency.sector, _decision.decision_no,
    _worker.card_no, _worker.name_masked, _company.uscc, _company.name)


@dataclass(frozen=True)
class Hit:
    id: int
    view: dict


@dataclass(frozen=True)
class Page:
    rows: list[Hit]
    # Exact when `more` is False; else a lower bound (the count stopped there).
    total: int
    more: bool


def _persons(conn, ids: list[int]) -> dict[int, list[dict]]:
    rows = conn.execute(
        select(SanctionPerson.sanction_id, SanctionPerson.role, SanctionPerson.name_masked, Worker.card_no)
        .outerjoin(Worker, Worker.id == SanctionPerson.worker_id)
        .where(SanctionPerson.sanction_id.in_(ids)).order_by(SanctionPerson.id)).all()
    out: dict[int, list[dict]] = {}
    for sid, role, masked, card in rows:
        out.setdefault(sid, []).append({"role": role, "role_label": labels(rules.PERSON_ROLES, role),
                                        "name_masked": masked, "card_no": card})
    return out


def search(ring: KeyRing, f: Filters, *, today: date, page: int, page_size: int) -> Page:
    """One page of the sanctions public today that match `f`, newest decision first, and the count of matches.

    Core statements, no ORM objects (this is a public, hot path: bench/listings.py): the page and one row more
    with its subjects, agencies and decision numbers in one statement, the persons it names in a second (plus
    one bounded look at the name index for a company fragment). The matches are not counted: a count of a
    fragment held by a few thousand companies walks every published sanction (measured: 60–180 ms at 50,000
    sanctions, against under 2 ms for the page). The total is exact on the last page; before it, it is a lower
    bound (this page and one more) and `more` is true.
    Each view is `views_model.listing_view`'s (tested equal).
    """
    where = _conditions(ring, f, today)
    q = (select(*_PAGE_COLUMNS).select_from(Sanction)
         .join(_agency, _agency.id == Sanction.agency_id)
         .outerjoin(_decision, _decision.sanction_id == Sanction.id)
         .outerjoin(_worker, _worker.id == Sanction.worker_id)
         .outerjoin(_company, _company.id == Sanction.company_id)
         .where(*where).order_by(Sanction.decision_date.desc(), Sanction.id.desc())
         .offset((page - 1) * page_size).limit(page_size + 1))
    conn = db.session.connection()
    raw = conn.execute(q).all()
    more = len(raw) > page_size
    raw = raw[:page_size]
    rows = [r for r in raw
            if rules.is_public(state=r.state, published=r.published_dt is not None, decision_date=r.decision_date,
                               months=r.publish_months, today=today)]
    persons = _persons(conn, [r.id for r in rows]) if any(r.subject_kind == "company" for r in rows) else {}
    hits = []
    for r in rows:
        subject = ({"kind": "worker", "card_no": r.card_no, "name_masked": r.name_masked}
                   if r.subject_kind == "worker" else {"kind": "company", "uscc": r.uscc, "name": r.name})
        view = published_view(ref=r.ref, kind=r.kind, severity=r.severity, decision_no=r.decision_no,
                              decision_date=r.decision_date, legal_basis=r.legal_basis,
                              agency={"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                                      "sector": r.sector},
                              window_end=rules.window_end(r.decision_date, r.publish_months))
        hits.append(Hit(r.id, {**view, "subject": subject, "persons": persons.get(r.id, [])}))
    offset = (page - 1) * page_size
    if more:
        # At least one more: a lower bound, never a count of every match (a common fragment matches thousands).
        return Page(hits, offset + page_size + 1, True)
    if raw or page == 1:
        return Page(hits, offset + len(raw), False)
    # Past the last page: count, up to COUNT_CAP, so the header can point back.
    bounded = select(literal(1)).select_from(Sanction).where(*where).limit(COUNT_CAP + 1).subquery()
    counted = conn.execute(select(func.count()).select_from(bounded)).scalar_one()
    return Page(hits, min(counted, COUNT_CAP), counted > COUNT_CAP)


def listings(ring: KeyRing, f: Filters, *, today: date, page: int, page_size: int) -> tuple[list[dict], Page]:
    found = search(ring, f, today=today, page=page, page_size=page_size)
    return [h.view for h in found.rows], found


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
