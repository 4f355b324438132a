"""The public view of a card: what a resident at the door may see, for today.

Read with a handful of Core queries (no ORM objects): this is the registry's
hottest path, a phone at the door waiting on it. The status colour is the one
pure function in workers.rules; nothing here decides anything else.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select

from ..cards import qr
from ..cards.models import Card
from ..companies.models import Company
from ..errors import ApiError
from ..extensions import db
from ..keys import KeyRing
from ..workers import cardno, rules
from ..workers.models import Employment, Worker, WorkerRecord
from ..workers.vocab import OCCUPATIONS

_WORKER = select(Worker.id, Worker.card_no, Worker.name_masked).where(Worker.card_no == bindparam("card_no"))
_EMPLOYERS = (select(Company.uscc, Company.name, Employment.occupation, Employment.start_date)
              .join(Company, Company.id == Employment.company_id)
              .where(Employment.worker_id == bindparam("worker_id"), Employment.end_date.is_(None))
              .order_by(Employment.start_date.desc(), Employment.id.desc()))
_RECORDS = (select(WorkerRecord.id, WorkerRecord.kind, WorkerRecord.result, WorkerRecord.on_date,
                   WorkerRecord.valid_until, WorkerRecord.supersedes_id, WorkerRecord.exam_passed,
                   WorkerRecord.course, WorkerRecord.hours, WorkerRecord.issuer)
            .where(WorkerRecord.worker_id == bindparam("worker_id")).order_by(WorkerRecord.id))
_LATEST_CARD = (select(Card.serial, Card.issued_on, Card.valid_until, Company.uscc, Company.name)
                .join(Company, Company.id == Card.company_id)
                .where(Card.worker_id == bindparam("worker_id")).order_by(Card.serial.desc()).limit(1))


def checked_card_no(raw: str) -> str:
    """The normalised card number, or a 4xx: a wrong check character is a probable typo, not "not found"."""
    result = cardno.validate(raw or "")
    if result.ok:
        return result.card_no
    field = {"card_no": {"zh": result.message_zh, "en": result.message_en}}
    if result.failure == "checksum":
        raise ApiError(422, "card_no_typo", result.message_zh, result.message_en, field)
    raise ApiError(422, "card_no_invalid", result.message_zh, result.message_en, field)


def card_not_found() -> ApiError:
    return ApiError(404, "card_not_found", "未找到该卡号。请核对卡号，或请对方出示服务证。",
                    "No card has this number. Check the number, or ask to see the card.",
                    {"card_no": {"zh": "未找到该卡号。", "en": "No card has this number."}})


@dataclass(frozen=True)
class Scan:
    """A scanned QR's `q`, with what the page needs to check it."""

    q: str
    public_keys: dict[str, bytes]


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


def card_view(card_no: str, today: date, *, scan: Scan | None = None) -> dict:
    """The public credit view of a card number (already checked), or ApiError 404."""
    session = db.session
    worker = session.execute(_WORKER, {"card_no": card_no}).first()
    if worker is None:
        raise card_not_found()
    wid = worker.id
    employers = session.execute(_EMPLOYERS, {"worker_id": wid}).all()
    rows = session.execute(_RECORDS, {"worker_id": wid}).all()
    latest_card = session.execute(_LATEST_CARD, {"worker_id": wid}).first()

    current_ids = {r.id for r in rules.current(rows)}
    rows = [r for r in rows if r.id in current_ids]
    recs = [rules.Rec(id=r.id, kind=r.kind, result=r.result, on_date=r.on_date, valid_until=r.valid_until,
                      supersedes_id=r.supersedes_id, exam_passed=r.exam_passed) for r in rows]
    # Sanctions (and so active serious listings) arrive with the sanctions issue.
    status = rules.card_status(recs, today, active_serious_listing=False)
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
                       "since": e.start_date.isoformat()} for e in employers],
        "identity_verified": identity is not None and identity.result == "verified",
        "health_valid_until": health.valid_until.isoformat()
        if health and health.result == "passed" and health.valid_until else None,
        "insurance_valid_until": _insurance_until(recs, today),
        "training": _training(rows),
        "background": background.result if background else None,
        "card": {"serial": latest_card.serial, "issued_on": latest_card.issued_on.isoformat(),
                 "valid_until": latest_card.valid_until.isoformat(), "company_uscc": latest_card.uscc,
                 "company_name": latest_card.name} if latest_card else None,
        # Room for what later issues add: published sanctions, the credit score and grade, reviews.
        "sanctions": [],
        "score": None,
        "grade": None,
        "reviews": None,
    }
    if scan is not None:
        verdict = qr.check(card_no, scan.q, public_keys=scan.public_keys,
                           latest_serial=latest_card.serial if latest_card else None, today=today)
        view["qr"] = {"verdict": verdict.code, "zh": verdict.zh, "en": verdict.en, "serial": verdict.serial,
                      "valid_until": verdict.valid_until.isoformat() if verdict.valid_until else None}
    return view


def scan_for(ring: KeyRing, q: str | None) -> Scan | None:
    if q is None:
        return None
    from ..cards.services import public_keys

    return Scan(q=q[:200], public_keys=public_keys(ring))
