"""The rules of a review and of a reply, and the public summary of many reviews, as data. Pure.

One judge for the page and the API: a rating 1–5, at most 5 tags from the
vocabulary, at most 500 characters of text (after masking the text keeps its
length, so the limit holds on what is stored). Problems never echo the value.
The summary (count, average, recent tags) is what the card view and the
company view show; docs/rules.md, "Reviews".
No Flask, no database.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..workers.person import Problem
from .vocab import REVIEW_TAGS, words

RATING_MIN, RATING_MAX = 1, 5
TAGS_MAX = 5
TEXT_MAX = 500
# The summary's tags come from this many newest reviews: what customers say lately, not years ago.
RECENT_REVIEWS = 20
# And it names at most this many of them, the most frequent first.
SUMMARY_TAGS = 3


@dataclass(frozen=True)
class CheckedReview:
    rating: int
    tags: list[str]
    text: str | None


def clean_text(text: str | None) -> str:
    """The text without control characters (line breaks kept) and outer blanks."""
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in text if ch.isprintable() or ch == "\n").strip()


def text_problem(field: str, text: str | None) -> Problem | None:
    if len(clean_text(text)) > TEXT_MAX:
        return Problem(field, "text_too_long", f"Use at most {TEXT_MAX} characters.", f"最多 {TEXT_MAX} 个字。")
    return None


def check_review(rating, tags, text) -> tuple[CheckedReview | None, list[Problem]]:
    """The review as stored (tags deduplicated in vocabulary order, text cleaned), or None with every problem."""
    problems: list[Problem] = []
    if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
        problems.append(Problem("rating", "rating_invalid", "Give 1 to 5 stars.", "请选择 1 到 5 星。"))
    tags = [] if tags is None else tags
    if not isinstance(tags, (list, tuple)) or any(not isinstance(t, str) or t not in REVIEW_TAGS for t in tags):
        problems.append(Problem("tags", "tags_unknown", "Choose tags from the list.", "请从列表中选择标签。"))
    elif len(set(tags)) > TAGS_MAX:
        problems.append(Problem("tags", "too_many_tags", f"Choose at most {TAGS_MAX} tags.",
                                f"最多选择 {TAGS_MAX} 个标签。"))
    if (p := text_problem("text", text)) is not None:
        problems.append(p)
    if problems:
        return None, problems
    order = list(REVIEW_TAGS)
    return CheckedReview(rating, sorted(set(tags), key=order.index), clean_text(text) or None), []


def average(count: int, rating_sum: int) -> str | None:
    """The mean rating with one decimal, rounded half up, as text ("4.5"); None with no reviews."""
    if not count:
        return None
    return str((Decimal(rating_sum) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def recent_tags(tag_lists: list[list[str]]) -> list[dict]:
    """The most frequent tags of the given (newest) reviews, with their words and counts; ties in vocabulary order."""
    counts = Counter(t for tags in tag_lists[:RECENT_REVIEWS] for t in set(tags))
    order = {code: i for i, code in enumerate(REVIEW_TAGS)}
    ranked = sorted(counts, key=lambda t: (-counts[t], order.get(t, len(order)), t))
    return [{"code": t, **words(REVIEW_TAGS, t), "count": counts[t]} for t in ranked[:SUMMARY_TAGS]]


def summary(count: int, rating_sum: int | None, tag_lists: list[list[str]]) -> dict:
    """The public summary: {count, average, recent_tags}; count 0 has no average and no tags."""
    if not count:
        return {"count": 0, "average": None, "recent_tags": []}
    return {"count": count, "average": average(count, rating_sum or 0), "recent_tags": recent_tags(tag_lists)}
