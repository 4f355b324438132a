"""The one notification interface for messages to workers and customers.

Callers say what to send and to whom; a backend delivers it. In development
the backend writes to the outbox that operators read (admin page, CLI); a city
SMS gateway plugs in as another backend. Callers never learn the text back, so
a company never sees a code meant for a worker or a customer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..keys import KeyRing
from ..keys.crypto import aad, seal, unseal
from ..models import new_ref
from .models import OutboxMessage

KINDS = ("activation_code", "review_code", "confirmation_code", "notice")


@dataclass(frozen=True)
class Message:
    kind: str
    recipient: str  # a phone number in E.164 form
    text: str


class Backend(Protocol):
    def send(self, ring: KeyRing, message: Message) -> None: ...


class OutboxBackend:
    """Stores the message (sealed) in the same transaction as the caller's change."""

    def send(self, ring: KeyRing, message: Message) -> None:
        ref = new_ref()
        db.session.add(OutboxMessage(
            ref=ref, kind=message.kind,
            recipient_enc=seal(ring, message.recipient, aad("outbox", "recipient", ref)),
            text_enc=seal(ring, message.text, aad("outbox", "text", ref))))


BACKENDS: dict[str, Backend] = {"outbox": OutboxBackend()}


def send(ring: KeyRing, message: Message) -> None:
    if message.kind not in KINDS:
        raise ValueError(f"unknown message kind {message.kind!r}")
    BACKENDS[current_app.config["NOTIFY_BACKEND"]].send(ring, message)


def read_outbox(ring: KeyRing, limit: int = 100) -> list[dict]:
    """The newest messages, opened, for the operator."""
    rows = db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)).scalars()
    return [{
        "id": m.id, "kind": m.kind, "created_dt": m.created_dt,
        "recipient": unseal(ring, m.recipient_enc, aad("outbox", "recipient", m.ref)),
        "text": unseal(ring, m.text_enc, aad("outbox", "text", m.ref)),
    } for m in rows]
