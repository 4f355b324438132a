"""The one notification interface for messages to workers and customers.

Callers say what to send and to whom; a backend delivers it. In development
the backend writes to the outbox that operators read (admin page, CLI); a city
SMS gateway plugs in as another backend. Callers never learn the text back, so
a company never sees a code meant for a worker or a customer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import delete, insert, select

from .. import clock
from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, blind_index, blind_index_candidates, seal, unseal
from ..masking import mask_phone
from ..models import new_ref
from .models import OutboxMessage

KINDS = ("activation_code", "review_code", "confirmation_code", "notice")
# Messages to customers, whose phones the registry never keeps: the outbox holds their recipient masked.
CUSTOMER_KINDS = frozenset({"review_code"})


@dataclass(frozen=True)
class Message:
    kind: str
    recipient: str  # a phone number in E.164 form
    text: str


class Backend(Protocol):
    def send_many(self, ring: KeyRing, messages: list[Message]) -> None: ...


class OutboxBackend:
    """Stores the messages (sealed) in the same transaction as the caller's change.

    A customer's phone is stored masked (138****5678): the outbox is where a
    developer reads a customer's code, and the registry keeps no customer phone.
    Each row also keeps its recipient's blind index (`index-phone`), so a
    worker's erasure finds the messages to their phone (`forget_messages_to`).
    """

    def send_many(self, ring: KeyRing, messages: list[Message]) -> None:
        rows = []
        for m in messages:
            ref = new_ref()
            recipient = mask_phone(m.recipient) if m.kind in CUSTOMER_KINDS else m.recipient
            rows.append({"ref": ref, "kind": m.kind, "created_dt": clock.now(),
                         "recipient_enc": seal(ring, recipient, aad("outbox", "recipient", ref)),
                         "recipient_idx": blind_index(ring, "phone", recipient),
                         "text_enc": seal(ring, m.text, aad("outbox", "text", ref))})
        if rows:
            # Core, batched: a service file sends one message per row.
            db.session.execute(insert(OutboxMessage.__table__), rows)


BACKENDS: dict[str, Backend] = {"outbox": OutboxBackend()}


def send(ring: KeyRing, message: Message) -> None:
    send_many(ring, [message])


def send_many(ring: KeyRing, messages: list[Message]) -> None:
    """Send each message, in the caller's transaction."""
    for m in messages:
        if m.kind not in KINDS:
            raise ValueError(f"unknown message kind {m.kind!r}")
    BACKENDS[current_app.config["NOTIFY_BACKEND"]].send_many(ring, messages)


def read_outbox(ring: KeyRing, limit: int = 100) -> list[dict]:
    """The newest messages, opened, for the operator."""
    rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).scalars()
    return [{
        "id": m.id, "kind": m.kind, "created_dt": m.created_dt,
        "recipient": unseal(ring, m.recipient_enc, aad("outbox", "recipient", m.ref)),
        "text": unseal(ring, m.text_enc, aad("outbox", "text", m.ref)),
    } for m in rows]


def forget_messages_to(ring: KeyRing, phone: str) -> int:
    """Delete every outbox message to `phone` (E.164, as stored for a worker), in the caller's transaction; how many.

    For a worker's erasure: the recipient is the phone being erased, and a code's text names the card, so a message
    kept would say whose the erased phone was. Deleted, not emptied: a message without its recipient and text
    records nothing. Found by the recipient's blind index under every key in use (a rotation may be half done);
    a message stored before the index existed (migration 0039, until `keys backfill`) is opened to compare.
    """
    gone = db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.recipient_idx.in_(blind_index_candidates(ring, "phone", phone)))).rowcount or 0
    unindexed = db.session.execute(select(OutboxMessage.id, OutboxMessage.ref, OutboxMessage.recipient_enc).where(
        OutboxMessage.recipient_idx.is_(None), OutboxMessage.kind.not_in(sorted(CUSTOMER_KINDS))))
    ids = [row_id for row_id, ref, sealed in unindexed
           if unseal(ring, sealed, aad("outbox", "recipient", ref)) == phone]
    if ids:
        gone += db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids))).rowcount or 0
    return gone


def customer_message_days() -> int:
    return current_app.config["CUSTOMER_MESSAGE_DAYS"]


def prune_customer_messages(now: datetime, days: int | None = None) -> int:
    """Delete the outbox's messages to customers older than `days` (CUSTOMER_MESSAGE_DAYS, 30): a review code
    has expired long before, and what is left is a masked phone and a service reference nobody needs. How many.

    Messages to workers stay: they are the operators' record of what a worker was sent.
    """
    cutoff = now - timedelta(days=customer_message_days() if days is None else days)
    result = db.session.execute(delete(OutboxMessage).where(OutboxMessage.kind.in_(sorted(CUSTOMER_KINDS)),
                                                            OutboxMessage.created_dt < cutoff))
    return result.rowcount or 0
