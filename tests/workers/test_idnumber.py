"""Resident ID number validation (registry.workers.idnumber)."""
from __future__ import annotations

import dataclasses
import random
from datetime import date

import pytest

from registry.workers import idnumber
from registry.workers.idnumber import (
    FAILURES,
    KINDS,
    MESSAGES,
    IdResult,
    age_on,
    check_character,
    generate,
    make_valid,
    normalise,
    validate,
)

TODAY = date(2026, 11, 26)

PUBLISHED = ("11010519491231002X", "360426199101010071")
HK = "810000199001011230"
MO = "820000198812310047"
TW = "830000197705200018"
FOREIGNER = "951840198506150131"  # 9, province 51, nationality 840, born 1985-06-15
PERMITS = {HK: "hk_permit", MO: "mo_permit", TW: "tw_permit"}
GENERATED = tuple(
    generate(random.Random(seed), kind=KINDS[seed % 5], birth=date(1950 + seed % 50, 1 + seed % 12, 1 + seed % 28))
    for seed in range(100)
)
VALID = PUBLISHED + tuple(PERMITS) + (FOREIGNER,)


def _id(region: str, birth: str, sequence: str = "123") -> str:
    """Build a number with a correct check character from its parts."""
    return make_valid(region + birth + sequence)


def _check_ok(number: str) -> bool:
    """Apply ISO 7064 MOD 11-2 independently of the module: Σ a_i·2^(18−i) ≡ 1 (mod 11)."""
    values = [10 if ch == "X" else int(ch) for ch in number]
    return sum(v * pow(2, 18 - i, 11) for i, v in enumerate(values, start=1)) % 11 == 1


def _substitutions(number: str, replacements: str):
    """Yield (position, character, changed number) for every single-character change."""
    for i, old in enumerate(number):
        for ch in replacements:
            if ch != old:
                yield i + 1, ch, number[:i] + ch + number[i + 1:]


def _neighbour_swaps(number: str):
    """Yield (position, changed number) for every swap of two neighbouring different characters."""
    for i in range(len(number) - 1):
        if number[i] != number[i + 1]:
            yield i + 1, number[:i] + number[i + 1] + number[i] + number[i + 2:]


# --- constants and the check character ------------------------------------------


def test_weights_are_the_published_powers_of_two():
    assert idnumber.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    # Counting positions from 1, position i weighs 2^(18-i) mod 11 (2^(17-i) counting from 0).
    assert idnumber.WEIGHTS == tuple(pow(2, 18 - i, 11) for i in range(1, 18))


def test_check_table_is_the_published_one():
    assert idnumber.CHECK_CHARACTERS == "10X98765432"


def test_mod_11_2_catches_every_substitution_and_neighbour_swap_by_exhaustion():
    # Position 18 enters the sum with weight 1; values run 0-10 (X = 10) there.
    weights = (*idnumber.WEIGHTS, 1)
    values = range(11)
    # A substitution changes the sum by (new − old)·w: never 0 mod 11, as 11 is prime.
    assert all((new - old) * w % 11 for w in weights for old in values for new in values if new != old)
    # A neighbour swap changes it by (a − b)·(w_i − w_i+1): never 0 mod 11 either.
    assert all(
        (a - b) * (w1 - w2) % 11
        for w1, w2 in zip(weights, weights[1:])
        for a in values
        for b in values
        if a != b
    )


@pytest.mark.parametrize(
    "first17,expected",
    [
        ("00000000000000000", "1"),  # sum 0
        ("00000000000000001", "X"),  # position 17 weighs 2: sum 2
        ("00000000000000002", "8"),  # sum 4
        ("00000000000000010", "8"),  # position 16 weighs 4: sum 4
        ("10000000000000000", "5"),  # position 1 weighs 7: sum 7
        ("00000000000000009", "5"),  # sum 18 = 7 mod 11
    ],
)
def test_check_character_vectors(first17, expected):
    total = sum(int(ch) * w for ch, w in zip(first17, idnumber.WEIGHTS))
    assert check_character(first17) == idnumber.CHECK_CHARACTERS[total % 11]
    assert check_character(first17) == expected


def test_check_character_covers_every_residue():
    # Position 8 has weight 1, so its digit alone sets the residue 0-9; position 17 (weight 2)
    # with digit 5 gives residue 10.
    seen = {}
    for d in range(10):
        first17 = "0000000" + str(d) + "000000000"
        seen[d] = check_character(first17)
    seen[10] = check_character("0" * 16 + "5")
    assert "".join(seen[r] for r in range(11)) == "10X98765432"


def test_check_character_agrees_with_the_iso_7064_formula():
    rng = random.Random(11643)
    for _ in range(2000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        assert _check_ok(first17 + check_character(first17))


@pytest.mark.parametrize("number", PUBLISHED)
def test_check_character_reproduces_published_numbers(number):
    assert check_character(number[:17]) == number[17]
    assert make_valid(number[:17]) == number
    assert _check_ok(number)


@pytest.mark.parametrize(
    "bad",
    ["", "1101051949123100", "11010519491231002X", "1101051949123100X", "１１０１０５１９４９１２３１００２",
     "1101051949123100a"],
)
def test_check_character_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        check_character(bad)
    with pytest.raises(ValueError):
        make_valid(bad)


# --- valid numbers ----------------------------------------------------------------


def test_published_example_with_x():
    assert validate("11010519491231002X", today=TODAY) == IdResult(
        ok=True, number="11010519491231002X", kind="resident", birth_date=date(1949, 12, 31), sex="female",
        failure=None, message_en="", message_zh="",
    )


def test_published_example_with_digit_check():
    assert validate("360426199101010071", today=TODAY) == IdResult(
        ok=True, number="360426199101010071", kind="resident", birth_date=date(1991, 1, 1), sex="male",
    )


@pytest.mark.parametrize("number,kind", PERMITS.items())
def test_residence_permits(number, kind):
    result = validate(number, today=TODAY)
    assert result.ok
    assert result.kind == kind
    assert result.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def test_permit_literals_match_the_algorithm():
    assert make_valid("81000019900101123") == HK
    assert make_valid("82000019881231004") == MO
    assert make_valid("83000019770520001") == TW
    assert make_valid("95184019850615013") == FOREIGNER


def test_foreigner_permanent_residence_id():
    result = validate(FOREIGNER, today=TODAY)
    assert result == IdResult(ok=True, number=FOREIGNER, kind="foreigner", birth_date=date(1985, 6, 15), sex="male")


@pytest.mark.parametrize("province", ["11", "31", "44", "51", "65"])
def test_foreigner_ids_from_any_province(province):
    assert validate(_id("9" + province + "250", "19800101", "002"), today=TODAY).kind == "foreigner"


@pytest.mark.parametrize("first", "123456")
def test_mainland_first_digits_1_to_6_are_residents(first):
    result = validate(_id(first + "10104", "19800101"), today=TODAY)
    assert (result.ok, result.kind) == (True, "resident")


@pytest.mark.parametrize("region", ["510102", "519999", "699999", "100000", "510000", "220381"])
def test_region_codes_are_not_checked_against_a_list(region):
    # 510102 is a Chengdu district code that no longer exists; 519999 and 699999 never did.
    assert validate(_id(region, "19800101"), today=TODAY).ok


@pytest.mark.parametrize("number", VALID + GENERATED)
def test_valid_numbers_pass_in_either_case(number):
    assert validate(number, today=TODAY).ok
    assert validate(number.lower(), today=TODAY).number == number


def test_lower_case_x_is_accepted():
    result = validate("11010519491231002x", today=TODAY)
    assert result.ok
    assert result.number == "11010519491231002X"


@pytest.mark.parametrize(
    "sequence,sex",
    [("001", "male"), ("002", "female"), ("123", "male"), ("120", "female"), ("999", "male"), ("998", "female")],
)
def test_sex_comes_from_the_last_sequence_digit(sequence, sex):
    assert validate(_id("510104", "19800101", sequence), today=TODAY).sex == sex


# --- birth dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    "birth,expected",
    [
        ("20000229", date(2000, 2, 29)),  # divisible by 400: leap
        ("19960229", date(1996, 2, 29)),
        ("19040229", date(1904, 2, 29)),
        ("19000101", date(1900, 1, 1)),  # the earliest accepted day
        ("19991231", date(1999, 12, 31)),
        ("19800131", date(1980, 1, 31)),
        ("19800430", date(1980, 4, 30)),
    ],
)
def test_real_birth_dates_pass(birth, expected):
    result = validate(_id("510104", birth), today=TODAY)
    assert result.ok
    assert result.birth_date == expected


def test_29_february_2024_is_a_real_date():
    # Leap year: the date exists, so the number fails only on age.
    assert validate(_id("510104", "20240229"), today=TODAY).failure == "too_young"


@pytest.mark.parametrize(
    "birth",
    [
        "19000229",  # 1900 is divisible by 100 but not 400: common year
        "20230229",
        "20250229",
        "19990229",
        "19800230",
        "19800431",
        "19800631",
        "19800132",
        "19800100",
        "19800001",
        "19801301",
        "19809901",
        "00000000",
    ],
)
def test_birth_dates_that_do_not_exist(birth):
    result = validate(_id("510104", birth), today=TODAY)
    assert (result.ok, result.failure) == (False, "birth_date")
    assert result.message_en == "The birth date in the number does not exist."
    assert result.message_zh == "号码中的出生日期不存在。"


@pytest.mark.parametrize("birth", ["18991231", "18990101", "18000101", "10000101", "00010101"])
def test_birth_years_before_1900_are_rejected(birth):
    result = validate(_id("510104", birth), today=TODAY)
    assert (result.ok, result.failure) == (False, "birth_date")
    assert result.message_en == "The birth date in the number is before 1900."
    assert result.message_zh == "号码中的出生日期早于1900年。"


@pytest.mark.parametrize("birth", ["20261127", "20261201", "20270101", "20991231", "99991231"])
def test_future_birth_dates(birth):
    result = validate(_id("510104", birth), today=TODAY)
    assert (result.ok, result.failure) == (False, "future_birth_date")


def test_born_today_is_not_future_but_too_young():
    assert validate(_id("510104", "20261126"), today=TODAY).failure == "too_young"


# --- age ----------------------------------------------------------------------------


def test_fifteen_years_364_days_is_too_young():
    number = _id("510104", "20101127")
    assert (date(2026, 11, 26) - date(2025, 11, 27)).days == 364
    result = validate(number, today=date(2026, 11, 26))
    assert (result.ok, result.failure) == (False, "too_young")
    assert result.message_en == "The person must be at least 16 years old."
    assert result.message_zh == "年满16周岁方可登记。"


def test_sixteen_on_the_birthday_itself():
    assert validate(_id("510104", "20101127"), today=date(2026, 11, 27)).ok
    assert validate(_id("510104", "20101126"), today=TODAY).ok


@pytest.mark.parametrize("birth", ["20101231", "20200101", "20110101"])
def test_younger_people_are_too_young(birth):
    assert validate(_id("510104", birth), today=TODAY).failure == "too_young"


@pytest.mark.parametrize(
    "birth,today,age",
    [
        (date(2010, 11, 27), date(2026, 11, 26), 15),
        (date(2010, 11, 27), date(2026, 11, 27), 16),
        (date(2010, 11, 27), date(2026, 11, 28), 16),
        (date(2010, 12, 31), date(2026, 1, 1), 15),
        (date(2010, 1, 1), date(2025, 12, 31), 15),
        (date(2010, 1, 1), date(2026, 1, 1), 16),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
        # 29 February birthdays: in a common year the birthday falls on 1 March.
        (date(2008, 2, 29), date(2025, 2, 28), 16),
        (date(2008, 2, 29), date(2025, 3, 1), 17),
        (date(2008, 2, 29), date(2024, 2, 28), 15),
        (date(2008, 2, 29), date(2024, 2, 29), 16),  # leap year: the day itself
        (date(2000, 2, 29), date(2001, 2, 28), 0),
        (date(2000, 2, 29), date(2001, 3, 1), 1),
        # Someone born on 28 February or 1 March is unaffected.
        (date(2008, 2, 28), date(2025, 2, 28), 17),
        (date(2008, 3, 1), date(2025, 2, 28), 16),
        (date(2008, 3, 1), date(2025, 3, 1), 17),
    ],
)
def test_age_on_calendar_dates(birth, today, age):
    assert age_on(birth, today) == age


def test_29_february_birth_turns_16_on_1_march_of_a_common_year():
    # A 16th birthday lands in a common year only across a century: 2084 → 2100.
    number = _id("510104", "20840229")
    assert validate(number, today=date(2100, 2, 28)).failure == "too_young"
    assert validate(number, today=date(2100, 3, 1)).ok


def test_29_february_birth_turns_16_on_29_february_of_a_leap_year():
    number = _id("510104", "20080229")
    assert validate(number, today=date(2024, 2, 28)).failure == "too_young"
    assert validate(number, today=date(2024, 2, 29)).ok


# --- characters and length ------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1101051949123100",  # 16
        "11010519491231002",  # 17
        "11010519491231002X0",  # 19
        "110105491231002",  # a first-generation 15-digit number
        "   ",
    ],
)
def test_length(raw):
    result = validate(raw, today=TODAY)
    assert (result.ok, result.failure) == (False, "length")
    assert result.message_en == "An ID number has 18 characters."
    assert result.message_zh == "身份证号码应为18位。"


@pytest.mark.parametrize(
    "raw",
    [
        "1101051949123100X2",  # X not last
        "X10105194912310021",
        "11010519491231002A",
        "A1010519491231002X",
        "1101051949I231002X",
        "11010519491231002Y",
        "110105-9491231002X",
        "11010519491231002.",
        "11010519491231002中",
        "11010519491231002*",
        "٣60426199101010071",  # Arabic-Indic digit: isdigit() but not 0-9
        "³60426199101010071",  # superscript three
    ],
)
def test_characters(raw):
    result = validate(raw, today=TODAY)
    assert (result.ok, result.failure) == (False, "characters")
    assert result.message_en == "An ID number contains only digits, with X allowed only as the last character."
    assert result.message_zh == "身份证号码只能包含数字，X 只能出现在最后一位。"


# --- region (first digits) -------------------------------------------------------------


@pytest.mark.parametrize(
    "region",
    [
        "010104",  # first digit 0
        "710000",  # 7
        "800000",  # 8, not a permit
        "811000",  # 81 but not 810000
        "810001",
        "821000",
        "830100",
        "840000",
        "850000",
    ],
)
def test_region_failures(region):
    result = validate(_id(region, "19800101"), today=TODAY)
    assert (result.ok, result.failure) == (False, "region")
    assert result.message_en == "The number does not start with a valid region code."
    assert result.message_zh == "号码开头的地区码无效。"


@pytest.mark.parametrize(
    "region,kind",
    [
        ("000000", None),
        ("100000", "resident"),
        ("200000", "resident"),
        ("300000", "resident"),
        ("400000", "resident"),
        ("500000", "resident"),
        ("600000", "resident"),
        ("700000", None),
        ("800000", None),  # 8 only as one of the three permit prefixes
        ("900000", "foreigner"),
    ],
)
def test_every_first_digit(region, kind):
    result = validate(_id(region, "19800101"), today=TODAY)
    assert result.kind == kind
    assert result.failure == (None if kind else "region")


# --- checksum ----------------------------------------------------------------------


@pytest.mark.parametrize("number", PUBLISHED + (HK, FOREIGNER))
def test_wrong_check_character(number):
    for ch in "0123456789X":
        if ch != number[17]:
            result = validate(number[:17] + ch, today=TODAY)
            assert (result.ok, result.failure) == (False, "checksum")
            assert result.message_en == ("One character of the ID number is mistyped: compare it with the ID "
                                         "document, character by character.")
            assert result.message_zh == "证件号码有一位输错了，请对照证件逐位核对。"


# --- every single change and every neighbour swap is caught ----------------------------------


@pytest.mark.parametrize("number", VALID + GENERATED)
def test_every_single_digit_change_is_rejected(number):
    changes = list(_substitutions(number, "0123456789X"))
    # 17 positions × 9 other digits, position 18 × 10 other characters, X at positions 1-17.
    assert len(changes) == 17 * 9 + 10 + 17
    accepted = [(pos, ch) for pos, ch, changed in changes if validate(changed, today=TODAY).ok]
    assert accepted == []
    # The check digit alone catches every change that keeps X out of positions 1-17,
    # whatever the date rules say.
    check_only = [(pos, changed) for pos, ch, changed in changes if ch != "X" or pos == 18]
    assert [pos for pos, changed in check_only if _check_ok(changed)] == []


@pytest.mark.parametrize("number", VALID + GENERATED)
def test_every_neighbour_swap_is_rejected(number):
    swaps = list(_neighbour_swaps(number))
    assert swaps
    assert [pos for pos, changed in swaps if validate(changed, today=TODAY).ok] == []
    # Not just because a date broke: the check digit fails for every swap, including 17↔18 ones.
    assert [pos for pos, changed in swaps if "X" not in changed[:17] and _check_ok(changed)] == []


def test_swaps_never_pass_the_checksum_across_many_numbers():
    # Count, over many random bodies, swaps that keep the checksum: MOD 11-2 admits none.
    rng = random.Random(20261126)
    tried = 0
    for _ in range(3000):
        number = make_valid("".join(rng.choice("0123456789") for _ in range(17)))
        for _pos, changed in _neighbour_swaps(number):
            if "X" in changed[:17]:
                continue  # a check X moved inside: rejected as characters
            tried += 1
            assert not _check_ok(changed)
    assert tried > 40000


def test_transposition_ten_apart_is_the_known_blind_spot():
    # 2 has order 10 mod 11, so positions 5 and 15 share a weight; swapping them keeps
    # the check. Documented so nobody relies on MOD 11-2 for more than it gives.
    number = "360426199101010071"
    swapped = number[:4] + number[14] + number[5:14] + number[4] + number[15:]
    assert swapped == "360406199101012071"
    assert validate(swapped, today=TODAY).ok


# --- order and messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,failure",
    [
        ("0101051949123100X", "length"),  # short beats bad region
        ("0101051949123100AX", "characters"),  # bad character beats bad region
        ("010105202302290021", "region"),  # bad region beats impossible date
        ("510104202302290021", "birth_date"),  # impossible date, also wrong check
        ("510104189912310020", "birth_date"),  # before 1900, also wrong check
        ("510104203001010021", "future_birth_date"),  # also wrong check
        ("510104201501010021", "too_young"),  # also wrong check
        ("510104198001010021", "checksum"),
    ],
)
def test_checks_run_in_order(raw, failure):
    if len(raw) == 18 and raw.isdigit():
        assert not _check_ok(raw)  # every vector also carries a wrong check digit
    assert validate(raw, today=TODAY).failure == failure


FAILING = {
    "length": "11010519491231002",
    "characters": "1101051949123100X2",
    "region": _id("710000", "19800101"),
    "birth_date": _id("510104", "20230229"),
    "future_birth_date": _id("510104", "20261127"),
    "too_young": _id("510104", "20101127"),
    "checksum": "360426199101010072",
}


def test_every_failure_kind_is_reachable():
    assert tuple(FAILING) == FAILURES
    assert tuple(validate(raw, today=TODAY).failure for raw in FAILING.values()) == FAILURES


@pytest.mark.parametrize("raw", [*FAILING.values(), _id("510104", "18991231"), "３６０４２６１９９１０１０１００７２"])
def test_failures_have_fixed_bilingual_messages_with_no_part_of_the_input(raw):
    result = validate(raw, today=TODAY)
    assert not result.ok
    assert (result.kind, result.birth_date, result.sex) == (None, None, None)
    assert result.failure in FAILURES
    assert (result.message_en, result.message_zh) in MESSAGES.values()
    assert result.message_en.isascii()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.message_zh)
    number = result.number
    birth = number[6:14]
    for message in (result.message_en, result.message_zh):
        assert not any(number[i:i + 4] in message for i in range(len(number) - 3))
        assert birth not in message and f"{birth[:4]}-{birth[4:6]}-{birth[6:]}" not in message


def test_messages_are_the_same_for_different_inputs_with_the_same_failure():
    a = validate(_id("510104", "20230229"), today=TODAY)
    b = validate(_id("320106", "19000229", "456"), today=TODAY)
    assert (a.message_en, a.message_zh) == (b.message_en, b.message_zh)


def test_result_is_frozen():
    result = validate(PUBLISHED[0], today=TODAY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]


def test_today_is_required():
    with pytest.raises(TypeError):
        validate(PUBLISHED[0])  # type: ignore[call-arg]


# --- normalise -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002X",
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105\t19491231\n002x",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits and X
        "１１０１０５１９４９１２３１００２ｘ",  # full-width lower-case x
        "１１０１０５　１９４９１２３１　００２Ｘ",  # ideographic spaces
    ],
)
def test_normalise_folds_spaces_case_and_full_width(raw):
    assert normalise(raw) == "11010519491231002X"
    assert validate(raw, today=TODAY) == validate("11010519491231002X", today=TODAY)


def test_normalise_leaves_other_characters_for_validate_to_reject():
    assert normalise("110105-1949") == "110105-1949"
    assert normalise("") == ""
    assert validate("110105-19491231002", today=TODAY).failure == "characters"


# --- generate --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_generate_builds_valid_numbers_of_each_kind(kind):
    rng = random.Random(kind)
    for i in range(300):
        birth = date(1940 + i % 70, 1 + i % 12, 1 + i % 28)
        number = generate(rng, kind=kind, birth=birth)
        result = validate(number, today=TODAY)
        assert result.ok, number
        assert (result.kind, result.birth_date) == (kind, birth)


def test_generate_resident_uses_chengdu_districts():
    rng = random.Random(1)
    prefixes = {generate(rng, birth=date(1980, 5, 5))[:6] for _ in range(200)}
    assert prefixes == {"510104", "510105", "510106", "510107"}


@pytest.mark.parametrize("kind,prefix", [("hk_permit", "810000"), ("mo_permit", "820000"), ("tw_permit", "830000")])
def test_generate_permit_prefixes(kind, prefix):
    assert generate(random.Random(0), kind=kind, birth=date(1990, 1, 1)).startswith(prefix)


def test_generate_foreigner_starts_with_9():
    assert generate(random.Random(0), kind="foreigner", birth=date(1990, 1, 1))[0] == "9"


@pytest.mark.parametrize("female,sex", [(True, "female"), (False, "male")])
def test_generate_honours_sex(female, sex):
    rng = random.Random(5)
    for kind in KINDS:
        for _ in range(100):
            assert validate(generate(rng, kind=kind, birth=date(1985, 3, 3), female=female), today=TODAY).sex == sex


def test_generate_without_sex_gives_both():
    rng = random.Random(5)
    sexes = {validate(generate(rng, birth=date(1985, 3, 3)), today=TODAY).sex for _ in range(100)}
    assert sexes == {"male", "female"}


def test_generate_can_build_numbers_that_are_too_young_on_the_day():
    number = generate(random.Random(3), birth=date(2010, 11, 27))
    assert validate(number, today=TODAY).failure == "too_young"
    assert validate(number, today=date(2026, 11, 27)).ok


def test_generate_is_deterministic_per_seed():
    assert generate(random.Random(42), birth=date(1990, 1, 1)) == generate(random.Random(42), birth=date(1990, 1, 1))


def test_generate_rejects_unknown_kind_and_early_birth():
    with pytest.raises(ValueError):
        generate(random.Random(0), kind="passport", birth=date(1990, 1, 1))
    with pytest.raises(ValueError):
        generate(random.Random(0), birth=date(1899, 12, 31))


def test_generate_requires_keyword_arguments():
    with pytest.raises(TypeError):
        generate(random.Random(0), "resident", date(1990, 1, 1))  # type: ignore[misc]
