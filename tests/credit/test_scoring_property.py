"""A property test over random facts and random days: a score is always the sum of its components, and its points
and grade are what docs/rules.md ("Credit scores (信用积分)") says for v1 — written here from the page, not from the
rules file: each record counts from its date through its last day (its own `until`, else a year, training three
years, a base item while it holds); a base item once, at its best; caps of 80 and 40 (good reviews 20) for a
company, 80 and 20 for a worker; grades AAA ≥ 85, AA ≥ 80, A ≥ 70, B ≥ 60, else C — or B with no bad record
counting (Jinan). And the score stands, components and all, through its `stands_until`.
"""
from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from math import floor

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.clock import add_months
from registry.credit import rules
from registry.credit.scoring import Fact, score

V1 = rules.load("v1")
FIRST, LAST = date(2026, 1, 1), date(2029, 12, 31)

# v1 as docs/rules.md states it: (group, points or points by severity / stars, months; None: while it holds).
SEVERITY = {"minor": -5, "general": -15, "serious": -30}
DOC = {
    "company": {
        "verified": ("base", 30, None), "pledge_kept": ("base", 10, None), "employee_model": ("base", 10, None),
        "staff_qualified": ("base", 30, None), "commendation": ("positive", 10, 12),
        "review": ("positive", {5: 1, 4: 1, 3: 0, 2: 0, 1: 0}, 12), "complaint": ("negative", -5, 12),
        "sanction": ("negative", SEVERITY, 12), "pledge_broken": ("negative", -20, 12),
    },
    "worker": {
        "identity_verified": ("base", 20, None), "health_passed": ("base", 20, None),
        "training_passed": ("base", 20, 36), "background_passed": ("base", 20, None),
        "review": ("positive", {5: 2, 4: 1, 3: 0, 2: 0, 1: 0}, 12), "complaint": ("negative", -10, 12),
        "sanction": ("negative", SEVERITY, 12),
    },
}
CAPS = {"company": {"base": 80, "positive": 40, "review": 20}, "worker": {"base": 80, "positive": 20}}

days = st.dates(min_value=FIRST, max_value=LAST)
# Good records drawn more often than the rest, so caps and the high grades come up too.
DRAWN = {subject: [*sorted(kinds), *(k for k in kinds if kinds[k][0] == "base"), *["review"] * 12,
                   *(["commendation"] * 2 if subject == "company" else [])]
         for subject, kinds in DOC.items()}


@st.composite
def facts_of(draw, subject, today):
    kind = draw(st.sampled_from(DRAWN[subject]))
    # Mostly before the day scored, some after; windows of the rules' lengths or of the record's own.
    on = today - timedelta(days=draw(st.integers(min_value=-120, max_value=800)))
    severity = value = None
    count = 1
    if kind == "sanction":
        severity = draw(st.sampled_from(sorted(SEVERITY)))
    if kind == "review":
        value = draw(st.integers(min_value=1, max_value=5))
        # A day's reviews of one rating, as the registry gathers them.
        count = draw(st.integers(min_value=1, max_value=6))
    if kind == "staff_qualified":
        staff = draw(st.integers(min_value=1, max_value=200))
        value = Fraction(draw(st.integers(min_value=0, max_value=staff)), staff)
    until = draw(st.one_of(st.none(), st.none(), st.integers(min_value=0, max_value=1200).map(
        lambda n: on + timedelta(n))))
    return Fact(kind, draw(st.sampled_from(["a", "b", "c", "d"])), on, severity=severity, value=value, until=until,
                count=count)


@st.composite
def histories(draw):
    subject = draw(st.sampled_from(["company", "worker"]))
    today = draw(days)
    # As many records as a busy firm has: enough for the caps to bite.
    many = draw(st.integers(min_value=0, max_value=80))
    return subject, [draw(facts_of(subject, today)) for _ in range(many)], today


def last(f: Fact, subject: str) -> date | None:
    months = DOC[subject][f.kind][2]
    return f.until or (add_months(f.on, months) if months else None)


def counts(f: Fact, subject: str, today: date) -> bool:
    end = last(f, subject)
    return f.on <= today and (end is None or today <= end)


def worth(f: Fact, subject: str) -> int:
    points = DOC[subject][f.kind][1]
    if f.kind == "sanction":
        return points[f.severity]
    if f.kind == "review":
        return points[f.value] * f.count
    if f.kind == "staff_qualified":
        return floor(points * f.value)
    return points


def expected(subject: str, facts: list[Fact], today: date) -> tuple[int, bool]:
    """The points the page says these facts make today, and whether a bad record counts."""
    live = [f for f in facts if counts(f, subject, today)]
    group = {g: [f for f in live if DOC[subject][f.kind][0] == g] for g in ("base", "positive", "negative")}
    base = sum(max(worth(f, subject) for f in group["base"] if f.kind == k)
               for k in {f.kind for f in group["base"]})
    reviews = sum(worth(f, subject) for f in group["positive"] if f.kind == "review")
    others = sum(worth(f, subject) for f in group["positive"] if f.kind != "review")
    positive = min(min(reviews, CAPS[subject].get("review", reviews)) + others, CAPS[subject]["positive"])
    negative = sum(worth(f, subject) for f in group["negative"])
    return min(base, CAPS[subject]["base"]) + positive + negative, bool(group["negative"])


def grade(points: int, negative: bool) -> str:
    for name, least in (("AAA", 85), ("AA", 80), ("A", 70), ("B", 60)):
        if points >= least:
            return name
    return "C" if negative else "B"


@settings(max_examples=400, deadline=None, derandomize=True)
@given(histories())
def test_components_sum_to_the_score_and_the_grade_follows_the_thresholds(history):
    subject, facts, today = history
    s = score(subject, facts, V1, today)
    assert s.points == sum(c.points for c in s.components)
    points, negative = expected(subject, facts, today)
    assert s.points == points
    assert s.grade == (grade(points, negative) if subject == "company" else None)
    assert s.rules_version == "v1"
    # Every record counting today is one line (a base kind one line), every line counts today.
    live = [f for f in facts if counts(f, subject, today)]
    records = [c for c in s.components if c.kind != "cap"]
    assert sorted((c.kind, c.ref) for c in records if c.group != "base") == sorted(
        (f.kind, f.ref) for f in live if DOC[subject][f.kind][0] != "base")
    assert sorted(c.kind for c in records if c.group == "base") == sorted(
        {f.kind for f in live if DOC[subject][f.kind][0] == "base"})
    assert all(c.counts_until is None or c.counts_until >= today for c in s.components)
    # No group (nor the good reviews) adds up to more than its cap.
    for g, cap in CAPS[subject].items():
        def limited(c, g=g):
            return c.group == g if g != "review" else c.kind == "review" or (c.kind, c.ref) == ("cap", "review")
        in_it = [c.points for c in s.components if limited(c)]
        assert sum(in_it) <= cap


@settings(max_examples=200, deadline=None, derandomize=True)
@given(histories())
def test_a_score_stands_through_its_stands_until(history):
    subject, facts, today = history
    s = score(subject, facts, V1, today)
    if s.stands_until is None:
        # Nothing will enter, and nothing counting will leave.
        assert all(f.on <= today for f in facts)
        assert all(last(f, subject) is None for f in facts if counts(f, subject, today))
        return
    assert s.stands_until >= today
    later = score(subject, facts, V1, s.stands_until)
    assert later.components == s.components
    # And the day after, some record enters or leaves.
    after = s.stands_until + timedelta(days=1)
    assert {f for f in facts if counts(f, subject, after)} != {f for f in facts if counts(f, subject, today)}
