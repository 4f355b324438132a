"""Chinese resident ID numbers (居民身份证号, GB 11643-1999) and the permits sharing their layout.

A number has 18 characters:

    pos 1-6     region code (行政区划码); for the permits a fixed prefix
    pos 7-14    birth date, YYYYMMDD
    pos 15-17   sequence code; pos 17 is odd for men and even for women
    pos 18      check character, a digit or X (standing for 10)

The check character follows ISO 7064 MOD 11-2: position i (1-18) carries the
weight 2^(18-i) mod 11, and the weighted sum of all 18 values is 1 mod 11. As 11
is prime and no weight is 0 mod 11, any single changed character is caught; as
neighbouring weights differ by a factor of 2, any swap of two neighbouring
different characters is caught too. (Because 2 has order 10 mod 11, positions
ten apart share a weight, so swapping them is the one transposition it misses.)

Kinds, told apart by the first characters:

    resident    mainland ID card, region code starting 1-6
    hk_permit   Hong Kong residence permit (港澳台居民居住证), prefix 810000
    mo_permit   Macau residence permit, prefix 820000
    tw_permit   Taiwan residence permit, prefix 830000
    foreigner   foreigner permanent-residence ID card (issued since 2023-12-01),
                first digit 9; positions 2-3 are a province code and 4-6 a
                nationality code, the rest laid out as above

Region codes are deliberately not checked against a list: genuine numbers carry
district codes that have since been abolished or renumbered.

Age rule: a person's age is counted in whole years on calendar dates, so they
turn a year older on the anniversary of their birth date; someone born on
29 February turns a year older on 1 March in common years (the first day on
which the anniversary has certainly passed).

Failures are returned as an `IdResult` rather than raised. Its messages are
fixed texts per rule and never echo any part of the input, so they are safe to
log. Pure module: standard library only.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

LENGTH = 18
MIN_AGE = 16
MIN_BIRTH_YEAR = 1900

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
# Indexed by the weighted sum of positions 1-17 mod 11; it makes the full sum 1 mod 11.
CHECK_CHARACTERS = "10X98765432"

REGION = slice(0, 6)
BIRTH = slice(6, 14)
SEX_DIGIT = 16

PERMIT_PREFIXES = {"810000": "hk_permit", "820000": "mo_permit", "830000": "tw_permit"}
KINDS = ("resident", "hk_permit", "mo_permit", "tw_permit", "foreigner")
FAILURES = ("length", "characters", "region", "birth_date", "future_birth_date", "too_young", "checksum")

# Chengdu's central districts (锦江, 青羊, 金牛, 武侯): plausible prefixes for demo data.
CHENGDU_PREFIXES = ("510104", "510105", "510106", "510107")

DIGITS = "0123456789"

# Full-width digits and letters (U+FF10-U+FF5A) sit at a fixed offset from ASCII.
_FULLWIDTH_OFFSET = 0xFEE0
_FULLWIDTH = {
    c + _FULLWIDTH_OFFSET: c
    for c in [*range(ord("0"), ord("9") + 1), *range(ord("A"), ord("Z") + 1), *range(ord("a"), ord("z") + 1)]
}

# One fixed text per rule: nothing from the input (number, birth date) ever reaches a message.
MESSAGES = {
    "length": (
        "An ID number has 18 characters.",
        "身份证号码应为18位。",
    ),
    "characters": (
        "An ID number contains only digits, with X allowed only as the last character.",
        "身份证号码只能包含数字，X 只能出现在最后一位。",
    ),
    "region": (
        "The number does not start with a valid region code.",
        "号码开头的地区码无效。",
    ),
    "birth_date": (
        "The birth date in the number does not exist.",
        "号码中的出生日期不存在。",
    ),
    "birth_date_too_early": (
        "The birth date in the number is before 1900.",
        "号码中的出生日期早于1900年。",
    ),
    "future_birth_date": (
        "The birth date in the number is in the future.",
        "号码中的出生日期晚于今天。",
    ),
    "too_young": (
        "The person must be at least 16 years old.",
        "年满16周岁方可登记。",
    ),
    "checksum": (
        "One character of the ID number is mistyped: compare it with the ID document, character by character.",
        "证件号码有一位输错了，请对照证件逐位核对。",
    ),
}


@dataclass(frozen=True)
class IdResult:
    """The outcome of `validate`: `failure` is None exactly when `ok`; derived facts only when `ok`."""

    ok: bool
    number: str
    kind: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    failure: str | None = None
    message_en: str = ""
    message_zh: str = ""


def normalise(raw: str) -> str:
    """Drop whitespace, fold full-width digits and letters, and upper-case."""
    folded = raw.translate(_FULLWIDTH)
    return "".join(folded.split()).upper()


def check_character(first17: str) -> str:
    """Return the check character for the first 17 digits."""
    if len(first17) != 17:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    if not all(ch in DIGITS for ch in first17):
        raise ValueError("positions 1-17 must be ASCII digits")
    total = sum(int(ch) * w for ch, w in zip(first17, WEIGHTS))
    return CHECK_CHARACTERS[total % 11]


def make_valid(first17: str) -> str:
    """Append the check character to 17 digits."""
    return first17 + check_character(first17)


def kind_of(number: str) -> str | None:
    """Return the kind its leading characters name, or None if they name none."""
    if number[:6] in PERMIT_PREFIXES:
        return PERMIT_PREFIXES[number[:6]]
    first = number[:1]
    if first == "9":
        return "foreigner"
    if first and first in "123456":
        return "resident"
    return None


def age_on(birth: date, today: date) -> int:
    """Return the age in whole years on `today`; 29 February birthdays fall on 1 March in common years."""
    # Comparing (month, day) tuples gives the 1 March rule for free: in a common
    # year (2, 28) < (2, 29), so the birthday has not come, while (3, 1) > (2, 29).
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _birth_date(digits8: str) -> date | None:
    """Return the date YYYYMMDD names, or None if there is no such day."""
    try:
        return date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None


def validate(raw: str, *, today: date) -> IdResult:
    """Check length, characters, region, birth date, age on `today` and check character, in that order."""
    number = normalise(raw)

    def fail(failure: str, message_key: str | None = None) -> IdResult:
        en, zh = MESSAGES[message_key or failure]
        return IdResult(ok=False, number=number, failure=failure, message_en=en, message_zh=zh)

    if len(number) != LENGTH:
        return fail("length")
    if not all(ch in DIGITS for ch in number[:17]) or number[17] not in DIGITS + "X":
        return fail("characters")

    kind = kind_of(number)
    if kind is None:
        return fail("region")

    birth = _birth_date(number[BIRTH])
    if birth is None:
        return fail("birth_date")
    if birth.year < MIN_BIRTH_YEAR:
        return fail("birth_date", "birth_date_too_early")
    if birth > today:
        return fail("future_birth_date")
    if age_on(birth, today) < MIN_AGE:
        return fail("too_young")

    if number[17] != check_character(number[:17]):
        return fail("checksum")

    return IdResult(
        ok=True,
        number=number,
        kind=kind,
        birth_date=birth,
        sex="male" if int(number[SEX_DIGIT]) % 2 else "female",
    )


def generate(rng: random.Random, *, kind: str = "resident", birth: date, female: bool | None = None) -> str:
    """Build a valid number of `kind` for `birth`; `female` None lets `rng` choose the sex digit."""
    if kind == "resident":
        prefix = rng.choice(CHENGDU_PREFIXES)
    elif kind == "foreigner":
        # 9, then Sichuan's province code 51, then a nationality code.
        prefix = f"951{rng.randrange(1000):03d}"
    elif kind in PERMIT_PREFIXES.values():
        prefix = next(p for p, k in PERMIT_PREFIXES.items() if k == kind)
    else:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if birth.year < MIN_BIRTH_YEAR:
        raise ValueError(f"birth year must be {MIN_BIRTH_YEAR} or later")
    if female is None:
        sex_digit = rng.randrange(10)
    else:
        sex_digit = rng.randrange(0 if female else 1, 10, 2)
    sequence = f"{rng.randrange(100):02d}{sex_digit}"
    return make_valid(prefix + birth.strftime("%Y%m%d") + sequence)
