"""Unified Social Credit Code validation (registry.companies.uscc)."""
from __future__ import annotations

import dataclasses
import random

import pytest

from registry.companies import uscc
from registry.companies.uscc import (
    ALPHABET,
    FAILURES,
    UsccResult,
    check_character,
    generate,
    make_valid,
    normalise,
    org_code_check_character,
    validate,
)

PUBLISHED = ("91110000600037341L", "91350200776049653A", "91440101MA5CJQ4N59")
XIAMEN = "91350203M0001QAY9B"  # genuine early code whose position 18 fails the checksum


def _with_org_code(first8: str, body: str) -> str:
    """Build a valid code from positions 1-8 and an 8-character organisation code body."""
    return make_valid(first8 + body + org_code_check_character(body))


# Registration authorities A (military), N (rural collective) and Y (other) must pass.
SPECIAL_PREFIXES = (
    _with_org_code("A1510104", "MA6CA5R1"),
    _with_org_code("N2510121", "77604965"),
    _with_org_code("Y1510100", "60003734"),
)
VALID = PUBLISHED + SPECIAL_PREFIXES
GENERATED = tuple(generate(random.Random(seed)) for seed in range(40))


def _substitutions(code: str, replacements: str):
    """Yield (position, character, changed code) for every single-character change."""
    for i, old in enumerate(code):
        for ch in replacements:
            if ch.upper() != old:
                yield i + 1, ch, code[:i] + ch + code[i + 1:]


def _neighbour_swaps(code: str):
    """Yield (position, changed code) for every swap of two neighbouring different characters."""
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            yield i + 1, code[:i] + code[i + 1] + code[i] + code[i + 2:]


# --- constants ---------------------------------------------------------------


def test_alphabet_is_the_31_characters_without_i_o_s_v_z():
    assert ALPHABET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("IOSVZ") & set(ALPHABET)


def test_weights_are_the_published_powers_of_three():
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    # Position 18 enters the check with weight 1; with it, all neighbouring weights
    # differ mod 31, which is why every neighbour swap is caught.
    effective = (*uscc.WEIGHTS, 1)
    assert all(w % 31 for w in effective)
    assert all((a - b) % 31 for a, b in zip(effective, effective[1:]))


def test_org_code_weights():
    assert uscc.ORG_WEIGHTS == (3, 7, 9, 10, 5, 8, 4, 2)


# --- valid codes ---------------------------------------------------------------


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    result = validate(code)
    assert result == UsccResult(ok=True, code=code, failure=None, message_en="", message_zh="")


@pytest.mark.parametrize("code", PUBLISHED)
def test_check_character_reproduces_published_codes(code):
    assert check_character(code[:17]) == code[17]
    assert make_valid(code[:17]) == code


@pytest.mark.parametrize("code,first", zip(SPECIAL_PREFIXES, "ANY"))
def test_special_registration_authorities_are_accepted(code, first):
    assert code[0] == first
    assert validate(code).ok


@pytest.mark.parametrize("first", ALPHABET)
def test_any_alphabet_character_is_accepted_as_registration_authority(first):
    assert validate(_with_org_code(first + "1510100", "60003734")).ok


@pytest.mark.parametrize("code", VALID)
def test_lower_case_input_is_accepted(code):
    result = validate(code.lower())
    assert result.ok
    assert result.code == code


# --- GB 11714 organisation code check ----------------------------------------------


@pytest.mark.parametrize(
    "body,expected",
    [
        ("60003734", "1"),  # from 91110000600037341L
        ("77604965", "3"),  # from 91350200776049653A
        ("MA5CJQ4N", "5"),  # from 91440101MA5CJQ4N59
        ("M0001QAY", "9"),  # from the Xiamen code
        ("00000000", "0"),  # sum 0: C = 11, written 0
        ("00000006", "X"),  # sum 12 = 1 mod 11: C = 10, written X
        ("A0000000", "3"),  # A = 10: sum 30 = 8 mod 11, C = 3
        ("Z0000000", "5"),  # Z = 35 (0-9A-Z values, not the 31-set): sum 105 = 6 mod 11, C = 5
    ],
)
def test_org_code_check_character(body, expected):
    assert org_code_check_character(body) == expected


@pytest.mark.parametrize("bad", ["", "6000373", "600037341", "6000373a", "6000-373"])
def test_org_code_check_character_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        org_code_check_character(bad)


@pytest.mark.parametrize("bad", ["", "9111000060003734", "91110000600037341L", "9111000060003734I",
                                 "9111000060003734l"])
def test_check_character_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        check_character(bad)
    with pytest.raises(ValueError):
        make_valid(bad)


# --- every single-character error and neighbour swap is caught ----------------------


@pytest.mark.parametrize("code", VALID + GENERATED)
def test_every_substitution_within_the_alphabet_is_rejected(code):
    replacements = ALPHABET + ALPHABET.lower()
    accepted = [(pos, ch) for pos, ch, changed in _substitutions(code, replacements) if validate(changed).ok]
    assert accepted == []
    assert sum(1 for _ in _substitutions(code, ALPHABET)) == 18 * 30


@pytest.mark.parametrize("code", VALID)
def test_every_substitution_outside_the_alphabet_is_an_alphabet_failure(code):
    for pos, ch, changed in _substitutions(code, "IOSVZiosvz-_.#中"):
        result = validate(changed)
        assert result.failure == "alphabet", (pos, ch)
        assert str(pos) in result.message_en


@pytest.mark.parametrize("code", VALID + GENERATED)
def test_every_neighbour_swap_is_rejected(code):
    swaps = list(_neighbour_swaps(code))
    assert swaps
    accepted = [pos for pos, changed in swaps if validate(changed).ok]
    assert accepted == []


def test_swapping_positions_17_and_18_is_rejected():
    code = _with_org_code("91510100", "60003734")
    assert code[16] != code[17]
    swapped = code[:16] + code[17] + code[16]
    assert not validate(swapped).ok


# --- failures ---------------------------------------------------------------------


def test_xiamen_code_fails_the_checksum_only():
    result = validate(XIAMEN)
    assert not result.ok
    assert result.failure == "checksum"
    assert result.code == XIAMEN
    # Its organisation code is sound, so only position 18 disagrees.
    assert org_code_check_character(XIAMEN[8:16]) == XIAMEN[16]
    assert check_character(XIAMEN[:17]) != XIAMEN[17]


@pytest.mark.parametrize("raw,length", [("", 0), ("9111000060003734", 16), ("91110000600037341", 17),
                                       ("91110000600037341L0", 19), ("  ", 0)])
def test_length_failure(raw, length):
    result = validate(raw)
    assert (result.ok, result.failure) == (False, "length")
    assert str(length) in result.message_en
    assert str(length) in result.message_zh


def test_alphabet_failure():
    result = validate("91110000600037341O")
    assert (result.ok, result.failure) == (False, "alphabet")
    assert "18" in result.message_en and "O" in result.message_en
    assert "第18位" in result.message_zh


def test_region_failure():
    result = validate("9111A000600037341L")
    assert (result.ok, result.failure) == (False, "region")
    assert "position 5" in result.message_en
    assert "第5位" in result.message_zh


def test_org_code_failure():
    result = validate("91110000600037342L")
    assert (result.ok, result.failure) == (False, "org_code")
    assert "position 17" in result.message_en and "manual review" in result.message_en
    assert "第17位" in result.message_zh and "人工审核" in result.message_zh


def test_checksum_failure_message_points_to_manual_review():
    result = validate("91110000600037341A")
    assert (result.ok, result.failure) == (False, "checksum")
    assert result.message_en == (
        "The code fails its check (position 18, the check character). Compare it with the business licence. A "
        "genuine early code that fails this check is registered through a regulator's manual review.")
    assert result.message_zh == ("第18位校验码错误，此代码未通过校验。请与营业执照逐位核对。"
                                 "确为早期颁发、未通过校验的真实代码，可由监管部门人工审核登记。")


@pytest.mark.parametrize("position,failure", [(17, "org_code"), (18, "checksum")])
def test_a_failed_check_never_reveals_the_character_that_would_pass(position, failure):
    """Were the right character named, the holder of a genuine early code would be invited to alter it."""
    good = "91110000600037341L"
    results = [validate(good[:position - 1] + ch + good[position:]) for ch in ALPHABET.replace(good[position - 1], "")]
    assert {r.failure for r in results} == {failure}
    # One fixed text for all 30 wrong characters: it cannot depend on the right one.
    messages = {(r.message_en, r.message_zh) for r in results}
    assert len(messages) == 1
    en, zh = messages.pop()
    assert "expected" not in en and "应为" not in zh


@pytest.mark.parametrize(
    "code,failure",
    [
        ("I1110000600037341", "length"),  # wrong length beats a bad character
        ("91A10000600037341O", "alphabet"),  # a bad character beats a bad region
        ("91I10000600037341L", "alphabet"),  # I is outside the alphabet, not merely a non-digit
        ("91A10000600037342A", "region"),  # a bad region beats both checks
        ("91110000600037342A", "org_code"),  # the org-code check comes before the checksum
    ],
)
def test_checks_run_in_order(code, failure):
    assert validate(code).failure == failure


@pytest.mark.parametrize(
    "code",
    ["", "91110000600037341O", "9111A000600037341L", "91110000600037342L", "91110000600037341A", XIAMEN],
)
def test_failures_have_bilingual_messages(code):
    result = validate(code)
    assert not result.ok
    assert result.failure in FAILURES
    assert result.message_en.strip() and result.message_zh.strip()
    assert result.message_en.isascii()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.message_zh)


def test_every_failure_kind_is_reachable():
    codes = ["", "91110000600037341O", "9111A000600037341L", "91110000600037342L", "91110000600037341A"]
    assert tuple(validate(c).failure for c in codes) == FAILURES


def test_result_is_frozen():
    result = validate(PUBLISHED[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]


# --- normalise -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341L",
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "9111\t0000\n600037341L",
        "９１１１００００６０００３７３４１Ｌ",  # full-width digits and letter
        "９１１１００００６０００３７３４１ｌ",  # full-width lower-case letter
        "９１１１　００００　６０００３７３４１Ｌ",  # ideographic (full-width) spaces
    ],
)
def test_normalise_folds_spaces_case_and_full_width(raw):
    assert normalise(raw) == "91110000600037341L"
    assert validate(raw) == validate("91110000600037341L")


def test_normalise_leaves_other_characters_for_validate_to_reject():
    assert normalise("9111-0000") == "9111-0000"
    assert normalise("９１！") == "91！"
    assert normalise("") == ""


def test_full_width_code_reports_the_normalised_code():
    assert validate("ＭＡ" + "x" * 16).code == "MA" + "X" * 16


# --- generate -------------------------------------------------------------------------


def test_generate_produces_valid_codes_for_many_seeds():
    codes = [generate(random.Random(seed)) for seed in range(2000)]
    assert all(validate(c).ok for c in codes)
    assert all(c.startswith("91510100") for c in codes)
    assert len(set(codes)) == len(codes)


def test_generate_reuses_one_rng_for_many_valid_codes():
    rng = random.Random(7)
    assert all(validate(generate(rng)).ok for _ in range(500))


def test_generate_is_deterministic_per_seed():
    assert generate(random.Random(42)) == generate(random.Random(42))


@pytest.mark.parametrize("first2,region", [("A1", "510104"), ("N2", "510121"), ("Y1", "510185"), ("51", "000000")])
def test_generate_honours_prefix_and_region(first2, region):
    rng = random.Random(1)
    for _ in range(50):
        code = generate(rng, first2=first2, region=region)
        assert code[:2] == first2 and code[2:8] == region
        assert validate(code).ok


@pytest.mark.parametrize("first2,region", [("9", "510100"), ("9I", "510100"), ("91", "51010"), ("91", "51010A")])
def test_generate_rejects_bad_prefix_or_region(first2, region):
    with pytest.raises(ValueError):
        generate(random.Random(0), first2=first2, region=region)
