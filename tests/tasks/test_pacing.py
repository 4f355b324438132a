"""Batches sized by time (registry/tasks/pacing.py): a batch of bulk work holds the log head's lock for about the
target, whatever the rows cost; it grows at most twofold a step, shrinks at once, and stays within its bounds."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.tasks.pacing import DEFAULT_LEAST, Pacer


def test_the_first_batch_is_small_and_within_the_bounds():
    assert Pacer().size == 50
    assert Pacer(most=20).size == 20
    assert Pacer(first=5, least=10, most=100).size == 10


def test_the_next_batch_takes_the_rows_the_last_rate_fits_in_the_target():
    p = Pacer(target=0.1, most=1000)
    assert p.took(50, 0.05) == 100  # 1,000 rows a second: 100 in a tenth
    assert p.took(100, 0.05) == 200  # 2,000 a second would fit 200: at most twice the last
    assert p.took(200, 2.0) == 20  # 100 a second would fit 10, but never below the floor
    assert p.took(20, 0.01) == 40


def test_a_fast_database_grows_the_batch_to_its_most_and_no_further():
    p = Pacer(target=0.1, most=1000)
    sizes = [p.took(p.size, p.size / 1_000_000) for _ in range(10)]
    assert sizes == [100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000]


def batch_seconds(rows: int, fixed: float, per_row: float = 0.001) -> float:
    """A batch's time: the commit, its fsync and the wait for the lock, then its rows."""
    return fixed + per_row * rows


def test_a_fixed_cost_beyond_the_target_keeps_batches_at_the_floor_not_at_one_row():
    """A commit that alone takes longer than the target (a slow fsync, a lock held by a long change) used to shrink
    every batch to one row for good: a few rows a second."""
    one_row = Pacer(target=0.1, least=1)
    floored = Pacer(target=0.1)
    for p in (one_row, floored):
        for _ in range(20):
            p.took(p.size, batch_seconds(p.size, fixed=0.15))
    assert one_row.size == 1 and floored.size == DEFAULT_LEAST == 20
    # Over 100 rows a second instead of under 7.
    assert DEFAULT_LEAST / batch_seconds(DEFAULT_LEAST, fixed=0.15) > 100 and 1 / batch_seconds(1, fixed=0.15) < 7
    # The fixed cost back under the target, the batches grow again to what fits in it (90 rows: 10 + 90 ms).
    assert [floored.took(floored.size, batch_seconds(floored.size, fixed=0.01)) for _ in range(4)] == [40, 80, 88, 89]


def test_the_floor_gives_way_to_a_smaller_batch_setting():
    assert (Pacer(most=5).least, Pacer(most=5).size) == (5, 5)
    p = Pacer(most=2)
    assert p.took(2, 30.0) == 2 and p.took(2, 0.0001) == 2


def test_a_slow_row_still_makes_progress():
    p = Pacer(target=0.1, most=1000)
    assert p.took(50, 30.0) == DEFAULT_LEAST  # a busy database: the floor, never none
    assert p.took(0, 0.0) == DEFAULT_LEAST  # an empty batch tells nothing
    assert Pacer(target=0.1, least=1).took(50, 30.0) == 1  # a caller may ask for single rows


def test_between_batches_the_work_rests_so_it_holds_the_lock_its_share_of_the_time():
    assert Pacer().rest(0.1) == pytest.approx(0.1)  # half the time, by default
    assert Pacer(share=0.25).rest(0.1) == pytest.approx(0.3)  # a quarter: rest three times the batch
    assert Pacer(share=1).rest(0.1) == 0  # all of it: no rest
    assert Pacer().rest(-1) == 0  # a clock that stepped back: no rest, never a negative sleep


@pytest.mark.parametrize("share", [0, -0.5, 1.5])
def test_a_share_that_makes_no_sense_is_refused(share):
    with pytest.raises(ValueError):
        Pacer(share=share)


@pytest.mark.parametrize(("target", "least", "most"), [(0, 1, 10), (-1, 1, 10), (0.1, 0, 10), (0.1, 11, 10),
                                                        (0.1, None, 0)])
def test_bounds_that_make_no_sense_are_refused(target, least, most):
    with pytest.raises(ValueError):
        Pacer(target=target, least=least, most=most)


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=5000), st.floats(min_value=0, max_value=60)),
                max_size=30),
       st.integers(min_value=1, max_value=5000), st.floats(min_value=0.001, max_value=5))
def test_the_size_always_stays_within_its_bounds_and_grows_at_most_twofold(steps, most, target):
    p = Pacer(target=target, most=most)
    assert p.least == min(DEFAULT_LEAST, most)
    for rows, seconds in steps:
        before = p.size
        after = p.took(rows, seconds)
        assert p.least <= after <= most
        assert after <= 2 * before


def test_the_work_paces_itself_until_its_first_batch_and_while_others_write_then_goes_at_speed():
    p = Pacer(target=0.05, most=1000, quiet_target=0.25, calm=10)
    assert p.busy(0.0) and p.rest(0.05, now=0.0) == pytest.approx(0.05)  # nothing seen yet: paced
    p.observed(False, now=0.0)  # nobody else wrote: calm at once
    assert not p.busy(0.0)
    assert p.rest(0.05, now=10.0) == 0  # calm: no rest
    assert p.took(50, 0.05, now=10.0) == 100  # sized for a quarter of a second, at most twice the last
    assert [p.took(p.size, p.size / 1000, now=10.0) for _ in range(2)] == [200, 250]
    # Another change committed between two batches: busy again for `calm` seconds, the next batch small at once.
    p.observed(True, now=20.0)
    assert p.busy(29.9) and not p.busy(30.0)
    assert p.took(250, 0.25, now=20.0) == 50
    assert p.rest(0.05, now=20.0) == pytest.approx(0.05)


def test_without_a_clock_the_pacer_paces_as_when_busy():
    p = Pacer(target=0.05)
    p.observed(False, now=0.0)
    assert p.took(50, 0.05) == 50 and p.rest(0.05) == pytest.approx(0.05)
