"""The public view of a card: what a resident at the door may see, for today.

Read with one statement (no ORM objects): this is the registry's hottest
path, a phone at the door waiting on it (bench/lookup.py). The status colour
is the one pure function in workers.rules, whether a sanction is public or
binds today the ones in sanctions.rules; nothing here decides anything else.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    Numeric,
    String,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)

from ..accounts.models import Agency
from ..cards import qr
from ..cards.models import Card
from ..companies.models import Company
from ..complaints import public as complaints_public
from ..complaints.models import Complaint
from ..credit.score_models import CreditScore
from ..database import Prepared, as_date, one_statement_read
from ..errors import ApiError
from ..extensions import db
from ..keys import KeyRing
from ..sanctions import access as sanction_access
from ..sanctions import objection_rules
from ..sanctions import rules as sanction_rules
from ..sanctions.models import Sanction, SanctionDecision, SanctionObjection
from ..sanctions.public import published_view
from ..trace import review_rules
from ..trace.models import ReviewObjection, ServiceReview
from ..trace.reviews import summary_from_rows
from ..workers import rules
from ..workers.models import Employment, Worker, WorkerRecord
from ..workers.vocab import OCCUPATIONS
from . import advice


def _one_query():
    """Everything the view reads, in one round trip: UNION ALL of the worker, its current
    employers, its records, its newest card, its candidate sanctions, its reviews' summary, its substantiated
    complaints and its kept credit score, as tagged rows of one shape.

    Five separate queries cost five round trips; one statement is also its own
    consistent snapshot. The columns are typed in the first SELECT, which types
    the whole union.
    """
    wid = select(Worker.id).where(Worker.card_no == bindparam("card_no")).scalar_subquery()
    s, d, i = String(), Date(), Integer()

    def row(tag, *, id=None, s1=None, s2=None, s3=None, s4=None, d1=None, d2=None, i1=None, b1=None, n1=None,
            s5=None, s6=None, s7=None, s8=None, s9=None, s10=None):
        def col(value, type_):
            return value if value is not None else cast(null(), type_)

        return [literal(tag, s).label("tag"), col(id, i).label("id"), col(s1, s).label("s1"), col(s2, s).label("s2"),
                col(s3, s).label("s3"), col(s4, s).label("s4"), col(d1, d).label("d1"), col(d2, d).label("d2"),
                col(i1, i).label("i1"), col(b1, Boolean()).label("b1"), col(n1, Numeric(6, 1)).label("n1"),
                col(s5, s).label("s5"), col(s6, s).label("s6"), col(s7, s).label("s7"), col(s8, s).label("s8"),
                col(s9, s).label("s9"), col(s10, s).label("s10")]

    worker = select(*row("w", id=Worker.id, s1=Worker.card_no, s2=Worker.name_masked)).where(
        Worker.card_no == bindparam("card_no"))
    employers = (select(*row("e", id=Employment.id, s1=Company.uscc, s2=Company.name, s3=Employment.occupation,
                             s4=Company.service_phone, d1=Employment.start_date))
                 .join(Company, Company.id == Employment.company_id)
                 .where(Employment.worker_id == wid, Employment.active))
    records = select(*row("r", id=WorkerRecord.id, s1=WorkerRecord.kind, s2=WorkerRecord.result,
                          s3=WorkerRecord.course, s4=WorkerRecord.issuer, d1=WorkerRecord.on_date,
                          d2=WorkerRecord.valid_until, i1=WorkerRecord.supersedes_id, b1=WorkerRecord.exam_passed,
                          n1=WorkerRecord.hours)).where(WorkerRecord.worker_id == wid)
    newest = select(func.max(Card.serial)).where(Card.worker_id == wid).scalar_subquery()
    card = (select(*row("c", id=Card.id, s1=Company.uscc, s2=Company.name, d1=Card.issued_on, d2=Card.valid_until,
                        i1=Card.serial, b1=Card.voided_on.is_not(None)))
            .join(Company, Company.id == Card.company_id)
            .where(Card.worker_id == wid, Card.serial == newest))
    # Sanctions that may be public or bind today: a superset (states, decided within the longest window, read
    # through ix_sanctions_worker); Python decides which are public or binding by the rules. Usually none.
    candidate_states = [literal(x, s) for x in ("approved", "published", "expired")]  # fixed parameters: an expanding
    # IN list is rendered only on SQLAlchemy's execution path, which _view_rows skips.
    # d2: the day the pending objection (if any) was filed — the public view's `objection_pending`, in the same trip.
    pending_states = [literal(x, s) for x in objection_rules.PENDING_STATES]
    objected_on = (select(func.min(SanctionObjection.filed_on))
                   .where(SanctionObjection.sanction_id == Sanction.id, SanctionObjection.state.in_(pending_states))
                   .scalar_subquery())
    sanctions = (select(*row("s", id=Sanction.id, s1=Sanction.ref, s2=Sanction.kind, s3=Sanction.severity,
                             s4=Sanction.state, s5=SanctionDecision.decision_no, s6=Sanction.legal_basis,
                             s7=Agency.code, s8=Agency.name_zh, s9=Agency.name_en, s10=Agency.sector,
                             d1=Sanction.decision_date, d2=objected_on, i1=Sanction.publish_months,
                             b1=Sanction.published_dt.is_not(None)))
                 .join(Agency, Agency.id == Sanction.agency_id)
                 .outerjoin(SanctionDecision, SanctionDecision.sanction_id == Sanction.id)
                 .where(Sanction.worker_id == wid, Sanction.state.in_(candidate_states),
                        Sanction.decision_date <= bindparam("today", type_=d),
                        Sanction.decision_date >= bindparam("since", type_=d)))
    # Reviews: one count-and-sum row, and the tags of the newest reviews (trace/review_rules.py summarises them),
    # both read through ix_service_reviews_worker_id.
    # A review withdrawn by an upheld objection counts nowhere; b1: a shown review has a pending objection.
    shown = ServiceReview.withdrawn_dt.is_(None)
    # (Its own alias of the reviews: not correlated to the count's rows.)
    # (A table alias, not an ORM one: this statement is built at import, before every mapper is configured.)
    objected = ServiceReview.__table__.alias("objected_reviews").c
    review_pending = exists().where(objected.worker_id == wid, objected.withdrawn_dt.is_(None),
                                    ReviewObjection.service_id == objected.service_id,
                                    ReviewObjection.state.in_(pending_states))
    review_totals = select(*row("v", id=func.count(), i1=func.sum(ServiceReview.rating),
                                b1=review_pending)).where(ServiceReview.worker_id == wid, shown)
    newest_reviews = (select(ServiceReview.tags).where(ServiceReview.worker_id == wid, shown)
                      .order_by(ServiceReview.reviewed_dt.desc(), ServiceReview.id.desc())
                      .limit(review_rules.RECENT_REVIEWS).subquery())
    review_tags = select(*row("g", s1=cast(newest_reviews.c.tags, s)))
    # --- complaints: only substantiated ones are public (complaints/public.py); usually none. ---
    # b1: a pending objection (异议) to it — the public view's `objection_pending`, in the same trip.
    complaints = (select(*row("k", id=Complaint.id, s1=Complaint.category, s7=Agency.code, s8=Agency.name_zh,
                              s9=Agency.name_en, d1=Complaint.concluded_on,
                              b1=complaints_public.pending_objection(pending_states)))
                  .join(Agency, Agency.id == Complaint.concluded_agency_id)
                  .where(Complaint.worker_id == wid, Complaint.subject_kind == literal("worker", s),
                         Complaint.state == literal("substantiated", s)))
    # --- end of complaints ---
    # The worker's kept credit score (credit/score_models.py), by its primary key; no row until one is computed.
    score = select(*row("x", i1=CreditScore.points, s1=CreditScore.rules_version)).where(
        CreditScore.subject_kind == literal("worker", s), CreditScore.subject_id == wid)
    return union_all(worker, employers, records, card, sanctions, review_totals, review_tags, complaints, score)


_VIEW_QUERY = Prepared(_one_query())


def _view_rows(conn, card_no: str, today: date) -> list[tuple]:
    """The view's rows: its one statement, compiled once (`database.Prepared`)."""
    since = sanction_access.earliest_binding_decision(today)
    return _VIEW_QUERY.rows(conn, {"card_no": card_no, "today": today, "since": since})


@dataclass(frozen=True)
class _Employer:
    uscc: str
    name: str
    occupation: str
    start_date: date
    id: int
    service_phone: str | None


@dataclass(frozen=True)
class _Record:
    id: int
    kind: str
    result: str | None
    course: str | None
    issuer: str | None
    on_date: date
    valid_until: date | None
    supersedes_id: int | None
    exam_passed: bool | None
    hours: Decimal | None


@dataclass(frozen=True)
class _WorkerRow:
    card_no: str
    name_masked: str


@dataclass(frozen=True)
class _Sanction:
    id: int
    ref: str
    kind: str
    severity: str
    state: str
    decision_no: str | None
    legal_basis: str
    agency: dict
    decision_date: date
    months: int | None
    published: bool
    objection_pending: bool = False

    def in_effect(self, today: date) -> bool:
        return sanction_rules.is_in_effect(kind=self.kind, state=self.state, decision_date=self.decision_date,
                                           months=self.months, today=today)

    def public(self, today: date) -> bool:
        return sanction_rules.is_public(state=self.state, published=self.published, decision_date=self.decision_date,
                                        months=self.months, today=today)

    def view(self) -> dict:
        end = sanction_rules.window_end(self.decision_date, self.months)
        view = published_view(ref=self.ref, kind=self.kind, severity=self.severity, decision_no=self.decision_no,
                              decision_date=self.decision_date, legal_basis=self.legal_basis, agency=self.agency,
                              window_end=end, objection_pending=self.objection_pending)
        # The answer is JSON written directly (see api.py): dates as ISO text.
        return {**view, "decision_date": self.decision_date.isoformat(), "window_end": end.isoformat() if end else None}


@dataclass(frozen=True)
class _Card:
    serial: int
    issued_on: date
    valid_until: date
    uscc: str
    name: str
    voided: bool


def card_not_found() -> ApiError:
    return ApiError(404, "card_not_found", "未找到该卡号。请核对卡号，或请对方出示服务证。",
                    "No card has this number. Check the number, or ask to see the card.",
                    {"card_no": {"zh": "未找到该卡号。", "en": "No card has this number."}})


@dataclass(frozen=True)
class Scan:
    """A scanned QR's `q`, with what the page needs to check it."""

    q: str
    public_keys: dict[str, bytes]
    opened_at: str  # the URL (or origin) the request arrived at
    official_url: str  # PUBLIC_URL


def _training(rows) -> dict:
    training = [r for r in rows if r.kind == "training"]
    hours = sum((r.hours or Decimal(0) for r in training), Decimal(0))
    latest = max(training, key=lambda r: (r.on_date, r.id), default=None)
    return {
        "courses": len(training),
        "hours": f"{hours:.1f}",
        "exams_passed": sum(1 for r in training if r.exam_passed),
        "latest": {"course": latest.course, "on_date": latest.on_date.isoformat(), "issuer": latest.issuer}
        if latest else None,
    }


def _insurance_until(recs: list[rules.Rec], today: date) -> str | None:
    """The end of the cover in force today, else of the latest policy."""
    policies = [r for r in rules.current(recs) if r.kind == "insurance"]
    in_force = [r for r in policies if rules.valid_on(r, today)]
    pick = max(in_force or policies, key=lambda r: (r.valid_until or date.min, r.id), default=None)
    return pick.valid_until.isoformat() if pick and pick.valid_until else None


def card_view(card_no: str, today: date, *, scan: Scan | None = None, hotline: str | None = None) -> dict:
    """The public credit view of a card number (already checked), or ApiError 404.

    It says what to do, as the page does: `advice` for the colour, or, when a
    scanned QR is anything but genuine, `instruction` and no advice (apps then
    show no colour). `hotline` is the regulator's public line.
    """
    # One statement: its own snapshot; Core rows, without the ORM's per-statement work.
    worker, employers, rows, latest_card, sanction_rows, review_rows = None, [], [], None, [], []
    review_pending = False
    complaint_items = []
    score, score_version = None, None
    with one_statement_read(db.session) as conn:
        result = _view_rows(conn, card_no, today)
    for tag, id_, s1, s2, s3, s4, d1, d2, i1, b1, n1, s5, s6, s7, s8, s9, s10 in result:
        if tag == "r":
            rows.append(_Record(id_, s1, s2, s3, s4, as_date(d1), as_date(d2), i1, None if b1 is None else bool(b1),
                                None if n1 is None else Decimal(str(n1))))
        elif tag == "e":
            employers.append(_Employer(s1, s2, s3, as_date(d1), id_, s4))
        elif tag == "c":
            latest_card = _Card(i1, as_date(d1), as_date(d2), s1, s2, bool(b1))
        elif tag == "v":
            review_rows.append(("n", id_, i1, None))
            review_pending = bool(b1)
        elif tag == "g":
            review_rows.append(("t", None, None, s1))
        elif tag == "s":
            sanction_rows.append(_Sanction(id_, s1, s2, s3, s4, s5, s6,
                                           {"code": s7, "name_zh": s8, "name_en": s9, "sector": s10}, as_date(d1), i1,
                                           bool(b1), d2 is not None))
        elif tag == "k":
            complaint_items.append(complaints_public.public_item(
                category=s1, concluded_on=as_date(d1), agency={"code": s7, "name_zh": s8, "name_en": s9},
                objection_pending=bool(b1)))
        elif tag == "x":
            score, score_version = i1, s1
        else:
            worker = _WorkerRow(s1, s2)
    if worker is None:
        raise card_not_found()
    # Newest employment first; records in the order they were made.
    employers.sort(key=lambda e: (e.start_date, e.id), reverse=True)
    rows.sort(key=lambda r: r.id)

    current_ids = {r.id for r in rules.current(rows)}
    rows = [r for r in rows if r.id in current_ids]
    recs = [rules.Rec(id=r.id, kind=r.kind, result=r.result, on_date=r.on_date, valid_until=r.valid_until,
                      supersedes_id=r.supersedes_id, exam_passed=r.exam_passed) for r in rows]
    listed = any(x.kind == "serious_list" and x.in_effect(today) for x in sanction_rows)
    status = rules.card_status(recs, today, employed=bool(employers), active_serious_listing=listed)
    # The sanctions public today, newest decision first (as sanctions.services.published_for orders them).
    published = sorted((x for x in sanction_rows if x.public(today)), key=lambda x: (x.decision_date, x.id),
                       reverse=True)
    # As cards.services.is_void: voided when its issuer ended the employment, or its issuer is no current employer.
    card_void = latest_card is not None and (latest_card.voided or latest_card.uscc not in {e.uscc for e in employers})
    identity = rules.latest(recs, "identity")
    health = rules.latest(recs, "health")
    background = rules.latest(recs, "background")
    view = {
        "card_no": worker.card_no,
        "name_masked": worker.name_masked,
        "as_of": today.isoformat(),
        "status": {"colour": status.colour,
                   "reasons": [{"code": r.code, "zh": r.zh, "en": r.en} for r in status.reasons]},
        "employed": bool(employers),
        "employers": [{"uscc": e.uscc, "name": e.name, "occupation": e.occupation,
                       "occupation_label": {"zh": OCCUPATIONS[e.occupation][0], "en": OCCUPATIONS[e.occupation][1]},
                       "since": e.start_date.isoformat(), "service_phone": e.service_phone} for e in employers],
        "identity_verified": identity is not None and identity.result == "verified",
        "health_valid_until": health.valid_until.isoformat()
        if health and health.result == "passed" and health.valid_until else None,
        "insurance_valid_until": _insurance_until(recs, today),
        "training": _training(rows),
        "background": background.result if background else None,
        "card": {"serial": latest_card.serial, "issued_on": latest_card.issued_on.isoformat(),
                 "valid_until": latest_card.valid_until.isoformat(), "company_uscc": latest_card.uscc,
                 "company_name": latest_card.name, "void": card_void} if latest_card else None,
        "sanctions": [x.view() for x in published],
        "complaints": complaints_public.summary(complaint_items),
        # The kept credit score (null until one is computed: nothing is computed on read); a worker has no grade.
        "score": score,
        "grade": None,
        "score_rules_version": score_version,
        "reviews": {**summary_from_rows(review_rows), "objection_pending": review_pending},
        "regulator_hotline": hotline,
    }
    verdict = None
    if scan is not None:
        verdict = qr.check(card_no, scan.q, public_keys=scan.public_keys,
                           latest_serial=latest_card.serial if latest_card else None, latest_void=card_void,
                           today=today,
                           opened_at=scan.opened_at, official_url=scan.official_url)
        view["qr"] = {"verdict": verdict.code, "zh": verdict.zh, "en": verdict.en, "serial": verdict.serial,
                      "valid_until": verdict.valid_until.isoformat() if verdict.valid_until else None}
    door = advice.at_the_door(status.colour, verdict.code if verdict else None)
    view["show_colour"] = door.show_colour
    view["advice"] = {"zh": door.advice[0], "en": door.advice[1]} if door.advice else None
    view["instruction"] = ({"zh": door.instruction[0], "en": door.instruction[1], "emergency": advice.EMERGENCY}
                           if door.instruction else None)
    return view


def employer_contacts(card_no: str) -> list[dict]:
    """The card's current employers with their public service phones, newest first (the report-thanks page)."""
    wid = select(Worker.id).where(Worker.card_no == card_no).scalar_subquery()
    rows = db.session.execute(
        select(Company.uscc, Company.name, Company.service_phone)
        .join(Employment, Employment.company_id == Company.id)
        .where(Employment.worker_id == wid, Employment.active)
        .order_by(Employment.start_date.desc(), Employment.id.desc())).all()
    return [{"uscc": uscc, "name": name, "service_phone": phone} for uscc, name, phone in rows]


def scan_for(ring: KeyRing, q: str | None, *, opened_at: str, official_url: str) -> Scan | None:
    """What checking a scanned `q` needs; opened_at is the request's host URL, official_url the PUBLIC_URL."""
    if q is None:
        return None
    from ..cards.services import public_keys

    return Scan(q=q[:200], public_keys=public_keys(ring), opened_at=opened_at, official_url=official_url)
