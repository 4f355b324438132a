"""A credit score (信用积分) from a subject's dated facts, the rules and `today`: its points, its grade and the
components that add up to it.

Pure: no Flask, no database, no clock — the caller gathers the facts and says
which day it is, so a score can be recomputed for any day and tested at every
edge. The rules come from the versioned rules file (`rules.py`); the prose is
in docs/rules.md, "Credit scores (信用积分)".

What the explanation promises:

- **Whole points.** Every component is a whole number of points, and the
  score is their sum — computed as that sum, so it cannot differ from it.
- **Every record that counts today is a component**, with its own points,
  words and the last day it counts (`counts_until`; None for a base item that
  counts while it holds) — a review worth no points too. Records alike
  that the caller gathered as one fact (`Fact.count`: a day's reviews of
  one rating) are one component worth their total. A base item counts
  once: of several facts of one base kind, the one worth most (ties: the
  latest, then the greater ref) is the component.
- **A cap is a component of its own** (kind `cap`, its ref the item or group
  it limits, negative): the records over a cap keep their points in the
  explanation and the cap says how much of them does not count.
- **Windows.** A fact counts from its date (`on`, its first day) through its
  last day — the caller's `until` when given (a sanction's publication
  window, a commendation's validity, a health check's valid-until), else
  `on` plus the item's months (`clock.add_months`: 31 January + 1 month is
  28/29 February), else for as long as it holds — and not from the day after.
- **Corrections** (group `correction`, listed last, never capped, never a bad
  record): a regulator's correction after human review carries its own whole
  points (`value`), bounded either way by the rules' `bound`.
"""
from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import NamedTuple

from ..clock import add_months
from .rules import KINDS, RATINGS, Item, Rules, SubjectRules

CAP = "cap"


class Fact(NamedTuple):
    """One dated record that feeds a score.

    `kind`: what it is (`rules.KINDS` of the subject: `complaint`, `sanction`,
    `verified`, …); `ref`: the public reference of the record it comes from,
    so a component can be traced and challenged; `on`: its date — the day a
    complaint was concluded, a sanction decided, a review left, a check done.
    What else a kind needs: `severity` for a sanction; `value` for a review
    (stars 1–5), for a share (`staff_qualified`: 0 to 1, exact — a Fraction,
    a Decimal or 0/1, never a float) and for a correction (whole points, not
    0). `until`: the last day it counts when the record itself says so; None
    lets the rules' validity decide. `count`: how many records alike this fact
    stands for — records of one kind, one day, one variant and one last day
    that the subject reads as one line (a day's five-star reviews): worth
    `count` times the variant's points. A share and a correction are always
    one.

    A named tuple: a rebuild makes a million of them. `score` checks every fact it is given and refuses a
    malformed one (a kind that is not a name, a ref that is empty, a date that is not a day, an `until` before
    `on`, a `count` that is not a whole number from 1) with a ValueError that names it.
    """

    kind: str
    ref: str
    on: date
    severity: str | None = None
    value: int | Fraction | Decimal | None = None
    until: date | None = None
    count: int = 1


def _refuse_malformed(f: Fact) -> None:
    """Raise the ValueError that names what is wrong with a fact's form, if anything is."""
    if not isinstance(f.kind, str) or not f.kind:
        raise ValueError(f"a fact's kind is a name, not {f.kind!r}")
    if not isinstance(f.ref, str) or not f.ref:
        raise ValueError(f"a {f.kind} fact names its record (ref), not {f.ref!r}")
    if not _is_day(f.on):
        raise ValueError(f"{f.kind} {f.ref}: `on` is a date, not {f.on!r}")
    if f.until is not None and (not _is_day(f.until) or f.until < f.on):
        raise ValueError(f"{f.kind} {f.ref}: `until` is a date not before `on`, not {f.until!r}")
    if isinstance(f.count, bool) or not isinstance(f.count, int) or f.count < 1:
        raise ValueError(f"{f.kind} {f.ref}: `count` is a whole number of records, 1 or more, not {f.count!r}")


class Component(NamedTuple):
    """One line of a score's explanation: a fact, or a cap (`kind` "cap", `ref` the item or group it limits).
    `count`: the records alike it stands for (`Fact.count`); `points` is already their total. `variant`: the
    rules' variant it was scored by — a rating ("5"), a severity ("general"), or "" — so its words can be found
    again in its rules version. A named tuple: a score of a busy firm makes thousands, and nothing changes one."""

    kind: str
    ref: str
    group: str
    points: int
    zh: str
    en: str
    counts_until: date | None
    count: int = 1
    variant: str = ""


class Rendered(NamedTuple):
    """A rated kind's lines of one subject, already scored and written by the database (`inputs._review_lines`):
    what a rebuild reads in place of a fact a line, because a busy firm's reviews are thousands of lines and
    Python would otherwise make two objects of each.

    Exactly what `score` makes of the kind's facts, and tested to be (tests/credit/test_review_lines.py): `text`
    the lines that count today, each as `services.components_text` writes a component, in the scoring's order and
    joined by ","; `points` their sum; `lines` how many; `counts_until` the earliest last day among them;
    `enters_on` the earliest day a line not counting yet (dated after today) enters. `group` is the rules' own,
    set by `score`. A subject's facts hold at most one of a kind, and then no facts of that kind."""

    kind: str
    text: str
    points: int
    lines: int
    counts_until: date | None
    enters_on: date | None
    group: str = ""


@dataclass(frozen=True)
class Score:
    """A subject's score on a day. `points` is the sum of `components`; `grade` is None for a worker.

    `stands_until`: the last day these facts give this same score (the day
    before one leaves or enters), None when none ever will — when a cached
    score must be computed again, barring new facts.
    """

    subject: str
    points: int
    grade: str | None
    rules_version: str
    components: tuple[Component | Rendered, ...]
    stands_until: date | None


def score(subject: str, facts: Iterable[Fact], rules: Rules, today: date) -> Score:
    """The score of a company or a worker on `today` from its facts, by `rules`.

    A fact the rules cannot score (a kind the subject does not have, a
    sanction without its severity, a rating out of 1–5, a share above 1) raises
    ValueError: the caller gathered something wrong, and no score hides it.
    """
    book = rules.of(subject)
    if not _is_day(today):
        raise ValueError(f"today is a date, not {today!r}")
    items = book.items
    # One pass: check each fact, find its last day once, note when it will enter or leave, and keep what counts
    # today by kind, as (date, ref, fact, last day) to list in that order.
    counting: dict[str, list[tuple]] = {}
    rendered: dict[str, Rendered] = {}
    ends = []
    for f in facts:
        if type(f) is Rendered:
            _take_rendered(book, f, rendered, counting, ends)
            continue
        kind, ref, on, severity, value, until, count = f
        if kind in rendered:
            raise ValueError(f"{kind} {ref}: the {kind} lines were given already scored (Rendered)")
        item = items.get(kind)
        # The usual fact — well formed, and carrying what its kind needs — passes one test of its types; any other
        # is checked in full, which names what is wrong or lets a less usual form pass (a rating as a Decimal).
        if not (item is not None and type(on) is date and type(ref) is str and ref and type(count) is int
                and count >= 1 and (until is None or (type(until) is date and until >= on))
                and _usual(item, severity, value)):
            _refuse_malformed(f)
            _check(book, f)
        if until is not None:
            last = until
        elif item.months is not None:
            last = _plus_months(on, item.months)
        else:
            last = None
        if on > today:
            ends.append(on - _DAY)
        elif last is None or today <= last:
            if last is not None:
                ends.append(last)
            rows = counting.get(kind)
            if rows is None:
                counting[kind] = [(on, ref, f, last)]
            else:
                rows.append((on, ref, f, last))
    components: list[Component] = []
    for group in book.groups:
        in_group: list[Component] = []
        for kind in book.kinds_of(group.name):
            rows = counting.get(kind)
            done = rendered.get(kind)
            if not rows and (done is None or not done.lines):
                continue
            item = items[kind]
            if done is not None:
                # The database's lines stand as one component, capped as the lines of facts are.
                lines = [done._replace(group=group.name)]
            else:
                if len(rows) > 1:
                    rows.sort(key=_by_date_and_ref)
                if item.needs == "rating":
                    # A review line a day and rating, given as facts: without a call a line.
                    group_name, by_stars = item.group, _by_stars(item)
                    lines = []
                    for _on, ref, f, last in rows:
                        points, zh, en, key = by_stars[f.value]
                        lines.append(Component(kind, ref, group_name, points * f.count, zh, en, last, f.count, key))
                else:
                    lines = [_component(f, item, last) for _on, _ref, f, last in rows]
            if group.name == "base" and len(lines) > 1:
                # Once: the fact worth most; of equals, the latest (max keeps the first it meets).
                lines = [max(reversed(lines), key=_points)]
            in_group += lines
            if item.cap is not None:
                in_group += _capped(lines, item.cap, item.cap_words, kind, group.name)
        components += in_group
        if group.cap is not None:
            components += _capped(in_group, group.cap, group.cap_words, group.name, group.name)
    points = 0
    negative = False
    for c in components:
        points += c.points
        if not negative and c.group == "negative" and c.kind != CAP:
            negative = True
    grade = book.grading.grade(points, negative=negative) if book.grading else None
    return Score(subject, points, grade, rules.version, tuple(components), min(ends, default=None))


_DAY = timedelta(days=1)
_by_date_and_ref = operator.itemgetter(0, 1)
_points = operator.attrgetter("points")


def _take_rendered(book: SubjectRules, r: Rendered, rendered: dict, counting: dict, ends: list) -> None:
    """Note a kind's lines the database scored: refused for a kind that is not a rated item of the subject, a
    second time, or after facts of the kind; their first last day and first day to come are ends."""
    item = book.items.get(r.kind)
    if item is None or item.needs != "rating":
        raise ValueError(f"only a rated kind's lines come already scored, not {r.kind!r}")
    if r.kind in rendered or r.kind in counting:
        raise ValueError(f"the {r.kind} lines come already scored once, and then no {r.kind} facts")
    rendered[r.kind] = r
    if r.counts_until is not None:
        ends.append(r.counts_until)
    if r.enters_on is not None:
        ends.append(r.enters_on - _DAY)


_STARS: dict[int, tuple[Item, dict]] = {}


def _by_stars(item: Item) -> dict:
    """A rated item's variants by stars (1–5): (points, zh, en, key), made once per item."""
    made = _STARS.get(id(item))
    if made is None or made[0] is not item:
        made = _STARS[id(item)] = (item, {int(key): (v.points, v.words.zh, v.words.en, key)
                                          for key, v in item.variants.items()})
    return made[1]


def _usual(item: Item, severity, value) -> bool:
    """Does a fact carry what its kind needs in the usual form: nothing else; a rating as an int 1–5; a known
    severity? A share and a correction are always checked in full."""
    needs = item.needs
    if needs is None:
        return severity is None and value is None
    if needs == "rating":
        return severity is None and type(value) is int and 1 <= value <= 5
    if needs == "severity":
        return value is None and type(severity) is str and severity in item.variants
    return False


@functools.lru_cache(maxsize=4096)
def _plus_months(on: date, months: int) -> date:
    """`clock.add_months`, remembered: the facts of a batch share few dates."""
    return add_months(on, months)


def _component(fact: Fact, item: Item, last: date | None) -> Component:
    """A line of any kind but a rated one (`score` makes those itself, `_by_stars`)."""
    needs = item.needs
    key = fact.severity if needs == "severity" else ""
    variant = item.variants[key]
    points = variant.points * fact.count
    if needs == "share":
        points = floor(points * _exact(fact.value))
    elif needs == "points":
        # Bounded by the rules of the version scoring it, whatever the fact says.
        points = max(-item.bound, min(item.bound, int(fact.value)))
    words = variant.words
    return Component(fact.kind, fact.ref, item.group, points, words.zh, words.en, last, fact.count, key)


def _capped(lines: list[Component], cap: int | None, words, ref: str, group: str) -> list[Component]:
    """The cap's own component when `lines` add up to more than `cap`: minus the excess, so the sum is the cap."""
    if cap is None:
        return []
    total = sum(c.points for c in lines)
    if total <= cap:
        return []
    return [Component(CAP, ref, group, cap - total, words.zh, words.en, None)]


# A rating's variant key by its value: the whole numbers 1 to 5 (`_check` refuses anything else first).
_RATING_KEY = {int(r): r for r in RATINGS}


def _check(book: SubjectRules, f: Fact) -> None:
    spec = KINDS[book.subject].get(f.kind)
    if spec is None:
        raise ValueError(f"a {book.subject}'s score has no fact kind {f.kind!r} ({f.ref})")
    needs = spec.needs
    if needs is None:
        if f.severity is not None:
            raise ValueError(f"{f.kind} {f.ref}: a severity belongs to a sanction, and every sanction has one")
        if f.value is not None:
            raise ValueError(f"{f.kind} {f.ref}: carries no value")
        return
    if (needs == "severity") != (f.severity is not None):
        raise ValueError(f"{f.kind} {f.ref}: a severity belongs to a sanction, and every sanction has one")
    if needs == "severity":
        if f.severity not in book.items[f.kind].variants:
            raise ValueError(f"{f.kind} {f.ref}: unknown severity {f.severity!r}")
        if f.value is not None:
            raise ValueError(f"{f.kind} {f.ref}: carries no value")
        return
    if needs == "rating":
        # An int 1–5 (not a bool), or an exact number equal to one.
        value = f.value
        if type(value) is not int:
            exact = _exact(value)
            value = int(exact) if exact is not None and exact.denominator == 1 else None
        if value not in _RATING_KEY:
            raise ValueError(f"{f.kind} {f.ref}: a rating is 1 to 5 stars, not {f.value!r}")
        return
    exact = _exact(f.value)
    if needs == "share" and (exact is None or not 0 <= exact <= 1):
        raise ValueError(f"{f.kind} {f.ref}: a share is an exact number from 0 to 1, not {f.value!r}")
    if needs == "share" and f.count != 1:
        raise ValueError(f"{f.kind} {f.ref}: a share is one fact, not {f.count}")
    if needs == "points" and (exact is None or exact.denominator != 1 or exact == 0):
        raise ValueError(f"{f.kind} {f.ref}: a correction's points are a whole number, not 0, not {f.value!r}")
    if needs == "points" and f.count != 1:
        raise ValueError(f"{f.kind} {f.ref}: a correction is one fact, not {f.count}")


def _exact(value) -> Fraction | None:
    """An exact number as a Fraction (an int, a Fraction, a finite Decimal); None for anything else — a float, a
    bool, text — so no share is rounded before it is scored."""
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return Fraction(value)


def _is_day(d) -> bool:
    return isinstance(d, date) and not isinstance(d, datetime)
