"""The public search of published listings, and the batch check of USCCs and card numbers (issue #12, part 8).

Never a record that is not public today: the condition is in SQL (`public_today`) so pages and totals are
right, and every row read is confirmed with `rules.is_public` besides. A window is open today when its last
day, `Sanction.public_until` (window_end, derived and stored whenever the row is written: models._derive), is
today or later.

How `q` is read is in `search_terms`. Persons are found by exact full name only (the blind index, under every
key still in use) or by card number, and are always shown masked (`views_model.listing_view`).

A fragment of a company's name walks `listing_grams` (models.ListingGram, kept by `listing_index`): the company
sanctions under one gram of the fragment, newest decision first, confirmed against the folded name when the
fragment is longer than two characters, up to the page's last row and one more. A fragment of one or two
characters is its own gram; a longer one starts from its rarest bigram, by counts each process remembers for
`SEARCH_COUNTS_SECONDS` (`GramCounts`): a count only chooses where the walk starts, never what it finds.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, fields
from datetime import date

from flask import current_app
from sqlalchemy import Date, and_, bindparam, false, func, literal, or_, select, union
from sqlalchemy.orm import aliased, selectinload

from ..accounts.models import Agency
from ..companies import grams
from ..companies.models import Company, NameFold
from ..database import Prepared, as_date, one_statement_read
from ..errors import field_error
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import name_index_candidates
from ..workers import services as workers
from ..workers.models import Employment, Worker
from . import access, objections, rules, search_terms, views_model
from .models import ListingGram, Sanction, SanctionDecision, SanctionPerson
from .public import labels, published_view

PUBLIC_STATES = ("published", "expired")
# A page asked past the last one counts the matches, up to this many.
COUNT_CAP = 1000
# Each gram's company sanctions are counted up to this many: enough to tell a rare gram from a common one.
RARE = 1000
# Bigrams of a long fragment counted to find its rarest: enough to find its distinctive part (a brand).
MAX_PROBES = 12


def public_today(today: date, s=Sanction):
    """The SQL condition of `Sanction.is_public(today)`: published, decided by today, its window still open.

    `today` is the bind parameter of that name (`s` an alias of Sanction, for a subquery)."""
    day = bindparam("today", today, type_=Date)
    return and_(s.state.in_([literal(x) for x in PUBLIC_STATES]), s.published_dt.is_not(None),
                s.decision_date <= day, s.public_until >= day)


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    sector: str | None = None
    district: str | None = None
    kind: str | None = None
    severity: str | None = None
    decided_from: date | None = None
    decided_to: date | None = None


FILTERS = tuple(f.name for f in fields(Filters) if f.name != "q")


def card_no_typo(field: str = "q"):
    return field_error(field, "This card number's check character is wrong: check it against the card.",
                       "服务证编号校验位有误，请与证件核对。", code="card_no_typo")


def _loaded(q):
    return q.options(selectinload(Sanction.agency), selectinload(Sanction.decision), selectinload(Sanction.worker),
                     selectinload(Sanction.company), selectinload(Sanction.objections),
                     selectinload(Sanction.persons).selectinload(SanctionPerson.worker))


def _persons_named(condition):
    return Sanction.id.in_(select(SanctionPerson.sanction_id).where(condition))


# ---- which gram a fragment starts from ----

_COUNT_STATEMENTS: dict[int, Prepared] = {}


def _count_statement(n: int) -> Prepared:
    """How many company sanctions hold each of `n` grams (:g0 …), each counted up to :cap (a bounded walk)."""
    if n not in _COUNT_STATEMENTS:
        counts = [select(func.count()).select_from(
            select(literal(1)).select_from(ListingGram).where(ListingGram.gram == bindparam(f"g{i}"))
            .limit(bindparam("cap")).subquery()).scalar_subquery().label(f"n{i}") for i in range(n)]
        _COUNT_STATEMENTS[n] = Prepared(select(*counts))
    return _COUNT_STATEMENTS[n]


class GramCounts:
    """How many company sanctions hold each gram (up to RARE + 1), remembered for `seconds` in this process."""

    def __init__(self, seconds: float, size: int = 50_000, clock=time.monotonic) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._seen: dict[str, tuple[int, float]] = {}

    def held(self, conn, needed: list[str]) -> list[int]:
        now = self.clock()
        known = {g: seen[0] for g in needed if (seen := self._seen.get(g)) is not None and seen[1] > now}
        missing = [g for g in needed if g not in known]
        if missing:
            counted = _count_statement(len(missing)).rows(
                conn, {"cap": RARE + 1, **{f"g{i}": g for i, g in enumerate(missing)}})[0]
            if len(self._seen) + len(missing) > self.size:
                self._seen.clear()
            for g, n in zip(missing, counted):
                known[g] = n
                self._seen[g] = (n, now + self.seconds)
        return [known[g] for g in needed]


def gram_counts() -> GramCounts:
    """This app's counts (one per process and app)."""
    ext = current_app.extensions
    if "listing_gram_counts" not in ext:
        ext["listing_gram_counts"] = GramCounts(current_app.config["SEARCH_COUNTS_SECONDS"])
    return ext["listing_gram_counts"]


@dataclass(frozen=True)
class Fragment:
    """How a fragment of a company's name is walked: from `gram` (None: the fragment folds to nothing, so every
    company's name holds it), confirmed by `folded LIKE pattern` when `confirm`."""

    gram: str | None
    pattern: str
    confirm: bool


def fragment_plan(conn, counts: GramCounts, text: str) -> Fragment:
    folded = grams.fold(text)
    needed = grams.fragment_grams(folded)
    pattern = grams.like_pattern(folded)
    if not needed:
        return Fragment(None, pattern, False)
    if len(needed) == 1:
        return Fragment(needed[0], pattern, len(folded) > 2)
    probed = needed[:MAX_PROBES]
    _n, best = min((n, i) for i, n in enumerate(counts.held(conn, probed)))
    return Fragment(probed[best], pattern, True)


# ---- the page ----

@dataclass(frozen=True)
class _Shape:
    """What a page's statement is made of; one compiled statement per shape (and dialect)."""

    term: str | None
    gram: bool = False
    confirm: bool = False
    names: int = 0
    filters: tuple[str, ...] = ()


def _filtered(s, shape: _Shape) -> list:
    """Public today, and the filters `shape` has, on `s` (Sanction or an alias), as bind parameters."""
    where = [public_today(None, s)]
    present = set(shape.filters)
    if "sector" in present:
        where.append(s.agency_id.in_(select(Agency.id).where(Agency.sector == bindparam("sector"))))
    if "district" in present:
        employed_there = (select(Employment.worker_id).join(Company, Company.id == Employment.company_id)
                          .where(Company.district == bindparam("district"), Employment.active))
        where.append(or_(s.company_id.in_(select(Company.id).where(Company.district == bindparam("district"))),
                         s.worker_id.in_(employed_there)))
    if "kind" in present:
        where.append(s.kind == bindparam("kind"))
    if "severity" in present:
        where.append(s.severity == bindparam("severity"))
    if "decided_from" in present:
        where.append(s.decision_date >= bindparam("decided_from", type_=Date))
    if "decided_to" in present:
        where.append(s.decision_date <= bindparam("decided_to", type_=Date))
    return where


def _by_name(shape: _Shape):
    """Text: the company sanctions whose subject's name holds the fragment (the first :want of them, newest
    decision first, walked on listing_grams) and the sanctions of persons of that exact full name."""
    s = aliased(Sanction)
    if shape.gram:
        walk = (select(ListingGram.sanction_id.label("id")).join(s, s.id == ListingGram.sanction_id)
                .where(ListingGram.gram == bindparam("gram"),
                       ListingGram.decision_date <= bindparam("today", type_=Date),
                       ListingGram.decision_date >= bindparam("since", type_=Date), *_filtered(s, shape))
                .order_by(ListingGram.decision_date.desc(), ListingGram.sanction_id.desc()))
    else:
        walk = (select(s.id.label("id")).where(s.company_id.is_not(None), *_filtered(s, shape))
                .order_by(s.decision_date.desc(), s.id.desc()))
    if shape.confirm:
        walk = walk.join(NameFold, NameFold.company_id == s.company_id).where(
            NameFold.folded.like(bindparam("pattern"), escape=grams.LIKE_ESCAPE))
    first = walk.limit(bindparam("want")).subquery()
    ids = select(first.c.id)
    if not shape.names:
        return Sanction.id.in_(ids)
    names = [bindparam(f"name{i}") for i in range(shape.names)]
    w = aliased(Sanction)
    return Sanction.id.in_(union(
        ids,
        select(w.id).where(w.worker_id.in_(select(Worker.id).where(Worker.name_index.in_(names)))),
        select(SanctionPerson.sanction_id).where(SanctionPerson.name_idx.in_(names))))


def _where(shape: _Shape) -> list:
    where = _filtered(Sanction, shape)
    if shape.term == "card":
        worker_ids = select(Worker.id).where(Worker.card_no == bindparam("card_no"))
        where.append(or_(Sanction.worker_id.in_(worker_ids),
                         _persons_named(SanctionPerson.worker_id.in_(worker_ids))))
    elif shape.term == "uscc":
        where.append(Sanction.company_id.in_(select(Company.id).where(Company.uscc == bindparam("uscc"))))
    elif shape.term == "text":
        where.append(_by_name(shape))
    return where


# The page reads its subjects, agency and decision joined under aliases, so that the filters' subqueries on the
# same tables (a company's name or code, an agency's sector, a worker's card) stay uncorrelated.
_agency, _decision, _worker, _company = (aliased(Agency), aliased(SanctionDecision), aliased(Worker),
                                         aliased(Company))
_PAGE_COLUMNS = (
    Sanction.id, Sanction.ref, Sanction.kind, Sanction.severity, Sanction.decision_date, Sanction.legal_basis,
    Sanction.publish_months, Sanction.state, Sanction.published_dt, Sanction.subject_kind,
    _agency.code, _agency.name_zh, _agency.name_en, _agency.sector, _decision.decision_no,
    _worker.card_no, _worker.name_masked, _company.uscc, _company.name)

_STATEMENTS: dict[_Shape, tuple[Prepared, Prepared]] = {}


def _statements(shape: _Shape) -> tuple[Prepared, Prepared]:
    """The page (:limit rows from :offset) and the bounded count of a shape, compiled once."""
    if shape not in _STATEMENTS:
        where = _where(shape)
        page = (select(*_PAGE_COLUMNS).select_from(Sanction)
                .join(_agency, _agency.id == Sanction.agency_id)
                .outerjoin(_decision, _decision.sanction_id == Sanction.id)
                .outerjoin(_worker, _worker.id == Sanction.worker_id)
                .outerjoin(_company, _company.id == Sanction.company_id)
                .where(*where).order_by(Sanction.decision_date.desc(), Sanction.id.desc())
                .limit(bindparam("limit")).offset(bindparam("offset")))
        bounded = select(literal(1)).select_from(Sanction).where(*where).limit(bindparam("cap")).subquery()
        _STATEMENTS[shape] = (Prepared(page), Prepared(select(func.count()).select_from(bounded)))
    return _STATEMENTS[shape]


_PERSON_STATEMENTS: dict[int, Prepared] = {}


def _persons(conn, ids: list[int]) -> dict[int, list[dict]]:
    """The persons the sanctions `ids` name (one statement per power of two of ids, padded)."""
    n = 1 << (len(ids) - 1).bit_length()
    if n not in _PERSON_STATEMENTS:
        _PERSON_STATEMENTS[n] = Prepared(
            select(SanctionPerson.sanction_id, SanctionPerson.role, SanctionPerson.name_masked, Worker.card_no)
            .outerjoin(Worker, Worker.id == SanctionPerson.worker_id)
            .where(SanctionPerson.sanction_id.in_([bindparam(f"s{i}") for i in range(n)]))
            .order_by(SanctionPerson.id))
    padded = ids + [0] * (n - len(ids))
    out: dict[int, list[dict]] = {}
    for sid, role, masked, card in _PERSON_STATEMENTS[n].rows(conn, {f"s{i}": v for i, v in enumerate(padded)}):
        out.setdefault(sid, []).append({"role": role, "role_label": labels(rules.PERSON_ROLES, role),
                                        "name_masked": masked, "card_no": card})
    return out


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


def _shape_and_params(conn, ring: KeyRing, f: Filters, today: date, want: int) -> tuple[_Shape, dict]:
    filters = tuple(name for name in FILTERS if getattr(f, name))
    params = {"today": today, **{name: getattr(f, name) for name in filters}}
    term = search_terms.read_q(f.q)
    if term.kind == "card":
        if term.typo:
            raise card_no_typo()
        return _Shape("card", filters=filters), {**params, "card_no": term.value}
    if term.kind == "uscc":
        return _Shape("uscc", filters=filters), {**params, "uscc": term.value}
    if term.kind is None:
        return _Shape(None, filters=filters), params
    plan = fragment_plan(conn, gram_counts(), term.value)
    names = name_index_candidates(ring, term.value)
    params.update({f"name{i}": v for i, v in enumerate(names)}, gram=plan.gram, pattern=plan.pattern, want=want,
                  since=search_terms.earliest_public_decision(today))
    return _Shape("text", plan.gram is not None, plan.confirm, len(names), filters), params


def search(ring: KeyRing, f: Filters, *, today: date, page: int, page_size: int) -> Page:
    """One page of the sanctions public today that match `f`, newest decision first, and the count of matches.

    A public, hot path (bench/listings.py): statements compiled once per shape (`database.Prepared`), no ORM
    objects — the page and one row more with its subjects, agencies and decision numbers in one statement, the
    persons it names in a second (and, for a long fragment whose grams' counts this process does not remember,
    one bounded count). On PostgreSQL each runs in autocommit, its own snapshot. The matches are not counted:
    a count of a fragment held by a few thousand companies walks every one. The total is exact on the last
    page; before it, it is a lower bound (this page and one more) and `more` is true.
    Each view is `views_model.listing_view`'s (tested equal).
    """
    offset = (page - 1) * page_size
    with one_statement_read(db.session) as conn:
        shape, params = _shape_and_params(conn, ring, f, today, offset + page_size + 1)
        page_statement, count_statement = _statements(shape)
        raw = page_statement.rows(conn, {**params, "limit": page_size + 1, "offset": offset})
        more = len(raw) > page_size
        raw = raw[:page_size]
        rows = [r for r in raw
                if rules.is_public(state=r[7], published=r[8] is not None, decision_date=as_date(r[4]),
                                   months=r[6], today=today)]
        persons = _persons(conn, [r[0] for r in rows]) if any(r[9] == "company" for r in rows) else {}
        objected = objections.pending_ids(conn, [r[0] for r in rows])
        if not more and not raw and page > 1:
            # Past the last page: count, up to COUNT_CAP, so the header can point back.
            counted = count_statement.rows(conn, {**params, "cap": COUNT_CAP + 1})[0][0]
            return Page([], min(counted, COUNT_CAP), counted > COUNT_CAP)
    hits = []
    for (sid, ref, kind, severity, decided, basis, months, _state, _published, subject_kind, code, name_zh, name_en,
         sector, decision_no, card_no, name_masked, uscc, company_name) in rows:
        decided = as_date(decided)
        subject = ({"kind": "worker", "card_no": card_no, "name_masked": name_masked}
                   if subject_kind == "worker" else {"kind": "company", "uscc": uscc, "name": company_name})
        view = published_view(ref=ref, kind=kind, severity=severity, decision_no=decision_no,
                              decision_date=decided, legal_basis=basis,
                              agency={"code": code, "name_zh": name_zh, "name_en": name_en, "sector": sector},
                              window_end=rules.window_end(decided, months), objection_pending=sid in objected)
        hits.append(Hit(sid, {**view, "subject": subject, "persons": persons.get(sid, [])}))
    if more:
        # At least one more: a lower bound, never a count of every match (a common fragment matches thousands).
        return Page(hits, offset + page_size + 1, True)
    return Page(hits, offset + len(raw), False)


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
