"""The pure code and PIN module: generation, normalisation, hashing, verification, PIN rules."""
from __future__ import annotations

import collections
import itertools

import pytest

from registry.companies.uscc import ALPHABET
from registry.selfservice import codes

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
REF = "0123456789abcdef0123456789abcdef"


def test_generated_codes_have_8_characters_of_the_uscc_alphabet():
    for _ in range(500):
        code = codes.generate()
        assert len(code) == 8 and set(code) <= set(ALPHABET)
        assert codes.well_formed(code)


def test_generated_codes_use_the_whole_alphabet_and_do_not_repeat():
    drawn = [codes.generate() for _ in range(2000)]
    assert len(set(drawn)) == len(drawn)
    counts = collections.Counter(itertools.chain.from_iterable(drawn))
    assert set(counts) == set(ALPHABET)
    # 16 000 characters over 31 symbols: about 516 each; a biased draw would stray far.
    assert min(counts.values()) > 380 and max(counts.values()) < 660


@pytest.mark.parametrize("typed,expected", [
    ("7KQ3M9TB", "7KQ3M9TB"),
    ("7kq3m9tb", "7KQ3M9TB"),
    ("7KQ3-M9TB", "7KQ3M9TB"),
    (" 7KQ3 M9TB ", "7KQ3M9TB"),
    ("7k-q3 m9_tb", "7KQ3M9TB"),
    ("7KQ3\u2014M9TB", "7KQ3M9TB"),          # an input method's em dash
    ("７ＫＱ３－Ｍ９ＴＢ", "7KQ3M9TB"),       # full-width
    ("7KQ3\u3000M9TB", "7KQ3M9TB"),          # ideographic space
    ("OI2S-Z5VU", "012525UU"),               # look-alikes: O→0 I→1 S→5 Z→2 V→U
])
def test_normalise_is_forgiving(typed, expected):
    assert codes.normalise(typed) == expected


def test_the_lookalike_letters_map_into_the_alphabet():
    assert codes.normalise("OISZV") == "0152U"
    for ch in "IOSVZ":
        assert ch not in ALPHABET
        assert codes.normalise(ch) in ALPHABET


@pytest.mark.parametrize("raw", ["", "7KQ3M9T", "7KQ3M9TBX", "7KQ3M9T!", "7KQ3M9T中", None, 12345678])
def test_malformed_codes_are_not_well_formed(raw):
    assert not codes.well_formed(codes.normalise(raw))


def test_grouped_reads_as_two_groups_of_four():
    assert codes.grouped("7KQ3M9TB") == "7KQ3-M9TB"
    assert codes.normalise(codes.grouped("7KQ3M9TB")) == "7KQ3M9TB"


def test_hash_is_keyed_bound_to_kind_and_worker_and_hides_the_code():
    h = codes.code_hash(KEY, "consent", REF, "7KQ3M9TB")
    assert len(h) == 64 and int(h, 16) >= 0
    assert "7KQ3M9TB" not in h
    assert h == codes.code_hash(KEY, "consent", REF, "7KQ3M9TB")
    assert h != codes.code_hash(OTHER_KEY, "consent", REF, "7KQ3M9TB")
    assert h != codes.code_hash(KEY, "activation", REF, "7KQ3M9TB")
    assert h != codes.code_hash(KEY, "consent", "f" * 32, "7KQ3M9TB")
    assert h != codes.code_hash(KEY, "consent", REF, "7KQ3M9TC")
    with pytest.raises(ValueError):
        codes.code_hash(KEY, "reset", REF, "7KQ3M9TB")


def test_verify_accepts_what_a_person_types_and_nothing_else():
    stored = codes.code_hash(KEY, "consent", REF, "7KQ30M1B")
    for typed in ("7KQ30M1B", "7kq3-0m1b", "7KQ3 OM1B", "7kq3oMib", "７ＫＱ３０Ｍ１Ｂ"):
        assert codes.verify(KEY, "consent", REF, typed, stored), typed
    for typed in ("7KQ30M1C", "7KQ30M1", "7KQ30M1BB", "", "7KQ30M1B!"):
        assert not codes.verify(KEY, "consent", REF, typed, stored), typed
    assert not codes.verify(KEY, "activation", REF, "7KQ30M1B", stored)
    assert not codes.verify(KEY, "consent", "e" * 32, "7KQ30M1B", stored)
    assert not codes.verify(OTHER_KEY, "consent", REF, "7KQ30M1B", stored)


def test_every_single_character_change_fails_verification():
    code = "7KQ3M9TB"
    stored = codes.code_hash(KEY, "consent", REF, code)
    for i, ch in itertools.product(range(8), ALPHABET):
        if code[i] == ch:
            continue
        assert not codes.verify(KEY, "consent", REF, code[:i] + ch + code[i + 1:], stored)


@pytest.mark.parametrize("pin", ["204937", "000001", "135790", "112233", "975310", "801234567890", "090909"])
def test_good_pins(pin):
    assert codes.pin_problem(pin) is None


@pytest.mark.parametrize("pin,why", [
    ("", "digits only"),
    ("20493", "6 to 12"),
    ("2049371234567", "6 to 12"),
    ("20493a", "digits only"),
    ("204 937", "digits only"),
    ("２０４９３７", "digits only"),   # full-width digits are digits to Python, not to us
    ("²04937", "digits only"),
    ("111111", "repeat"),
    ("000000000", "repeat"),
    ("123456", "straight run"),
    ("654321", "straight run"),
    ("012345", "straight run"),
    ("987654", "straight run"),
    ("890123", "straight run"),        # a run that wraps past 9
    ("3456789012", "straight run"),
    (None, "digits only"),
    (123456, "digits only"),
])
def test_weak_pins_say_why_in_both_languages(pin, why):
    problem = codes.pin_problem(pin)
    assert problem is not None
    en, zh = problem
    assert why in en and zh


def test_every_six_digit_run_up_or_down_is_refused_and_near_runs_are_not():
    runs = ["".join(str((s + d * i) % 10) for i in range(6)) for s in range(10) for d in (1, 9)]
    assert all(codes.pin_problem(r) for r in runs)
    assert codes.pin_problem("123457") is None and codes.pin_problem("123465") is None
