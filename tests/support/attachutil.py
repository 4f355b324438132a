"""Helpers for attachments awaiting the worker's confirmation: the code as the worker's phone received it."""
from __future__ import annotations

import re

CONFIRM_RE = re.compile(r"确认码 ([0-9A-Z]{4})-([0-9A-Z]{4})")


def confirmation_texts(factory, phone: str) -> list[str]:
    """Every confirmation-code text sent to `phone` (E.164 or 11 digits), newest first, from the outbox."""
    from registry.notify.services import read_outbox

    recipient = phone if phone.startswith("+") else "+86" + phone
    return [m["text"] for m in read_outbox(factory.ring, limit=500)
            if m["kind"] == "confirmation_code" and m["recipient"] == recipient]


def last_confirmation_code(factory, phone: str) -> str:
    texts = confirmation_texts(factory, phone)
    assert texts, f"no confirmation code sent to {phone}"
    found = CONFIRM_RE.search(texts[0])
    assert found, texts[0]
    return found.group(1) + found.group(2)
