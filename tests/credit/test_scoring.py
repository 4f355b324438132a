"""Credit scores by the v1 rules, table by table, with explicit days (no clock): each record enters on its date and
leaves the day after its last day; grades at every threshold edge and the Jinan rule; caps as their own components;
a base item counting once; shares rounded down; facts the rules cannot score refused (docs/rules.md, "Credit
scores (信用积分)")."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from registry.clock import add_months
from registry.credit import rules
from registry.credit.scoring import Fact, score

DAY = timedelta(days=1)
V1 = rules.load("v1")


def company(facts, today):
    return score("company", facts, V1, today)


def worker(facts, today):
    return score("worker", facts, V1, today)


def lines(s):
    return [(c.kind, c.ref, c.points, c.counts_until) for c in s.components]


# (subject, the fact, its points, its last day): the day before its date and the day after its last day it is not
# there; its date and its last day it is, with that last day as `counts_until`.
WINDOWS = [
    # A year by default, counted as the civil code counts months: the matching day a year on is the last.
    ("company", Fact("complaint", "k1", date(2026, 5, 10)), -5, date(2027, 5, 10)),
    ("company", Fact("complaint", "k2", date(2028, 2, 29)), -5, date(2029, 2, 28)),
    ("company", Fact("pledge_broken", "p1", date(2026, 8, 31)), -20, date(2027, 8, 31)),
    ("company", Fact("sanction", "s1", date(2026, 6, 30), severity="general"), -15, date(2027, 6, 30)),
    # A sanction counts while published: the caller's `until` (the window's last day) decides.
    ("company", Fact("sanction", "s2", date(2026, 4, 15), severity="serious", until=date(2029, 4, 15)), -30,
     date(2029, 4, 15)),
    ("company", Fact("sanction", "s3", date(2026, 7, 1), severity="minor", until=date(2026, 9, 30)), -5,
     date(2026, 9, 30)),
    # A one-day window: its date is its last day.
    ("company", Fact("sanction", "s4", date(2026, 7, 1), severity="minor", until=date(2026, 7, 1)), -5,
     date(2026, 7, 1)),
    ("company", Fact("commendation", "c1", date(2026, 12, 31)), 10, date(2027, 12, 31)),
    ("company", Fact("commendation", "c2", date(2026, 12, 31), until=date(2027, 3, 31)), 10, date(2027, 3, 31)),
    ("company", Fact("review", "r1", date(2027, 1, 31), value=5), 1, date(2028, 1, 31)),
    ("company", Fact("review", "r2", date(2027, 1, 31), value=4), 1, date(2028, 1, 31)),
    ("worker", Fact("review", "r3", date(2026, 10, 31), value=5), 2, date(2027, 10, 31)),
    ("worker", Fact("complaint", "k3", date(2026, 11, 30)), -10, date(2027, 11, 30)),
    ("worker", Fact("sanction", "s5", date(2026, 5, 1), severity="general", until=date(2027, 5, 1)), -15,
     date(2027, 5, 1)),
    # Training counts three years from the training day; a health check through its valid-until day.
    ("worker", Fact("training_passed", "t1", date(2028, 2, 29)), 20, date(2031, 2, 28)),
    ("worker", Fact("health_passed", "h1", date(2026, 7, 1), until=date(2027, 6, 30)), 20, date(2027, 6, 30)),
]


@pytest.mark.parametrize(("subject", "fact", "points", "last"), WINDOWS,
                         ids=[f"{w[0]}-{w[1].kind}-{w[1].ref}" for w in WINDOWS])
def test_a_record_counts_from_its_date_through_its_last_day(subject, fact, points, last):
    def on(day):
        return score(subject, [fact], V1, day)

    assert lines(on(fact.on - DAY)) == []
    assert lines(on(fact.on)) == [(fact.kind, fact.ref, points, last)]
    assert lines(on(last)) == [(fact.kind, fact.ref, points, last)]
    assert lines(on(last + DAY)) == []
    assert on(last).points == points and on(last + DAY).points == 0


@pytest.mark.parametrize(("subject", "kind", "points"), [
    ("company", "verified", 30), ("company", "pledge_kept", 10), ("company", "employee_model", 10),
    ("worker", "identity_verified", 20), ("worker", "background_passed", 20),
])
def test_a_base_item_counts_from_its_date_while_it_holds(subject, kind, points):
    fact = Fact(kind, "x1", date(2026, 6, 1))
    assert lines(score(subject, [fact], V1, date(2026, 5, 31))) == []
    assert lines(score(subject, [fact], V1, date(2026, 6, 1))) == [(kind, "x1", points, None)]
    assert lines(score(subject, [fact], V1, date(2036, 6, 1))) == [(kind, "x1", points, None)]


def company_scoring(total: int, *, negative: bool = False) -> list[Fact]:
    """Facts a company scores exactly `total` with (0–100), with one substantiated complaint when `negative`."""
    facts, on = [], date(2026, 6, 1)
    if negative:
        facts.append(Fact("complaint", "k", on))
        total += 5
    base = min(total, 80)
    for kind, worth in (("verified", 30), ("pledge_kept", 10), ("employee_model", 10)):
        if base >= worth:
            facts.append(Fact(kind, kind, on))
            base -= worth
    facts.append(Fact("staff_qualified", "staff", on, value=Fraction(base, 30)))
    facts += [Fact("review", f"r{i}", on, value=5) for i in range(total - min(total, 80))]
    return facts


@pytest.mark.parametrize(("total", "negative", "grade"), [
    (100, False, "AAA"), (85, False, "AAA"), (85, True, "AAA"),
    (84, False, "AA"), (80, False, "AA"), (80, True, "AA"),
    (79, False, "A"), (70, False, "A"), (70, True, "A"),
    (69, False, "B"), (60, False, "B"), (60, True, "B"),
    # Below 60: C with a bad record counting, B without one (Jinan).
    (59, True, "C"), (59, False, "B"), (0, True, "C"), (0, False, "B"), (-5, True, "C"),
])
def test_grades_at_every_threshold_edge(total, negative, grade):
    s = company(company_scoring(total, negative=negative), date(2026, 7, 1))
    assert s.points == total
    assert s.grade == grade
    assert any(c.group == "negative" for c in s.components) is negative


def test_a_bad_record_that_stops_counting_lifts_c_to_b():
    facts = [Fact("verified", "v", date(2026, 1, 5)), Fact("complaint", "k", date(2026, 3, 10))]
    assert (company(facts, date(2027, 3, 10)).points, company(facts, date(2027, 3, 10)).grade) == (25, "C")
    assert (company(facts, date(2027, 3, 11)).points, company(facts, date(2027, 3, 11)).grade) == (30, "B")


def test_a_worker_has_a_score_and_no_grade():
    on = date(2026, 6, 1)
    facts = [Fact("identity_verified", "i", on), Fact("health_passed", "h", on, until=date(2027, 5, 31)),
             Fact("training_passed", "t", on), Fact("background_passed", "b", on),
             *(Fact("review", f"r{i}", on, value=5) for i in range(10))]
    s = worker(facts, date(2026, 6, 2))
    assert (s.points, s.grade, s.rules_version) == (100, None, "v1")
    assert worker([Fact("complaint", "k", on)], on).grade is None


def test_good_reviews_stop_at_their_own_cap_as_a_component_of_their_own():
    on = date(2026, 6, 1)
    reviews = [Fact("review", f"r{i:02}", on, value=5) for i in range(25)]
    s = company(reviews, on)
    assert lines(s)[-1] == ("cap", "review", -5, None)
    assert [c.points for c in s.components[:-1]] == [1] * 25
    assert s.points == 20
    assert s.components[-1].zh == "好评加分最高 20 分，超出部分不计"
    assert "cap" not in [c.kind for c in company(reviews[:20], on).components]


def test_records_alike_as_one_fact_are_one_component_worth_their_count():
    """A day's reviews of one rating, gathered as one fact of their count, are one line worth count × points, and
    the cap bites on the total exactly as it would on the reviews one by one."""
    on = date(2026, 6, 1)
    grouped = company([Fact("review", f"{on}:5", on, value=5, count=25), Fact("review", f"{on}:3", on, value=3,
                                                                              count=4)], on)
    assert lines(grouped) == [("review", f"{on}:3", 0, add_months(on, 12)), ("review", f"{on}:5", 25,
                                                                             add_months(on, 12)),
                              ("cap", "review", -5, None)]
    assert [c.count for c in grouped.components] == [4, 25, 1]
    one_by_one = company([Fact("review", f"r{i:02}", on, value=5) for i in range(25)], on)
    assert grouped.points == one_by_one.points == 20


def test_good_records_stop_at_40_after_the_reviews_own_cap():
    on = date(2026, 6, 1)
    facts = [*(Fact("review", f"r{i:02}", on, value=4) for i in range(25)),
             *(Fact("commendation", f"c{i}", on) for i in range(3))]
    s = company(facts, on)
    caps = [(c.ref, c.points) for c in s.components if c.kind == "cap"]
    assert caps == [("review", -5), ("positive", -10)]
    # Each cap follows what it limits: the reviews' after the reviews, the group's after the group.
    kinds = [c.kind for c in s.components]
    assert kinds == ["commendation"] * 3 + ["review"] * 25 + ["cap", "cap"]
    assert s.points == 40


@pytest.mark.parametrize(("commendations", "cap"), [(4, None), (5, -10), (7, -30)])
def test_commendations_stop_at_the_good_records_cap(commendations, cap):
    on = date(2026, 6, 1)
    s = company([Fact("commendation", f"c{i}", on) for i in range(commendations)], on)
    assert [c.points for c in s.components if c.kind == "cap"] == ([cap] if cap else [])
    assert s.points == min(10 * commendations, 40)


def test_a_workers_good_reviews_stop_at_20():
    on = date(2026, 6, 1)
    s = worker([Fact("review", f"r{i:02}", on, value=5) for i in range(15)], on)
    assert lines(s)[-1] == ("cap", "positive", -10, None)
    assert s.points == 20


def test_the_base_stops_at_its_cap_when_its_items_exceed_it():
    # v1's company base items add up to exactly 80; a version worth more shows the excess capped.
    text = (rules.VERSIONS_DIR / "v1.toml").read_text(encoding="utf-8")
    richer = rules.parse(text.replace("[company.base.verified]\n# A regulator verified the registration (name, "
                                      "sectors, business model).\npoints = 30",
                                      "[company.base.verified]\npoints = 40"), "v1")
    on = date(2026, 6, 1)
    facts = [Fact("verified", "v", on), Fact("pledge_kept", "p", on), Fact("employee_model", "e", on),
             Fact("staff_qualified", "staff", on, value=1)]
    s = score("company", facts, richer, on)
    assert lines(s)[-1] == ("cap", "base", -10, None)
    assert s.points == 80
    assert "cap" not in [c.kind for c in company(facts, on).components]
    assert company(facts, on).points == 80


def test_a_base_item_counts_once_the_one_worth_most_then_the_latest():
    facts = [Fact("verified", "v1", date(2026, 1, 1)), Fact("verified", "v2", date(2026, 3, 1))]
    assert lines(company(facts, date(2026, 4, 1))) == [("verified", "v2", 30, None)]
    assert lines(company(facts, date(2026, 2, 1))) == [("verified", "v1", 30, None)]
    shares = [Fact("staff_qualified", "old", date(2026, 1, 1), value=Fraction(1, 2)),
              Fact("staff_qualified", "new", date(2026, 3, 1), value=Fraction(1, 3))]
    assert lines(company(shares, date(2026, 4, 1))) == [("staff_qualified", "old", 15, None)]
    # A health check renewed ahead: both valid, the later one is the component.
    checks = [Fact("health_passed", "h1", date(2026, 1, 1), until=date(2026, 12, 31)),
              Fact("health_passed", "h2", date(2026, 12, 1), until=date(2027, 11, 30))]
    assert lines(worker(checks, date(2026, 12, 15))) == [("health_passed", "h2", 20, date(2027, 11, 30))]
    assert lines(worker(checks, date(2027, 1, 1))) == [("health_passed", "h2", 20, date(2027, 11, 30))]


@pytest.mark.parametrize(("share", "points"), [
    (1, 30), (0, 0), (Fraction(29, 30), 29), (Fraction(2, 3), 20), (Fraction(1, 31), 0), (Decimal("0.999"), 29),
    (Decimal("0.5"), 15),
])
def test_the_staff_share_scores_in_proportion_rounded_down(share, points):
    on = date(2026, 6, 1)
    assert lines(company([Fact("staff_qualified", "staff", on, value=share)], on)) == [
        ("staff_qualified", "staff", points, None)]


def test_a_review_worth_nothing_is_still_shown():
    on = date(2026, 6, 1)
    s = company([Fact("review", "r", on, value=2)], on)
    assert lines(s) == [("review", "r", 0, date(2027, 6, 1))]
    assert (s.components[0].zh, s.components[0].en) == ("二星评价（不加分，不扣分）",
                                                         "Two-star review (no points either way)")


def test_components_carry_their_words_from_the_rules_file():
    on = date(2026, 6, 1)
    s = company([Fact("sanction", "s", on, severity="serious"), Fact("employee_model", "e", on)], on)
    assert [(c.kind, c.group, c.zh, c.en) for c in s.components] == [
        ("employee_model", "base", V1.company.items["employee_model"].variants[""].words.zh,
         V1.company.items["employee_model"].variants[""].words.en),
        ("sanction", "negative", "公示中的失信处罚（严重）", "Published sanction (serious)"),
    ]


def test_a_score_stands_until_a_record_leaves_or_enters():
    facts = [Fact("verified", "v", date(2026, 1, 1)), Fact("complaint", "k", date(2026, 3, 10)),
             Fact("commendation", "c", date(2026, 9, 1), until=date(2026, 12, 31))]
    # Before the commendation: the day before it enters.
    assert company(facts, date(2026, 4, 1)).stands_until == date(2026, 8, 31)
    # With it: its last day, which comes before the complaint's.
    assert company(facts, date(2026, 9, 1)).stands_until == date(2026, 12, 31)
    assert company(facts, date(2027, 1, 1)).stands_until == date(2027, 3, 10)
    assert company(facts, date(2027, 3, 11)).stands_until is None


@pytest.mark.parametrize(("subject", "fact", "says"), [
    ("worker", Fact("verified", "v", date(2026, 1, 1)), "no fact kind"),
    ("company", Fact("identity_verified", "i", date(2026, 1, 1)), "no fact kind"),
    ("company", Fact("sanction", "s", date(2026, 1, 1)), "severity"),
    ("company", Fact("complaint", "k", date(2026, 1, 1), severity="minor"), "severity"),
    ("company", Fact("sanction", "s", date(2026, 1, 1), severity="grave"), "unknown severity"),
    ("company", Fact("review", "r", date(2026, 1, 1)), "rating"),
    ("company", Fact("review", "r", date(2026, 1, 1), value=6), "rating"),
    ("company", Fact("review", "r", date(2026, 1, 1), value=0), "rating"),
    ("company", Fact("review", "r", date(2026, 1, 1), value=4.0), "rating"),
    ("company", Fact("review", "r", date(2026, 1, 1), value=True), "rating"),
    ("company", Fact("review", "r", date(2026, 1, 1), value=Fraction(9, 2)), "rating"),
    ("company", Fact("staff_qualified", "s", date(2026, 1, 1), value=Fraction(3, 2)), "share"),
    ("company", Fact("staff_qualified", "s", date(2026, 1, 1), value=-1), "share"),
    ("company", Fact("staff_qualified", "s", date(2026, 1, 1), value=0.5), "share"),
    ("company", Fact("staff_qualified", "s", date(2026, 1, 1), value=Decimal("NaN")), "share"),
    ("company", Fact("staff_qualified", "s", date(2026, 1, 1), value="1/2"), "share"),
    ("company", Fact("staff_qualified", "s", date(2026, 1, 1)), "share"),
    ("company", Fact("complaint", "k", date(2026, 1, 1), value=1), "no value"),
    ("company", Fact("staff_qualified", "s", date(2026, 1, 1), value=Fraction(1, 2), count=2), "one fact"),
])
def test_a_fact_the_rules_cannot_score_is_refused(subject, fact, says):
    with pytest.raises(ValueError, match=says):
        score(subject, [fact], V1, date(2026, 6, 1))


@pytest.mark.parametrize("build", [
    lambda: Fact("", "r", date(2026, 1, 1)),
    lambda: Fact("complaint", "", date(2026, 1, 1)),
    lambda: Fact("complaint", "k", datetime(2026, 1, 1, 12)),
    lambda: Fact("complaint", "k", "2026-01-01"),
    lambda: Fact("complaint", "k", date(2026, 1, 2), until=date(2026, 1, 1)),
    lambda: Fact("review", "d", date(2026, 1, 1), value=5, count=0),
    lambda: Fact("review", "d", date(2026, 1, 1), value=5, count=True),
    lambda: Fact("review", "d", date(2026, 1, 1), value=5, count=2.0),
])
def test_a_malformed_fact_is_refused_when_scored(build):
    fact = build()
    with pytest.raises(ValueError, match="kind is a name|names its record|is a date|whole number of records"):
        score("company" if fact.kind != "" else "worker", [fact], V1, date(2026, 6, 1))


def test_a_score_is_for_a_company_or_a_worker_on_a_day():
    with pytest.raises(ValueError, match="company or a worker"):
        score("household", [], V1, date(2026, 1, 1))
    with pytest.raises(ValueError, match="today"):
        score("company", [], V1, datetime(2026, 1, 1, 12))


def test_nothing_to_score_is_zero():
    s = company([], date(2026, 1, 1))
    assert (s.points, s.grade, s.components, s.stands_until) == (0, "B", (), None)


# --- corrections after human review (group `correction`) ----------------------------------------------------------

# (subject, the correction, its points as scored, its last day): the rules' default year unless the answer gives
# its own last day; its points are the regulator's, bounded by the rules' `bound` (100) either way.
CORRECTIONS = [
    ("company", Fact("correction", "r1", date(2026, 3, 31), value=5), 5, date(2027, 3, 31)),
    ("company", Fact("correction", "r2", date(2028, 2, 29), value=-12), -12, date(2029, 2, 28)),
    ("company", Fact("correction", "r3", date(2026, 6, 1), value=100, until=date(2026, 6, 30)), 100,
     date(2026, 6, 30)),
    ("company", Fact("correction", "r4", date(2026, 6, 1), value=-100, until=date(2026, 6, 1)), -100,
     date(2026, 6, 1)),
    ("company", Fact("correction", "r5", date(2026, 6, 1), value=101), 100, date(2027, 6, 1)),
    ("company", Fact("correction", "r6", date(2026, 6, 1), value=-250), -100, date(2027, 6, 1)),
    ("worker", Fact("correction", "r7", date(2026, 1, 31), value=-1), -1, date(2027, 1, 31)),
    ("worker", Fact("correction", "r8", date(2026, 1, 31), value=Fraction(7), until=date(2026, 2, 1)), 7,
     date(2026, 2, 1)),
]


@pytest.mark.parametrize(("subject", "fact", "points", "last"), CORRECTIONS,
                         ids=[f"{c[0]}-{c[1].ref}" for c in CORRECTIONS])
def test_a_correction_counts_its_own_bounded_points_from_its_date_through_its_last_day(subject, fact, points, last):
    for day, counted in ((fact.on - DAY, False), (fact.on, True), (last, True), (last + DAY, False)):
        s = score(subject, [fact], V1, day)
        if counted:
            assert lines(s) == [("correction", fact.ref, points, last)], day
            assert s.components[0].group == "correction"
            assert (s.components[0].zh, s.components[0].en) == ("人工复核更正", "Correction after human review")
            assert s.points == points
        else:
            assert s.components == (), day


def test_corrections_are_listed_last_and_never_capped():
    today = date(2026, 6, 1)
    facts = [Fact("correction", "r2", today, value=60), Fact("correction", "r1", today, value=70),
             Fact("verified", "u", today), Fact("complaint", "k", today)]
    s = company(facts, today)
    assert [c.kind for c in s.components] == ["verified", "complaint", "correction", "correction"]
    assert [c.ref for c in s.components if c.kind == "correction"] == ["r1", "r2"]
    assert s.points == 30 - 5 + 130


@pytest.mark.parametrize(("points", "negative", "grade"), [
    # A correction is not a bad record: below 60 with only a correction against it is B (Jinan), not C.
    (-30, False, "B"),
    (25, False, "AAA"),
    (-20, True, "C"),
])
def test_a_correction_moves_the_grade_but_is_no_bad_record(points, negative, grade):
    today = date(2026, 6, 1)
    facts = [Fact("verified", "u", today), Fact("pledge_kept", "p", today), Fact("employee_model", "u", today),
             Fact("staff_qualified", "1/1", today, value=1), Fact("correction", "r", today, value=points)]
    if negative:
        facts.append(Fact("sanction", "s", today, severity="serious"))
    s = company(facts, today)
    assert s.grade == grade
    assert s.points == 80 + points - (30 if negative else 0)


def test_a_correction_ending_moves_stands_until():
    today = date(2026, 6, 1)
    s = worker([Fact("correction", "r", today, value=3, until=date(2026, 6, 10))], today)
    assert s.stands_until == date(2026, 6, 10)


@pytest.mark.parametrize(("value", "says"), [
    (None, "whole number"), (0, "not 0"), (2.0, "whole number"), (True, "whole number"), (Fraction(1, 2), "whole"),
    ("5", "whole number"),
])
def test_a_correction_without_whole_non_zero_points_is_refused(value, says):
    with pytest.raises(ValueError, match=says):
        score("company", [Fact("correction", "r", date(2026, 1, 1), value=value)], V1, date(2026, 6, 1))
