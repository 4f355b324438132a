"""Lifetime card numbers (registry.workers.cardno)."""
from __future__ import annotations

import dataclasses
import inspect
import random
from collections import Counter

import pytest

from registry.workers import cardno
from registry.workers.cardno import (
    ALPHABET,
    FAILURES,
    MESSAGES,
    CardResult,
    check_character,
    new_card_no,
    normalise,
    validate,
)

FIXED = ("JX0000000000K", "JXYYYYYYYYYY3")
SEEDED = tuple(new_card_no(random.Random(seed)) for seed in range(200))
# Full-width I and O fold to I and O; U+00A0 is whitespace, dropped, so a length failure.
OUTSIDE = "IOSVZiosvz.#_/+*中文ＩＯ\u00a0"


def _substitutions(card_no: str, replacements: str):
    """Yield (position, character, changed number) for every single-character change."""
    for i, old in enumerate(card_no):
        for ch in replacements:
            if ch.upper() != old:
                yield i + 1, ch, card_no[:i] + ch + card_no[i + 1:]


def _neighbour_swaps(card_no: str):
    """Yield (position, changed number) for every swap of two neighbouring different characters."""
    for i in range(len(card_no) - 1):
        if card_no[i] != card_no[i + 1]:
            yield i + 1, card_no[:i] + card_no[i + 1] + card_no[i] + card_no[i + 2:]


def _sum_ok(card_no: str) -> bool:
    """Apply the check independently: Σ value·3^(i−1) over 1-12 plus the check's value ≡ 0 (mod 31)."""
    values = [ALPHABET.index(ch) for ch in card_no]
    return (sum(v * pow(3, i, 31) for i, v in enumerate(values[:12])) + values[12]) % 31 == 0


# --- constants -------------------------------------------------------------------


def test_alphabet_is_the_usccs():
    assert ALPHABET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert not set("IOSVZ") & set(ALPHABET)
    from registry.companies import uscc

    assert ALPHABET == uscc.ALPHABET


def test_prefix_letters_are_in_the_alphabet():
    assert cardno.VALUES["J"] == 18
    assert cardno.VALUES["X"] == 29


def test_layout():
    assert cardno.PREFIX == "JX"
    assert cardno.LENGTH == 13


def test_weights_are_powers_of_three():
    assert cardno.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13)
    assert cardno.WEIGHTS == tuple(pow(3, i, 31) for i in range(12))


def test_the_check_catches_every_substitution_and_neighbour_swap_by_exhaustion():
    # The check character enters the sum with weight 1.
    weights = (*cardno.WEIGHTS, 1)
    values = range(31)
    # A substitution changes the sum by (new − old)·w; 31 is prime and no weight is 0.
    assert all((new - old) * w % 31 for w in weights for old in values for new in values if new != old)
    # A neighbour swap changes it by (a − b)·(w_i − w_i+1): neighbouring weights differ,
    # including 3^11 = 13 against the check's 1.
    assert all(
        (a - b) * (w1 - w2) % 31
        for w1, w2 in zip(weights, weights[1:])
        for a in values
        for b in values
        if a != b
    )


# --- the check character ------------------------------------------------------------


@pytest.mark.parametrize("card_no", FIXED)
def test_fixed_vectors(card_no):
    # JX0000000000: 18·1 + 29·3 = 105 = 12 mod 31, so the check is 31 − 12 = 19 = K.
    assert check_character(card_no[:12]) == card_no[12]
    assert _sum_ok(card_no)
    assert validate(card_no) == CardResult(ok=True, card_no=card_no, failure=None, message_en="", message_zh="")


def test_check_character_agrees_with_the_independent_sum():
    rng = random.Random(31)
    for _ in range(3000):
        first12 = "JX" + "".join(rng.choice(ALPHABET) for _ in range(10))
        assert _sum_ok(first12 + check_character(first12))


def test_check_character_reaches_every_alphabet_character():
    checks = {check_character("JX" + "0" * 9 + ch) for ch in ALPHABET}
    assert checks == set(ALPHABET)


@pytest.mark.parametrize("bad", ["", "JX000000000", "JX0000000000K", "JX000000000I", "JX000000000k", "JX00000-0000"])
def test_check_character_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        check_character(bad)


# --- new card numbers ------------------------------------------------------------------


def test_new_card_numbers_are_valid_and_distinct_across_10000_draws():
    drawn = [new_card_no() for _ in range(10_000)]
    assert len(set(drawn)) == len(drawn)
    assert all(validate(n).ok for n in drawn)
    assert all(len(n) == 13 and n.startswith("JX") and n == n.upper() for n in drawn)


def test_every_character_appears_at_every_random_position():
    # With 10,000 draws each (position, character) pair is expected ~322 times; a gap
    # would mean the draw is not over the whole alphabet.
    drawn = [new_card_no() for _ in range(10_000)]
    for pos in range(2, 12):
        counts = Counter(n[pos] for n in drawn)
        assert set(counts) == set(ALPHABET), pos
        assert min(counts.values()) > 150


def test_draws_are_not_sequential():
    drawn = [new_card_no() for _ in range(1000)]
    assert drawn != sorted(drawn)
    # Neighbouring draws share no long common prefix beyond JX, as a counter would.
    assert sum(a[:6] == b[:6] for a, b in zip(drawn, drawn[1:])) < 5


def test_new_card_no_takes_nothing_but_a_random_source():
    params = inspect.signature(new_card_no).parameters
    assert list(params) == ["rng"]
    # Unseeded, it reads the operating system's randomness (os.urandom).
    assert params["rng"].default is None


def test_seeded_rng_is_deterministic():
    assert new_card_no(random.Random(7)) == new_card_no(random.Random(7))
    assert new_card_no(random.Random(7)) != new_card_no(random.Random(8))


def test_seeded_draws_are_valid_and_distinct():
    rng = random.Random(2026)
    drawn = [new_card_no(rng) for _ in range(10_000)]
    assert len(set(drawn)) == len(drawn)
    assert all(validate(n).ok for n in drawn)


# --- every single typo and every neighbour swap is caught ---------------------------------------


@pytest.mark.parametrize("card_no", FIXED + SEEDED)
def test_every_substitution_within_the_alphabet_is_rejected(card_no):
    changes = list(_substitutions(card_no, ALPHABET))
    assert len(changes) == 13 * 30
    assert [(pos, ch) for pos, ch, changed in changes if validate(changed).ok] == []
    # Lower-case letters are the same characters, so lower-case substitutes of others fail too.
    assert [(pos, ch) for pos, ch, changed in _substitutions(card_no, ALPHABET.lower()) if validate(changed).ok] == []
    # Outside the prefix, it is the check character that catches them.
    for pos, ch, changed in changes:
        if pos > 2:
            assert validate(changed).failure == "checksum", (pos, ch)
            assert not _sum_ok(changed)
        else:
            assert validate(changed).failure == "prefix", (pos, ch)


@pytest.mark.parametrize("card_no", FIXED + SEEDED[:20])
def test_every_substitution_outside_the_alphabet_is_rejected(card_no):
    for pos, ch, changed in _substitutions(card_no, OUTSIDE):
        result = validate(changed)
        assert not result.ok, (pos, ch)
        if ch.isspace():
            expected = "length"
        elif pos <= 2:
            expected = "prefix"
        else:
            expected = "characters"
        assert result.failure == expected, (pos, ch)


@pytest.mark.parametrize("seed", range(20))
def test_every_neighbour_swap_is_rejected(seed):
    rng = random.Random(seed)
    tried = 0
    for _ in range(500):
        card_no = new_card_no(rng)
        for pos, changed in _neighbour_swaps(card_no):
            tried += 1
            result = validate(changed)
            assert not result.ok, (card_no, pos)
            # 1↔2 makes XJ; every other swap is caught by the check character itself.
            assert result.failure == ("prefix" if pos <= 2 else "checksum"), (card_no, pos)
    assert tried > 500 * 11


def test_swapping_the_check_character_with_its_neighbour_is_rejected():
    card_no = next(n for n in SEEDED if n[11] != n[12])
    assert validate(card_no[:11] + card_no[12] + card_no[11]).failure == "checksum"


# --- case and normalisation ---------------------------------------------------------------


@pytest.mark.parametrize("card_no", FIXED + SEEDED[:20])
def test_case_insensitive(card_no):
    assert validate(card_no.lower()) == validate(card_no)
    mixed = "".join(ch.lower() if i % 2 else ch for i, ch in enumerate(card_no))
    assert validate(mixed) == validate(card_no)


@pytest.mark.parametrize(
    "raw",
    [
        "JX0000000000K",
        "jx0000000000k",
        " JX 0000 0000 00K ",
        "JX-0000-0000-00K",
        "JX－0000－0000－00K",  # full-width hyphen-minus
        "JX—0000–0000‐00K",  # dashes Chinese input methods produce
        "ＪＸ００００００００００Ｋ",  # full-width letters and digits
        "ｊｘ００００　００００　００ｋ",  # full-width lower case and ideographic spaces
        "JX\t0000\n000000K",
    ],
)
def test_normalise_folds_spaces_hyphens_case_and_full_width(raw):
    assert normalise(raw) == "JX0000000000K"
    assert validate(raw) == validate("JX0000000000K")


def test_normalise_leaves_other_characters_for_validate_to_reject():
    assert normalise("JX.0000") == "JX.0000"
    assert normalise("") == ""


# --- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "JX", "JX0000000000", "JX0000000000K0", "0000000000K", "   ", "--"])
def test_length(raw):
    result = validate(raw)
    assert (result.ok, result.failure) == (False, "length")
    assert result.message_en == "A card number has 13 characters: JX followed by 11 digits and letters."
    assert result.message_zh == "卡号应为13位：JX 加 11 位数字和字母。"


@pytest.mark.parametrize(
    "raw", ["XJ0000000000K", "JY0000000000K", "AX0000000000K", "0000000000000", "J10000000000K", "IX0000000000K"]
)
def test_prefix(raw):
    result = validate(raw)
    assert (result.ok, result.failure) == (False, "prefix")
    assert result.message_en == "A card number starts with JX."
    assert result.message_zh == "卡号应以 JX 开头。"


@pytest.mark.parametrize("raw", ["JX000000000OK", "JXI000000000K", "JX0000000000Z", "JX00000.0000K", "JX00000中00000"])
def test_characters(raw):
    result = validate(raw)
    assert (result.ok, result.failure) == (False, "characters")
    assert result.message_en == "A card number contains only digits and capital letters other than I, O, S, V and Z."
    assert result.message_zh == "卡号只能包含数字和除 I、O、S、V、Z 以外的英文字母。"


def test_checksum():
    result = validate("JX0000000000L")
    assert (result.ok, result.failure) == (False, "checksum")
    assert result.card_no == "JX0000000000L"
    # Plain words, not "the check character does not match": the reader needs what to do, not the rule.
    assert result.message_en == ("One character of the card number is mistyped: compare it with the card, "
                                 "character by character.")
    assert result.message_zh == "卡号有一位输错了，请对照服务证逐位核对。"


def test_a_wrong_check_character_is_never_corrected_for_the_typist():
    """The same words for every wrong character: they cannot name the one that would pass."""
    good = new_card_no(random.Random(5))
    results = [validate(good[:-1] + ch) for ch in ALPHABET.replace(good[-1], "")]
    assert {r.failure for r in results} == {"checksum"}
    assert len({(r.message_en, r.message_zh) for r in results}) == 1


@pytest.mark.parametrize(
    "raw,failure",
    [
        ("XJ000000000OL", "prefix"),  # wrong length is checked first; this one is 13 long
        ("XJ00000000", "length"),  # short beats a bad prefix
        ("XJ000000000OK", "prefix"),  # a bad prefix beats a bad character
        ("JX000000000OL", "characters"),  # a bad character beats the check
        ("JX0000000000L", "checksum"),
    ],
)
def test_checks_run_in_order(raw, failure):
    assert validate(raw).failure == failure


FAILING = {"length": "JX0", "prefix": "XJ0000000000K", "characters": "JX000000000OK", "checksum": "JX0000000000L"}


def test_every_failure_kind_is_reachable():
    assert tuple(FAILING) == FAILURES
    assert tuple(validate(raw).failure for raw in FAILING.values()) == FAILURES


@pytest.mark.parametrize("raw", FAILING.values())
def test_failures_have_fixed_bilingual_messages(raw):
    result = validate(raw)
    assert not result.ok
    assert (result.message_en, result.message_zh) == MESSAGES[result.failure]
    assert result.message_en.isascii()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.message_zh)
    assert result.card_no[2:] not in result.message_en + result.message_zh


def test_result_is_frozen():
    result = validate(FIXED[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]
