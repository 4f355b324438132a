"""`workers.rules.qualified` is the colour rule's green for an employed worker, without its reasons: equal to
`card_status(…, employed=True).colour == "green"` for any current records on any day; and the credit score's
verdict (`credit.inputs.verdict`) stays as it is on `today` exactly through its last day."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.credit.inputs import verdict
from registry.workers.rules import Rec, card_status, current, latest_of_each, qualified

TODAY = date(2026, 11, 26)
days = st.builds(lambda n: TODAY + timedelta(days=n), st.integers(-40, 40))
maybe_days = st.one_of(st.none(), days)
RESULTS = {"identity": ["verified", "failed", "pending"], "health": ["passed", "failed"],
           "background": ["passed", "failed", "pending"], "insurance": [None], "training": [None]}


@st.composite
def records(draw) -> list[Rec]:
    """Current records of a worker, most often one or two of each kind the colour rule reads, with results and
    dates that make the card green often enough to find each way it is not."""
    out = []
    for kind in ("identity", "health", "insurance", "background", "training"):
        for _ in range(draw(st.sampled_from([0, 1, 1, 1, 1, 2]))):
            good, *others = RESULTS[kind]
            result = draw(st.sampled_from([good, good, good, *others]))
            on = draw(st.one_of(st.none(), days) if kind != "identity" else maybe_days)
            until = draw(st.one_of(st.none(), st.builds(lambda n: TODAY + timedelta(days=n), st.integers(-30, 60))))
            if on is not None and until is not None and until < on:
                on, until = until, on
            out.append(Rec(len(out) + 1, kind, result, on, until, None,
                           draw(st.booleans()) if kind == "training" else None))
    # A record now and then corrected by a later one.
    for rec in list(out):
        if draw(st.integers(0, 5)) == 0:
            out.append(Rec(len(out) + 1, rec.kind, RESULTS[rec.kind][-1], rec.on_date, rec.valid_until, rec.id))
    return current(out)


@settings(max_examples=1500, deadline=None)
@given(recs=records(), day=days)
def test_qualified_is_the_colour_rules_green(recs, day):
    policies = [r for r in recs if r.kind == "insurance"]
    assert qualified(latest_of_each(recs), policies, day) == \
        (card_status(recs, day, employed=True).colour == "green")


@settings(max_examples=500, deadline=None)
@given(recs=records(), today=days)
def test_a_verdict_holds_through_its_last_day_and_changes_the_day_after(recs, today):
    green = lambda day: card_status(recs, day, employed=True).colour == "green"  # noqa: E731
    v = verdict(recs, today)
    assert v.qualified == green(today)
    last = v.until if v.until is not None else today + timedelta(days=120)
    assert all(green(today + timedelta(days=n)) == v.qualified for n in range((last - today).days + 1))
    if v.until is not None:
        assert green(v.until + timedelta(days=1)) != v.qualified
