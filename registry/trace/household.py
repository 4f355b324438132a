"""The household reference: who was served, without ever storing their phone. Pure.

`household_ref` is HMAC-SHA256 under the `household` key of the customer's
mobile phone in E.164 form: one global reference, the same for every company,
that regulators query by (they type the phone; the reference is derived).
`company_household` derives from it and the company's log_ref under the same
key: a company can tell its own repeat customers apart, and can join nothing
with another company's references. Neither can be turned back into a phone
without the key and a guess at every phone (about 10^9 candidates), which is
why the key lives outside the database and is never rotated: rotating it would
need every phone again, and the registry has none (docs/privacy.md).

No Flask, no database: callers pass the key's material.
"""
from __future__ import annotations

import hashlib
import hmac

# The per-company derivation is shorter: it is a grouping handle, not a look-up key across the registry.
COMPANY_CHARS = 32


def household_ref(key: bytes, e164: str) -> str:
    """The global reference of the household whose phone is `e164` (64 lowercase hex characters)."""
    if not e164.startswith("+"):
        raise ValueError("the phone must be in E.164 form")
    return hmac.new(key, b"jiaxin-household\x00" + e164.encode("ascii"), hashlib.sha256).hexdigest()


def company_household(key: bytes, company_log_ref: str, ref: str) -> str:
    """The reference a company sees for a household: derived per company, so two companies' never match."""
    message = b"jiaxin-household-company\x00" + company_log_ref.encode("ascii") + b"\x00" + ref.encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:COMPANY_CHARS]
