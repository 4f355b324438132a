"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015) checks.

A code has 18 characters:

    pos 1       registration authority (登记管理部门码)
    pos 2       entity type (机构类别码)
    pos 3-8     administrative region code (登记管理机关行政区划码), digits
    pos 9-17    organisation code (组织机构代码, GB 11714); pos 17 is its own
                check character
    pos 18      check character over positions 1-17

Every character comes from a 31-character alphabet (digits and capital
letters without I, O, S, V and Z), valued 0-30 in order. The position-18
check makes the weighted sum of all 18 values a multiple of 31; because 31 is
prime and the weights 3^i are distinct and non-zero, any single substitution
and any swap of two neighbouring different characters breaks it.

Some genuine early codes fail the checksum, so a failed check is reported as a
`UsccResult` with a `failure` reason the caller can route (for example,
"checksum" to manual review) rather than as an exception. Pure module: no
Flask or database imports.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28

# GB 11714 values its characters over the full 0-9A-Z range (A = 10 ... Z = 35),
# not over the 31-character alphabet above.
ORG_VALUES = {ch: i for i, ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

LENGTH = 18
REGION = slice(2, 8)
ORG_CODE = slice(8, 17)

FAILURES = ("length", "alphabet", "region", "org_code", "checksum")

# Full-width ASCII (U+FF01-U+FF5E) sits at a fixed offset from its half-width form.
_FULLWIDTH_OFFSET = 0xFEE0
_FULLWIDTH = {
    c + _FULLWIDTH_OFFSET: c
    for c in [*range(ord("0"), ord("9") + 1), *range(ord("A"), ord("Z") + 1), *range(ord("a"), ord("z") + 1)]
}


@dataclass(frozen=True)
class UsccResult:
    """The outcome of `validate`: `failure` is None exactly when `ok`."""

    ok: bool
    code: str
    failure: str | None = None
    message_en: str = ""
    message_zh: str = ""


def normalise(raw: str) -> str:
    """Drop whitespace, fold full-width letters and digits, and upper-case."""
    folded = raw.translate(_FULLWIDTH)
    return "".join(folded.split()).upper()


def check_character(first17: str) -> str:
    """Return the position-18 check character for the first 17 characters."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    bad = [ch for ch in first17 if ch not in VALUES]
    if bad:
        raise ValueError(f"character {bad[0]!r} is not in the USCC alphabet")
    return weighted_check(first17)


def weighted_check(chars: str) -> str:
    """The GB 32100 check character over `chars` (weights 3^i mod 31); card numbers use it too."""
    total = sum(VALUES[ch] * pow(3, i, 31) for i, ch in enumerate(chars))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check_character(eight: str) -> str:
    """Return the GB 11714 check character for an 8-character organisation code body."""
    if len(eight) != 8:
        raise ValueError(f"expected 8 characters, got {len(eight)}")
    bad = [ch for ch in eight if ch not in ORG_VALUES]
    if bad:
        raise ValueError(f"character {bad[0]!r} is not a digit or capital letter")
    c = 11 - sum(ORG_VALUES[ch] * w for ch, w in zip(eight, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def make_valid(prefix17_without_check: str) -> str:
    """Append the position-18 check character to 17 characters."""
    return prefix17_without_check + check_character(prefix17_without_check)


def generate(rng: random.Random, first2: str = "91", region: str = "510100") -> str:
    """Build a random valid code with the given first two characters and region."""
    if len(first2) != 2 or any(ch not in VALUES for ch in first2):
        raise ValueError(f"first2 must be two USCC alphabet characters, got {first2!r}")
    if len(region) != 6 or not all(ch in "0123456789" for ch in region):
        raise ValueError(f"region must be six digits, got {region!r}")
    body = "".join(rng.choice(ALPHABET) for _ in range(8))
    return make_valid(first2 + region + body + org_code_check_character(body))


_REVIEW_EN = ("Compare it with the business licence. A genuine early code that fails this check is registered "
              "through a regulator's manual review.")
_REVIEW_ZH = "请与营业执照逐位核对。确为早期颁发、未通过校验的真实代码，可由监管部门人工审核登记。"
# (en, zh): one fixed text per check, the same whatever the code.
_CHECK_FAILED = {
    "org_code": (f"The code fails the check of its organisation code (position 17). {_REVIEW_EN}",
                 f"第17位（组织机构代码校验码）校验未通过。{_REVIEW_ZH}"),
    "checksum": (f"The code fails its check (position 18, the check character). {_REVIEW_EN}",
                 f"第18位校验码错误，此代码未通过校验。{_REVIEW_ZH}"),
}


def validate(code: str) -> UsccResult:
    """Check a code for length, alphabet, region digits, org-code check and checksum, in that order."""
    norm = normalise(code)

    def fail(failure: str, en: str, zh: str) -> UsccResult:
        return UsccResult(ok=False, code=norm, failure=failure, message_en=en, message_zh=zh)

    if len(norm) != LENGTH:
        return fail(
            "length",
            f"A Unified Social Credit Code has 18 characters; this one has {len(norm)}.",
            f"统一社会信用代码应为18位，当前为{len(norm)}位。",
        )

    for pos, ch in enumerate(norm, start=1):
        if ch not in VALUES:
            return fail(
                "alphabet",
                f"The character {ch} at position {pos} is not allowed; only digits and capital letters "
                "other than I, O, S, V and Z are used.",
                f"第{pos}位字符“{ch}”不允许；只能使用数字和除 I、O、S、V、Z 以外的大写英文字母。",
            )

    for pos, ch in enumerate(norm[REGION], start=REGION.start + 1):
        if ch not in "0123456789":
            return fail(
                "region",
                f"Positions 3 to 8 (the region code) must be digits; position {pos} is {ch}.",
                f"第3至8位（行政区划码）必须为数字，第{pos}位为“{ch}”。",
            )

    # A failed check never names the character that would pass: that would invite the holder of a genuine early
    # code (some were issued failing it) to alter a real code. Such codes go to a regulator's manual review.
    org = norm[ORG_CODE]
    if org[8] != org_code_check_character(org[:8]):
        return fail("org_code", *_CHECK_FAILED["org_code"])

    if norm[17] != check_character(norm[:17]):
        return fail("checksum", *_CHECK_FAILED["checksum"])

    return UsccResult(ok=True, code=norm)
