"""The pure terms of the listings search: how `q` is read, and the earliest decision date whose window is open."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from registry.clock import add_months
from registry.sanctions import rules, search_terms
from registry.workers import cardno

CARD = cardno.new_card_no()
USCC = "91510104MA61234560"


def test_every_day_of_four_years_and_every_window_agrees_with_window_end():
    """add_months(d, m) >= today ⇔ d >= earliest_open_decision(today, m), month-end clamping included."""
    day = date(2026, 1, 1)
    while day < date(2030, 1, 1):
        for m in range(1, search_terms.LONGEST_WINDOW + 1):
            first = search_terms.earliest_open_decision(day, m)
            assert rules.window_end(first, m) >= day, (day, m)
            assert rules.window_end(first - timedelta(days=1), m) < day, (day, m)
        day += timedelta(days=1)


@pytest.mark.parametrize("today,months,first", [
    (date(2026, 3, 31), 1, date(2026, 3, 1)),     # 28 Feb + 1 month = 28 Mar: too early
    (date(2026, 3, 28), 1, date(2026, 2, 28)),
    (date(2028, 3, 30), 1, date(2028, 3, 1)),     # leap year: 29 Feb + 1 = 29 Mar
    (date(2028, 3, 29), 1, date(2028, 2, 29)),
    (date(2026, 7, 31), 3, date(2026, 5, 1)),     # 30 Apr + 3 = 30 Jul
    (date(2026, 8, 1), 3, date(2026, 5, 1)),
])
def test_month_end_edges(today, months, first):
    assert search_terms.earliest_open_decision(today, months) == first
    assert add_months(first, months) >= today


def test_the_longest_window():
    assert search_terms.LONGEST_WINDOW == 36
    assert search_terms.earliest_public_decision(date(2029, 5, 29)) == date(2026, 5, 29)


def test_q_is_read_by_its_shape():
    assert search_terms.read_q(None) == search_terms.Term(None)
    assert search_terms.read_q("  ") == search_terms.Term(None)
    assert search_terms.read_q(CARD) == search_terms.Term("card", CARD)
    assert search_terms.read_q(" " + CARD.lower()[:5] + "-" + CARD.lower()[5:]) == search_terms.Term("card", CARD)
    wrong = CARD[:-1] + ("0" if CARD[-1] != "0" else "1")
    assert search_terms.read_q(wrong) == search_terms.Term("card", wrong, typo=True)
    # A USCC's shape, checksum or not (a genuine early code may fail it).
    assert search_terms.read_q(USCC.lower()) == search_terms.Term("uscc", USCC)
    assert search_terms.read_q("91350203M0001QAY9B").kind == "uscc"
    for text in ("安心", "欧阳明华", "JX12", "91510104MA6123456", "ABC DEF", USCC + "0"):
        assert search_terms.read_q(text) == search_terms.Term("text", text), text


def test_a_card_shape_is_not_a_uscc_shape():
    assert search_terms.uscc_shaped(CARD) is None
    assert search_terms.card_shaped(USCC) is None
