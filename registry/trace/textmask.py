"""Masking phone and ID numbers inside free text (a review, a company's reply) before it is stored. Pure.

A customer writes what happened, and sometimes a phone number or an ID number
with it ("阿姨电话 139 1234 0001"). The registry keeps no customer phone
(docs/privacy.md, "Customers"), and a review's text is read back to the company
and shown in summaries, so such numbers are masked before sealing, keeping the
text readable: 139****0001, 028-****3456, 5101**********1234.

How: each character is first read through a one-to-one fold (full-width digits,
plus, parentheses and dashes, the ideographic space, Ｘ) so the patterns see
ASCII; the matches are then masked in the original text position by position, a
masked digit becoming `*`, everything else (separators, the +86, full-width
digits kept) staying as typed. The text keeps its length, so a limit judged on
the text holds after masking.

What is masked (docs/privacy.md, "Reviews"):
- mainland mobiles, 1[3-9] and 9 more digits, with single spaces or dashes
  anywhere, optionally after +86, 0086, 86 or (+86), or a leading 0;
- landlines with their area code (010, 02x, 0xxx), parentheses or a separator
  optional, also as +86 28 …: the local number but its last 4 digits;
- resident ID numbers: 18 characters (the last may be X) whose birth date is a
  date, also grouped 6-8-4 or 6-4-4-4; the old 15-digit ones (a date in YYMMDD);
- Hong Kong and Macau residents' home-return permits (H or M and 8 or 10
  digits) and Hong Kong identity cards with their check character (A123456(7)).
  Taiwan residents' 8-digit permits are left alone: 8 bare digits are as often
  a date (20240115) or an order number.

Not masked: prices, dates, times, quantities and order numbers that are not
phone- or ID-shaped; a run of digits longer than the pattern is never cut
into one (13800138000123 is an order number, not a phone).
No Flask, no database.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MASK = "*"

# One character in, one character out: positions in the folded text are positions in the original.
_FOLD = {**{chr(0xFF10 + i): str(i) for i in range(10)},
         "＋": "+", "（": "(", "）": ")", "－": "-", "—": "-", "–": "-", "‐": "-", "‑": "-", "﹣": "-", "―": "-",
         "\u3000": " ", "\u00a0": " ", "Ｘ": "X", "ｘ": "x", "Ｈ": "H", "ｈ": "h", "Ｍ": "M", "ｍ": "m"}
_FOLD_TABLE = str.maketrans(_FOLD)

_SEP = r"[ -]?"  # at most one space or dash between two digits
_D = "[0-9]"
_NOT_BEFORE = r"(?<![0-9])"
_NOT_AFTER = r"(?![0-9])"


def _digits(n: int) -> str:
    """n digits, each but the first optionally after one separator."""
    return f"{_D}(?:{_SEP}{_D}){{{n - 1}}}"


_DATE8 = r"(?:18|19|20)[0-9]{2}" + _SEP + r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_DATE6 = r"[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"

# Each pattern names the group to mask; `keep` says which of its characters (digits, and an ID's X) stay.
_ID18 = re.compile(_NOT_BEFORE + r"(?P<n>[1-9][0-9]{5}" + _SEP + _DATE8 + _SEP + r"[0-9]{3}[0-9Xx])"
                   + r"(?![0-9])")
_ID15 = re.compile(_NOT_BEFORE + r"(?P<n>[1-9][0-9]{5}" + _DATE6 + r"[0-9]{3})" + _NOT_AFTER)
_HOME_RETURN = re.compile(r"(?<![0-9A-Za-z])(?P<n>[HMhm][0-9]{8}(?:[0-9]{2})?)(?![0-9A-Za-z])")
_HKID = re.compile(r"(?<![0-9A-Za-z])(?P<n>[A-Z]{1,2}[0-9]{6}[(][0-9A][)])")
_MOBILE = re.compile(r"(?<![0-9])(?:[(]?(?:[+]|00)?86[)]?" + _SEP + r"|0)?(?P<n>1" + _SEP + "[3-9]"
                     + f"(?:{_SEP}{_D}){{9}})" + _NOT_AFTER)
_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"
_LOCAL = r"[2-9](?:" + _SEP + _D + r"){6,7}"
_LANDLINE = re.compile(r"(?<![0-9])(?:[(]?0" + _AREA + r"[)]?|[(]?(?:[+]|00)86[)]?" + _SEP + _AREA + r")"
                       + r"[ -]?(?P<n>" + _LOCAL + r")" + _NOT_AFTER)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern
    # (number of maskable characters in the group) -> the set of their indexes to keep
    keep: Callable[[int], range | set]


def _first_last(first: int, last: int) -> Callable[[int], set]:
    return lambda n: set(range(first)) | set(range(n - last, n))


def _only_last(last: int) -> Callable[[int], set]:
    return lambda n: set(range(n - last, n))


# Identity numbers first, so a phone-shaped run inside one is already masked when phones are looked for.
RULES = (
    _Rule(_ID18, _first_last(4, 4)),
    _Rule(_ID15, _first_last(4, 3)),
    _Rule(_HKID, _first_last(0, 0)),
    _Rule(_HOME_RETURN, _first_last(0, 2)),
    _Rule(_MOBILE, _first_last(3, 4)),
    _Rule(_LANDLINE, _only_last(4)),
)

# The characters a rule may star: digits, and an identity number's check X.
_MASKABLE = frozenset("0123456789Xx")


def mask_text(text: str) -> str:
    """`text` with every phone and ID number in it masked (see the module's docstring); the same length."""
    if not text:
        return text
    out = list(text)
    folded = text.translate(_FOLD_TABLE)
    for rule in RULES:
        for match in rule.pattern.finditer(folded):
            start, end = match.span("n")
            positions = [i for i in range(start, end) if folded[i] in _MASKABLE]
            keep = rule.keep(len(positions))
            for k, i in enumerate(positions):
                if k not in keep:
                    out[i] = MASK
        # Later rules must not see what an earlier one masked as digits.
        folded = "".join(MASK if o == MASK and f != MASK else f for o, f in zip(out, folded, strict=True))
    return "".join(out)
