"""Issuing cards, and the facts a card's QR is checked against.

Issuing (or reissuing) changes the worker aggregate and writes its entry;
nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ..accounts.models import Account
from ..clock import add_years
from ..companies.access import require_member
from ..companies.models import Company
from ..errors import ApiError, not_found
from ..extensions import db
from ..keys import KeyRing
from ..log.actions import Action
from ..log.services import Recorded, lock_head, record_change
from ..workers.models import Worker, WorkerPhoto
from ..workers.services import active_employment, status_of
from . import qr
from .models import Card

# A card is valid for a year from issue; the worker's status is read live at every scan anyway.
CARD_VALID_YEARS = 1


@dataclass(frozen=True)
class Issued:
    card: Card
    recorded: Recorded


def latest_card(worker_id: int) -> Card | None:
    return db.session.execute(
        select(Card).where(Card.worker_id == worker_id).order_by(Card.serial.desc()).limit(1)
    ).scalar_one_or_none()


def latest_serial(worker_id: int) -> int | None:
    return db.session.execute(select(func.max(Card.serial)).where(Card.worker_id == worker_id)).scalar_one()


def is_void(worker: Worker, card: Card) -> bool:
    """Whether the card is void: its issuing company ended the employment (`voided_on`), or does not employ
    the worker today (a card from before voiding was recorded). A void card is never genuine and never prints."""
    return card.voided_on is not None or not any(e.active and e.company_id == card.company_id
                                                 for e in worker.employments)


def printable_card(worker: Worker, today: date) -> Card:
    """The worker's latest card, to print; none for a red worker (as issuing and bulk printing refuse) and
    none that is void (the current employer issues a new one)."""
    card = latest_card(worker.id)
    if card is None:
        raise not_found("card", "服务证")
    if status_of(worker, today).colour == "red":
        raise _refused_red()
    if is_void(worker, card):
        raise ApiError(409, "card_void", "该服务证已作废（发证企业已不再雇用此人），请发放新证后再打印。",
                       "The card is void (its issuing company no longer employs this person): issue a new card "
                       "to print.")
    return card


def _refused_red() -> ApiError:
    return ApiError(409, "card_refused_red", "该人员状态为红色，不能发放服务证。",
                    "The worker's status is red: no card can be issued.")


def issue_card(ring: KeyRing, *, account: Account, company: Company, worker: Worker, today: date) -> Issued:
    """Issue the worker's next card (serial 1, or a reissue that replaces every earlier serial).

    Only a current employer issues a card, and never to a worker whose status
    is red: the card is what a resident trusts at the door.
    """
    require_member(account, company)
    if active_employment(worker, company) is None:
        raise not_found("worker", "从业人员")
    if status_of(worker, today).colour == "red":
        raise _refused_red()
    # The head's lock first: two reissues at once then number their serials one after the other.
    lock_head()
    serial = (latest_serial(worker.id) or 0) + 1
    key = ring.current("card")
    card = Card(worker_id=worker.id, serial=serial, company_id=company.id, issued_on=today,
                valid_until=add_years(today, CARD_VALID_YEARS), key_id=key.id, issued_by=account.ref)
    db.session.add(card)
    db.session.flush()
    return Issued(card, record_change(ring, actor=account.ref, action=Action.CARD_ISSUE, aggregate=worker))


def card_summary(worker: Worker, today: date) -> dict:
    """What the worker's pages say about the card and the photo (never the photo itself)."""
    latest = latest_card(worker.id)
    photo = db.session.execute(
        select(WorkerPhoto.consent_on, WorkerPhoto.created_dt).where(WorkerPhoto.worker_id == worker.id)).first()
    expired = latest is not None and latest.valid_until < today
    void = latest is not None and is_void(worker, latest)
    return {
        "latest": latest,
        "expired": expired,
        "void": void,
        # As current_card, from the card already read (not a second query for it).
        "current": latest is not None and not expired and not void,
        "red": status_of(worker, today).colour == "red",
        "photo": None if photo is None else {"consent_on": photo.consent_on, "uploaded": photo.created_dt},
    }


def current_card(worker: Worker, today: date) -> Card | None:
    """The worker's latest card if it still stands: not expired and not void (its issuer employs the worker today).

    A bulk print reuses such a card instead of replacing the one the worker
    carries; a card naming a former employer is due for a new one.
    """
    card = latest_card(worker.id)
    if card is None or card.valid_until < today or is_void(worker, card):
        return None
    return card


def public_keys(ring: KeyRing) -> dict[str, bytes]:
    """Every card key that ever signed, current or retired: key id → raw public key."""
    return {k.id: k.public_bytes for k in ring.keys("card")}


def keys_view(ring: KeyRing) -> list[dict]:
    """The published card keys, current first."""
    return [{"key_id": k.id, "algorithm": "Ed25519", "public_key": qr.b64url(k.public_bytes), "state": k.state,
             "created": k.created} for k in ring.keys("card")]


def qr_payload(ring: KeyRing, worker: Worker, card: Card, public_url: str) -> str:
    """The URL the card's QR code carries, signed with the key the card names."""
    key = ring.get("card", card.key_id)
    return qr.qr_url(public_url, worker.card_no, qr.make_q(key.private_key, worker.card_no, card.serial,
                                                          card.valid_until))
