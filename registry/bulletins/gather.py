"""What a bulletin lists, read from the database: `gather(period, …)` fills a `content.Content`.

Every date here is a Shanghai date, as everywhere in the registry. A sanction's **first public day** is the later
of the Shanghai date of its publication (`published_dt`, stored in UTC) and its decision date: the first day
`rules.is_public` would say yes had one asked every day since it was published. Publication always falls within
the window (`services.publish_sanction` refuses it after), so the first public day is normally the publication
day; a later correction of the decision date or the window can move it, or put it past the window's last day —
then the sanction was never public under its current values and no section lists it.

The sections, for a period P (first day `P.first`, last day `P.last`):

- `full`: every sanction public on P's last day — `rules.is_public(…, today=P.last)` — that had been published by
  the end of that day (`published_dt < P.ends_at`). The second condition is what `is_public` cannot say: it is
  asked about today, and a sanction published after P ended was not public on P's last day even though its
  decision date and window would say so. With it a bulletin gathered again later lists the same sanctions (with
  any corrections made since). Equivalently: first public day ≤ P.last ≤ window's last day.
- `published`: every sanction whose first public day falls within P. This, not "published_dt within P", is the
  exact definition: each sanction ever public is in the `published` section of exactly one period of a kind, and
  `full` of P is `full` of the period before, less those whose window's last day came before P's last day, plus
  those `published` in P whose window reaches P's last day. A sanction published and ended within P is in
  `published` and `ended`, not `full`.
- `ended`: every sanction that was public (first public day on or before its window's last day) and whose
  window's last day falls within P: public on that day, public no more after P. A window ending on P's last day is
  in `full` (it is public that day) and in `ended` (it is not the next day); the next period's change files remove
  it.

Each section is ordered as the public search orders its results: newest decision first, then newest record.

`Stats` are over `full`: by the issuing agency's sector, by district, kind and severity (every known sector,
kind and severity present, with 0 when none; districts only where some record is, "unknown" last), and the trend:
for each of the twelve months up to and including the month of P's last day, how many sanctions had their first
public day in that month, counting only days up to P's last day (a week's bulletin does not count the rest of its
month, which had not happened when the period ended).

A record's district is a company subject's own, or a worker subject's current employer's (`Employment.active`,
the public search's district rule; with several, the latest started) — current when gathered, as the public
search shows it — or None ("unknown" in the figures).

Only what the public views show is read: kind, severity, decision number and date, basis, agency, window, the
subject (a worker by card number and stored masked name, a company by USCC and name) and the persons by role,
stored masked name and card number; the labels come from `public.labels`/`published_view`, as the search's. No
sealed column is read, and nothing is masked here (names are masked once, when stored).

A record's `objection_pending` is whether an objection to the sanction was pending (received or accepted,
`objection_rules.PENDING_STATES`) when the bulletin was **made** — not at the period's end: the bulletin is a
snapshot of the records as they stand when it is made, as the public views show them then. Filing or answering an
objection later does not make the bulletin again (`follow.py` follows repairs, withdrawals and corrections only);
the next bulletin carries the mark as it then stands, and its change files list the record as changed.

Eight statements whatever the number of records (a month can list 10,000 and more): the sanctions with their
agencies, decisions and subjects; the persons they name; their worker subjects' employers' districts; which of
them have an objection pending; the publication days of the twelve months for the trend; the red list's firms and
their commendations in force; the verified firms counted by kept grade.

`red_list` is the red list (credit/red_list.py) on the Shanghai day the bulletin is **made**, and `grades` how
many verified firms held each kept grade then: like `objection_pending`, a snapshot of the registry as it stood
when the bulletin was made (the red list has no history to read a past day from). Firms only, public facts only.

A bulletin is made after its period ends, so nothing published later can enter any of the sanctions' statements
(each is bounded by `P.ends_at`); only a correction (or an objection) made while they run could be seen by one
statement and not another.
"""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, or_, select

from ..accounts.models import SECTORS, Agency
from ..clock import SHANGHAI, add_months, local_date
from ..companies.models import Company
from ..credit import red_list as red_list_mod
from ..extensions import db
from ..sanctions import rules
from ..sanctions.models import Sanction, SanctionDecision, SanctionObjection, SanctionPerson
from ..sanctions.objection_rules import PENDING_STATES
from ..sanctions.public import labels, published_view
from ..workers.models import Employment, Worker
from .content import Commended, Content, Person, Record, RedFirm, Stats
from .periods import Period

PUBLIC_STATES = ("published", "expired")
UNKNOWN = "unknown"
TREND_MONTHS = 12
# The grades the distribution chart shows, highest first (credit/versions/*.toml), each even when no firm holds it.
GRADES = ("AAA", "AA", "A", "B", "C")


def first_public_day(published_dt: datetime | None, decision_date: date | None, months: int | None) -> date | None:
    """The first day a sanction was public under its current values, or None if it never was (see above)."""
    end = rules.window_end(decision_date, months)
    if published_dt is None or end is None:
        return None
    first = max(local_date(published_dt), decision_date)
    return first if first <= end else None


def _candidates(first: date, last: date, ends_at: datetime):
    """SQL: published by `ends_at`, decided by `last`, window reaching `first` — a superset of the sanctions
    whose first public day is on or before `last` and whose window's last day is on or after `first`; each row is
    then judged exactly in Python."""
    return and_(Sanction.state.in_(PUBLIC_STATES), Sanction.published_dt.is_not(None),
                Sanction.published_dt < ends_at.astimezone(UTC), Sanction.decision_date <= last,
                Sanction.public_until >= first)


def _months(last: date) -> list[tuple[str, date]]:
    """The twelve months up to `last`'s, oldest first: (key "YYYY-MM", first day)."""
    start = last.replace(day=1)
    firsts = [add_months(start, -n) for n in range(TREND_MONTHS - 1, -1, -1)]
    return [(f"{d.year:04d}-{d.month:02d}", d) for d in firsts]


def _counts(values, known=()) -> dict[str, int]:
    counted = Counter(values)
    out = {k: counted.pop(k, 0) for k in known}
    rest = sorted(k for k in counted if k != UNKNOWN)
    out.update((k, counted[k]) for k in rest)
    if UNKNOWN in counted:
        out[UNKNOWN] = counted[UNKNOWN]
    return out


def _stats(full: list[Record], trend: list[tuple[str, int]]) -> Stats:
    return Stats(
        by_sector=_counts((r.sector for r in full), SECTORS),
        by_district=_counts(r.district or UNKNOWN for r in full),
        by_kind=_counts((r.kind for r in full), rules.KINDS),
        by_severity=_counts((r.severity for r in full), rules.SEVERITIES),
        trend=tuple(trend))


def _trend(period: Period) -> list[tuple[str, int]]:
    months = _months(period.last)
    since = months[0][1]
    since_at = datetime.combine(since, time(0), tzinfo=SHANGHAI).astimezone(UTC)
    rows = db.session.execute(
        select(Sanction.published_dt, Sanction.decision_date, Sanction.publish_months)
        .where(_candidates(since, period.last, period.ends_at),
               or_(Sanction.published_dt >= since_at, Sanction.decision_date >= since))).all()
    counted: Counter[str] = Counter()
    for published_dt, decided, months_ in rows:
        first = first_public_day(published_dt, decided, months_)
        if first is not None and since <= first <= period.last:
            counted[f"{first.year:04d}-{first.month:02d}"] += 1
    return [(key, counted[key]) for key, _ in months]


def _persons(where) -> dict[int, list[Person]]:
    rows = db.session.execute(
        select(SanctionPerson.sanction_id, SanctionPerson.role, SanctionPerson.name_masked, Worker.card_no)
        .outerjoin(Worker, Worker.id == SanctionPerson.worker_id)
        .where(SanctionPerson.sanction_id.in_(select(Sanction.id).where(where)))
        .order_by(SanctionPerson.sanction_id, SanctionPerson.id)).all()
    out: dict[int, list[Person]] = {}
    for sid, role, masked, card_no in rows:
        out.setdefault(sid, []).append(Person(role=role, role_zh=labels(rules.PERSON_ROLES, role)["zh"],
                                              name_masked=masked, card_no=card_no))
    return out


def _employer_districts(where) -> dict[int, str]:
    """Each worker subject's current employer's district (the latest started of its active employments)."""
    rows = db.session.execute(
        select(Employment.worker_id, Company.district).join(Company, Company.id == Employment.company_id)
        .where(Employment.active,
               Employment.worker_id.in_(select(Sanction.worker_id).where(where, Sanction.worker_id.is_not(None))))
        .order_by(Employment.worker_id, Employment.start_date, Employment.id)).all()
    return dict(rows)  # the last one per worker wins: the latest started


def _objections_pending(where) -> set[int]:
    """The ids of the candidate sanctions with an objection pending now."""
    o = SanctionObjection.__table__.c
    return set(db.session.execute(
        select(o.sanction_id).where(o.state.in_(PENDING_STATES),
                                    o.sanction_id.in_(select(Sanction.id).where(where))).distinct()).scalars())


def gather(period: Period, *, version: int, issuer_zh: str, issuer_en: str, made_at: datetime,
           checkpoint_size: int, checkpoint_root: str, verify_url: str) -> Content:
    """The content of `period`'s bulletin, version `version`, made at `made_at` (after the period ended)."""
    if made_at.tzinfo is None or made_at.utcoffset() is None:
        raise ValueError(f"made_at must be timezone-aware, not the naive {made_at.isoformat()}")
    if made_at < period.ends_at:
        raise ValueError(f"period {period.key} ends at {period.ends_at.isoformat()}: its bulletin cannot be made"
                         f" at {made_at.isoformat()}, before what it lists is settled")
    where = _candidates(period.first, period.last, period.ends_at)
    rows = db.session.execute(
        select(Sanction.id, Sanction.ref, Sanction.subject_kind, Sanction.worker_id, Sanction.kind,
               Sanction.severity, Sanction.decision_date, Sanction.legal_basis, Sanction.publish_months,
               Sanction.state, Sanction.published_dt, Agency.code, Agency.name_zh, Agency.name_en, Agency.sector,
               SanctionDecision.decision_no, Worker.card_no, Worker.name_masked, Company.uscc, Company.name,
               Company.district)
        .select_from(Sanction)
        .join(Agency, Agency.id == Sanction.agency_id)
        .outerjoin(SanctionDecision, SanctionDecision.sanction_id == Sanction.id)
        .outerjoin(Worker, Worker.id == Sanction.worker_id)
        .outerjoin(Company, Company.id == Sanction.company_id)
        .where(where).order_by(Sanction.decision_date.desc(), Sanction.id.desc())).all()
    persons = _persons(where)
    districts = _employer_districts(where)
    pending = _objections_pending(where)

    published: list[Record] = []
    ended: list[Record] = []
    full: list[Record] = []
    for r in rows:
        first = first_public_day(r.published_dt, r.decision_date, r.publish_months)
        if first is None or first > period.last:
            continue
        view = published_view(ref=r.ref, kind=r.kind, severity=r.severity, decision_no=r.decision_no,
                              decision_date=r.decision_date, legal_basis=r.legal_basis,
                              agency={"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                                      "sector": r.sector},
                              window_end=rules.window_end(r.decision_date, r.publish_months))
        worker = r.subject_kind == "worker"
        record = Record(
            ref=view["ref"], subject_kind=r.subject_kind,
            subject_id=r.card_no if worker else r.uscc,
            subject_name=r.name_masked if worker else r.name,
            district=districts.get(r.worker_id) if worker else r.district,
            kind=view["kind"], kind_zh=view["kind_label"]["zh"],
            severity=view["severity"], severity_zh=view["severity_label"]["zh"],
            decision_no=view["decision_no"], decision_date=view["decision_date"],
            legal_basis=view["legal_basis"], agency_code=r.code, agency_zh=r.name_zh,
            sector=r.sector or UNKNOWN, window_end=view["window_end"],
            persons=tuple(persons.get(r.id, ())), objection_pending=r.id in pending)
        if period.first <= first:
            published.append(record)
        if period.first <= record.window_end <= period.last:
            ended.append(record)
        public_then = rules.is_public(state=r.state, published=True, decision_date=r.decision_date,
                                      months=r.publish_months, today=period.last)
        if public_then:  # and published by the period's end: `first` ≤ P.last above
            full.append(record)
    made_on = local_date(made_at)
    return Content(period=period, version=version, issuer_zh=issuer_zh, issuer_en=issuer_en, made_at=made_at,
                   checkpoint_size=checkpoint_size, checkpoint_root=checkpoint_root, verify_url=verify_url,
                   published=tuple(published), ended=tuple(ended), full=tuple(full),
                   stats=_stats(full, _trend(period)), red_list=red_firms(made_on), grades=grades())


def red_firms(day: date) -> tuple[RedFirm, ...]:
    """The whole red list on `day`, in its own order (credit/red_list.py): firms only, public facts only."""
    rows = red_list_mod.red_list(red_list_mod.Filters(), today=day, page_size=None).rows
    return tuple(RedFirm(uscc=r["uscc"], name=r["name"], sectors=tuple(r["sectors"]), district=r["district"],
                         grade=r["grade"], score=r["score"], reasons=tuple(r["reasons"]),
                         commendations=tuple(Commended(title=c["title"], basis=c["basis"],
                                                       agency_zh=c["agency"]["name_zh"],
                                                       commended_on=c["commended_on"],
                                                       valid_until=c["valid_until"]) for c in r["commendations"]))
                 for r in rows)


def grades() -> tuple[tuple[str, int], ...]:
    """How many verified firms hold each grade now, every grade of GRADES shown (0 when none)."""
    counted = red_list_mod.grade_counts()
    return tuple((g, counted.get(g, 0)) for g in GRADES) + tuple(
        sorted((g, n) for g, n in counted.items() if g not in GRADES))
