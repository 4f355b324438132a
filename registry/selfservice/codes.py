"""One-time codes and PINs for the worker's self-service: the pure parts.

Codes (activation, consent and attachment confirmation) are 8 characters from the USCC alphabet (digits
and capital letters without I, O, S, V and Z): 31^8 ≈ 8.5 × 10^11, about 39.6
bits, drawn from the OS's randomness (`os.urandom`, as `secrets` does). People
read them aloud and type them on phones, so input is forgiving: case, spaces
and dashes are ignored, full-width characters are folded, and the five letters the alphabet leaves out are read as the
characters they are mistaken for (O → 0, I → 1, Z → 2, S → 5, V → U). That
changes nothing about the space of codes, only what a typist may enter.

Hashing: HMAC-SHA256 under a server key held outside the database, over the
code's kind, the worker's ref and the code. Not a salted SHA-256: 39.6 bits
fall to a GPU in about a minute, so a copy of the database would give up every
live code; with a keyed hash the database alone reveals nothing. Online
guessing is bounded elsewhere: a code burns after 5 wrong tries and attempts
are rate-limited per card. Binding the worker's ref means a code (or a copied
hash row) is good for its own card only. (The key: `services.code_key`, a
subkey derived from the never-rotated `state` key; the stored hash is exactly
64 hex characters, with no room for a salt anyway.)

PINs: digits only, 6 to 12 of them, not one digit repeated and not a straight
run up or down (123456, 987654, and 890123, which wraps past 9); hashed with
argon2 like account passwords.

No Flask, no database: callers pass keys and values.
"""
from __future__ import annotations

import hashlib
import hmac
import os

from ..companies.uscc import ALPHABET

LENGTH = 8
PIN_MIN = 6
PIN_MAX = 12
# `review`: a customer's review code, bound to the service's ref instead of a worker's; `tracking`: a complainant's
# tracking code, bound to the complaint's ref.
KINDS = ("activation", "consent", "confirmation", "review", "tracking")

# Full-width ASCII (U+FF01-U+FF5E) sits at a fixed offset from its half-width form.
_FULLWIDTH = {c + 0xFEE0: c for c in range(0x21, 0x7F)}
_DROP = str.maketrans("", "", " \t\r\n-_.\u00a0\u3000\u2010\u2011\u2012\u2013\u2014\u2212")
# Letters the alphabet leaves out, read as what they are mistaken for.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "Z": "2", "S": "5", "V": "U"})
_ALPHABET_SET = frozenset(ALPHABET)


def generate() -> str:
    """A fresh code: 8 characters drawn uniformly from the USCC alphabet.

    One read of the OS's randomness per code, not one call per character (a
    service file sends a code per row): bytes below 248 = 8 × 31 map to the
    alphabet without bias.
    """
    chars: list[str] = []
    while len(chars) < LENGTH:
        chars += [ALPHABET[b % 31] for b in os.urandom(12) if b < 248]
    return "".join(chars[:LENGTH])


def normalise(raw: str) -> str:
    """Fold width, drop spaces and dashes, upper-case, and map the look-alike letters."""
    if not isinstance(raw, str):
        return ""
    folded = raw.translate(_FULLWIDTH).translate(_DROP).upper()
    return folded.translate(_LOOKALIKES)


def well_formed(code: str) -> bool:
    """Whether a normalised code has the shape of a code (8 characters of the alphabet)."""
    return len(code) == LENGTH and all(ch in _ALPHABET_SET for ch in code)


def grouped(code: str) -> str:
    """The code as people read it: two groups of four (ABCD-EFGH)."""
    return f"{code[:4]}-{code[4:]}" if len(code) == LENGTH else code


def code_hash(key: bytes, kind: str, worker_ref: str, code: str) -> str:
    """HMAC-SHA256 (hex) of a normalised code, bound to its kind and worker."""
    if kind not in KINDS:
        raise ValueError(f"unknown code kind {kind!r}")
    message = f"jiaxin-worker-code\x00{kind}\x00{worker_ref}\x00{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(key: bytes, kind: str, worker_ref: str, raw: str, stored: str) -> bool:
    """Whether `raw` (as typed) is the code whose hash is `stored`; constant-time compare."""
    code = normalise(raw)
    if not well_formed(code):
        return False
    return hmac.compare_digest(code_hash(key, kind, worker_ref, code), stored)


def pin_problem(pin: str) -> tuple[str, str] | None:
    """(en, zh) saying why a new PIN is refused, or None."""
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit():
        return ("The PIN must consist of digits only.", "PIN 只能由数字组成。")
    if not PIN_MIN <= len(pin) <= PIN_MAX:
        return (f"The PIN must have {PIN_MIN} to {PIN_MAX} digits.", f"PIN 须为 {PIN_MIN}–{PIN_MAX} 位数字。")
    if len(set(pin)) == 1:
        return ("The PIN must not repeat one digit (like 111111).", "PIN 不能全是同一个数字（如 111111）。")
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    if steps in ({1}, {9}):
        return ("The PIN must not be a straight run (like 123456 or 654321).",
                "PIN 不能是连续数字（如 123456 或 654321）。")
    return None
