"""Lifetime card numbers for workers (docs/rules.md, "Card numbers").

A card number has 13 characters:

    pos 1-2     the fixed prefix JX
    pos 3-12    10 random characters from the USCC alphabet
    pos 13      check character over positions 1-12

The alphabet is the USCC's 31 characters, digits and capital letters without
I, O, S, V and Z, valued 0-30 in order (J = 18, X = 29). Position i (1-12)
carries the weight 3^(i-1) mod 31 and the check character makes the weighted
sum of all 13 values a multiple of 31 (the check itself weighs 1), exactly as
the USCC does. Because 31 is prime, no weight is 0 mod 31 and neighbouring
weights differ (3^(i-1) vs 3^i, and 3^11 = 13 vs 1 at positions 12-13), any
single typo and any swap of two neighbouring different characters is caught.

The 10 random characters carry about 49.5 bits and are never derived from the
person or from a counter; the database's unique constraint settles the rare
collision. Pure module: standard library only.
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass

from ..companies.uscc import ALPHABET, VALUES, weighted_check  # the same alphabet and check as the USCC

PREFIX = "JX"
RANDOM_LENGTH = 10
LENGTH = len(PREFIX) + RANDOM_LENGTH + 1
WEIGHTS = tuple(pow(3, i, 31) for i in range(12))  # 1 3 9 27 19 26 16 17 20 29 25 13 (as weighted_check uses)

FAILURES = ("length", "prefix", "characters", "checksum")

# Full-width ASCII (U+FF01-U+FF5E) sits at a fixed offset from its half-width form.
_FULLWIDTH_OFFSET = 0xFEE0
_FULLWIDTH = {c + _FULLWIDTH_OFFSET: c for c in range(0x21, 0x7F)}
# People copy numbers printed in groups, and Chinese input methods turn "-" into
# other dashes, so every common dash is dropped along with whitespace.
_DASHES = str.maketrans("", "", "-\u2010\u2011\u2012\u2013\u2014\u2212")

# One fixed text per rule, so messages are safe to log.
MESSAGES = {
    "length": (
        "A card number has 13 characters: JX followed by 11 digits and letters.",
        "卡号应为13位：JX 加 11 位数字和字母。",
    ),
    "prefix": (
        "A card number starts with JX.",
        "卡号应以 JX 开头。",
    ),
    "characters": (
        "A card number contains only digits and capital letters other than I, O, S, V and Z.",
        "卡号只能包含数字和除 I、O、S、V、Z 以外的英文字母。",
    ),
    # Never the character that would pass: the number printed on the card is the one to compare with.
    "checksum": (
        "One character of the card number is mistyped: compare it with the card, character by character.",
        "卡号有一位输错了，请对照服务证逐位核对。",
    ),
}



@dataclass(frozen=True)
class CardResult:
    """The outcome of `validate`: `failure` is None exactly when `ok`."""

    ok: bool
    card_no: str
    failure: str | None = None
    message_en: str = ""
    message_zh: str = ""


def normalise(raw: str) -> str:
    """Drop whitespace and dashes, fold full-width characters, and upper-case."""
    folded = raw.translate(_FULLWIDTH).translate(_DASHES)
    return "".join(folded.split()).upper()


def check_character(first12: str) -> str:
    """Return the check character for the first 12 characters (JX included)."""
    if len(first12) != 12:
        raise ValueError(f"expected 12 characters, got {len(first12)}")
    bad = [ch for ch in first12 if ch not in VALUES]
    if bad:
        raise ValueError(f"character {bad[0]!r} is not in the card alphabet")
    return weighted_check(first12)


def new_card_no(rng: random.Random | None = None) -> str:
    """Draw a fresh random card number; pass a seeded `rng` only for tests and demo data."""
    if rng is None:
        # One read of the OS's randomness per card (bulk imports issue many):
        # bytes below 248 = 8 × 31 map to the alphabet without bias.
        chars: list[str] = []
        while len(chars) < RANDOM_LENGTH:
            chars += [ALPHABET[b % 31] for b in os.urandom(16) if b < 248]
        body = PREFIX + "".join(chars[:RANDOM_LENGTH])
    else:
        body = PREFIX + "".join(rng.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def validate(raw: str) -> CardResult:
    """Check length, prefix, characters and check character, in that order."""
    card_no = normalise(raw)

    def fail(failure: str) -> CardResult:
        en, zh = MESSAGES[failure]
        return CardResult(ok=False, card_no=card_no, failure=failure, message_en=en, message_zh=zh)

    if len(card_no) != LENGTH:
        return fail("length")
    if not card_no.startswith(PREFIX):
        return fail("prefix")
    if any(ch not in VALUES for ch in card_no):
        return fail("characters")
    if card_no[-1] != check_character(card_no[:-1]):
        return fail("checksum")
    return CardResult(ok=True, card_no=card_no)
