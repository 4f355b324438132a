"""The household reference: a keyed HMAC of the E.164 phone, and each company's own derivation of it."""
from __future__ import annotations

import pytest

from registry.trace.household import COMPANY_CHARS, company_household, household_ref

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def test_the_reference_is_64_hex_and_depends_on_phone_and_key():
    ref = household_ref(KEY, "+8613912340001")
    assert len(ref) == 64 and all(c in "0123456789abcdef" for c in ref)
    assert ref == household_ref(KEY, "+8613912340001")
    assert ref != household_ref(KEY, "+8613912340002")
    assert ref != household_ref(OTHER_KEY, "+8613912340001")
    assert "13912340001" not in ref


def test_a_phone_not_in_e164_form_is_refused():
    with pytest.raises(ValueError):
        household_ref(KEY, "13912340001")


def test_each_company_sees_its_own_derivation():
    ref = household_ref(KEY, "+8613912340001")
    a = company_household(KEY, "a" * 32, ref)
    b = company_household(KEY, "b" * 32, ref)
    assert len(a) == COMPANY_CHARS and a != b
    assert a == company_household(KEY, "a" * 32, ref)
    assert a not in ref and a != company_household(KEY, "a" * 32, household_ref(KEY, "+8613912340002"))
