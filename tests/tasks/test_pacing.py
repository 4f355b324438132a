"""Batches sized by time (registry/tasks/pacing.py): a batch of bulk work holds the log head's lock for about the
target, whatever the rows cost; it grows at most twofold a step, shrinks at once, and stays within its bounds."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.tasks.pacing import Pacer


def test_the_first_batch_is_small_and_within_the_bounds():
    assert Pacer().size == 50
    assert Pacer(most=20).size == 20
    assert Pacer(first=5, least=10, most=100).size == 10


def test_the_next_batch_takes_the_rows_the_last_rate_fits_in_the_target():
    p = Pacer(target=0.1, most=1000)
    assert p.took(50, 0.05) == 100  # 1,000 rows a second: 100 in a tenth
    assert p.took(100, 0.05) == 200  # 2,000 a second would fit 200: at most twice the last
    assert p.took(200, 1.0) == 20  # a slow batch (a busy database) shrinks the next at once
    assert p.took(20, 0.01) == 40


def test_a_fast_database_grows_the_batch_to_its_most_and_no_further():
    p = Pacer(target=0.1, most=1000)
    sizes = [p.took(p.size, p.size / 1_000_000) for _ in range(10)]
    assert sizes == [100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000]


def test_a_slow_row_still_makes_progress():
    p = Pacer(target=0.1, most=1000)
    assert p.took(50, 30.0) == 1  # one row a batch, never none
    assert p.took(0, 0.0) == 1  # an empty batch tells nothing


@pytest.mark.parametrize(("target", "least", "most"), [(0, 1, 10), (-1, 1, 10), (0.1, 0, 10), (0.1, 11, 10)])
def test_bounds_that_make_no_sense_are_refused(target, least, most):
    with pytest.raises(ValueError):
        Pacer(target=target, least=least, most=most)


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=5000), st.floats(min_value=0, max_value=60)),
                max_size=30),
       st.integers(min_value=1, max_value=5000), st.floats(min_value=0.001, max_value=5))
def test_the_size_always_stays_within_its_bounds_and_grows_at_most_twofold(steps, most, target):
    p = Pacer(target=target, most=most)
    for rows, seconds in steps:
        before = p.size
        after = p.took(rows, seconds)
        assert 1 <= after <= most
        assert after <= 2 * before or after == 1
